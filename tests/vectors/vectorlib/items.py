"""Vectors for the envelope, items and the manifest."""

from __future__ import annotations

import hashlib
import struct
from uuid import UUID

from vault_client.crypto import SecretBytes, blob_hash, bucket_digest, bucket_of, manifest_mac
from vault_client.crypto import envelope
from vault_client.crypto.item import MAX_ITEM_PLAINTEXT, _seal_item_with_nonce, bucket_size, item_context, item_key

from .common import aead_tampers, bad, det, det_uuid, document, ok

_FULL_HEX_LIMIT = 1100


def envelope_vectors() -> dict:
    sizes = {
        envelope.KIND_ACCOUNT_KEY: 60, envelope.KIND_PRIVATE_KEYS: 156, envelope.KIND_VAULT_KEY: 60,
        envelope.KIND_ITEM: 284, envelope.KIND_RECOVERY: 60, envelope.KIND_GRANT: 1232,
        envelope.KIND_EXPORT: 56,
    }
    cases = []
    for kind, body in sizes.items():
        blob = bytes((1, kind)) + det(f"envelope body {kind}", body)
        cases.append(ok(f"smallest {envelope.KIND_NAMES[kind]} envelope", blob=blob.hex(), version=1,
                        kind=kind, body_length=body))
    cases.append(ok("an item body may be longer than the smallest bucket", blob=(bytes((1, 4)) + bytes(540)).hex(),
                    version=1, kind=4, body_length=540))
    rejects = [
        ("empty", b""),
        ("version byte only", b"\x01"),
        ("version 0x00", bytes((0, 1)) + bytes(60)),
        ("version 0x02 (a future format is refused, not guessed at)", bytes((2, 1)) + bytes(60)),
        ("kind 0x00", bytes((1, 0)) + bytes(60)),
        ("kind 0x08 (unknown)", bytes((1, 8)) + bytes(60)),
        ("kind 0xff", bytes((1, 0xFF)) + bytes(60)),
        ("account key wrap one byte short", bytes((1, 1)) + bytes(59)),
        ("vault key wrap one byte long", bytes((1, 3)) + bytes(61)),
        ("private keys wrap of a wrong size", bytes((1, 2)) + bytes(60)),
        ("grant one byte short", bytes((1, 6)) + bytes(1231)),
        ("item shorter than the smallest bucket", bytes((1, 4)) + bytes(283)),
        ("export without room for a tag", bytes((1, 7)) + bytes(55)),
    ]
    cases += [bad(c, blob=b.hex()) for c, b in rejects]
    return document("Envelope header (parse_envelope)", "envelope", cases)


def _plaintext(size: int) -> bytes:
    pattern = det(f"item plaintext {size}", 16) if size else b""
    return (pattern * (size // 16 + 1))[:size]


def _item_case(comment: str, vault_key: SecretBytes, size: int, revision: int) -> dict:
    vault_id, item_id = det_uuid("vault"), det_uuid(f"item {size}")
    nonce = det(f"item nonce {size}", 12)
    plaintext = _plaintext(size)
    blob = _seal_item_with_nonce(vault_key, vault_id, item_id, revision, plaintext, nonce)
    fields = {
        "vault_key": vault_key.reveal().hex(), "vault_id": str(vault_id), "item_id": str(item_id),
        "revision": revision, "nonce": nonce.hex(),
        "item_key": item_key(vault_key, vault_id, item_id).hex(),
        "padded_length": bucket_size(size),
    }
    if size <= _FULL_HEX_LIMIT:
        fields.update(plaintext=plaintext.hex(), blob=blob.hex())
    else:
        fields.update(plaintext_repeat={"pattern": plaintext[:16].hex(), "length": size},
                      blob_length=len(blob), blob_sha256=hashlib.sha256(blob).hexdigest())
    return ok(comment, **fields)


def _authentic(vault_key: SecretBytes, vault_id, item_id, revision: int, padded: bytes, nonce: bytes) -> bytes:
    """An authentic item envelope around an arbitrary (possibly malformed) padded plaintext."""
    key = item_key(vault_key, vault_id, item_id)
    return envelope.seal(key, envelope.KIND_ITEM, item_context(vault_id, item_id, revision), padded, nonce)


def item_vectors() -> dict:
    vault_key = SecretBytes(det("vault key", 32))
    sizes = [
        (0, "empty plaintext: one 256-byte bucket"),
        (1, "one byte"),
        (252, "252 bytes + 4-byte prefix fill the 256 bucket exactly"),
        (253, "253 bytes: the next bucket, 512"),
        (500, "a typical login item of 500 bytes: 512 bucket"),
        (65532, "fills the 64 KiB bucket exactly"),
        (65533, "one more byte: 128 KiB"),
        (200000, "above 64 KiB, buckets are multiples of 64 KiB: 256 KiB"),
        (MAX_ITEM_PLAINTEXT, "the largest item: 960 KiB padded, blob under 1 MiB"),
    ]
    cases = [_item_case(comment, vault_key, size, 5) for size, comment in sizes]
    base = cases[4]
    blob = bytes.fromhex(base["blob"])
    vid, iid = det_uuid("vault"), det_uuid("item 500")
    common = {k: base[k] for k in ("vault_key", "vault_id", "item_id", "revision")}
    cases += [bad(c, **common, blob=b.hex()) for c, b in aead_tampers(blob, envelope.KIND_VAULT_KEY)]
    other = bytes.fromhex(cases[3]["blob"])
    moved = [
        ("moved to another item id", {"item_id": str(det_uuid("item 1"))}, blob),
        ("moved to another vault id", {"vault_id": str(det_uuid("other vault"))}, blob),
        ("replayed as the next revision (6)", {"revision": 6}, blob),
        ("rolled back: presented as an older revision (4)", {"revision": 4}, blob),
        ("revision 0 (never valid)", {"revision": 0}, blob),
        ("revision 2**64 (out of range)", {"revision": 2**64}, blob),
        ("wrong vault key", {"vault_key": det("other vault key", 32).hex()}, blob),
        ("another item's blob swapped in", {}, other),
    ]
    cases += [bad(c, **dict(common, **changes), blob=b.hex()) for c, changes, b in moved]
    nonce = det("padding nonce", 12)
    content = b"x" * 10
    malformed = [
        ("authentic, but the length prefix runs past the bucket", struct.pack(">I", 253) + bytes(252)),
        ("authentic, but a padding byte is not zero",
         struct.pack(">I", 10) + content + b"\x01" + bytes(241)),
        ("authentic, but padded to 512 where 256 would do (not canonical)",
         struct.pack(">I", 10) + content + bytes(498)),
        ("authentic, but 300 bytes is not a bucket size", struct.pack(">I", 10) + content + bytes(286)),
    ]
    for comment, padded in malformed:
        data = _authentic(vault_key, vid, iid, 5, padded, nonce)
        cases.append(bad(comment, **common, blob=data.hex()))
    return document("Item (kind 0x04)", "item-kind-0x04", cases)


def _in_bucket(label: str, bucket: int) -> UUID:
    """A fixed UUIDv4 for ``label`` whose first byte (its manifest bucket) is ``bucket``."""
    return UUID(bytes=bytes([bucket]) + det("uuid " + label, 16)[1:], version=4)


def _buckets(entries) -> tuple[dict[str, str], bytes]:
    """The non-empty buckets' digests (decimal bucket -> hex) and the entries hash."""
    by_bucket: dict[int, list] = {}
    for entry in entries:
        by_bucket.setdefault(bucket_of(entry[0]), []).append(entry)
    digests = [bucket_digest(by_bucket.get(b, [])) for b in range(256)]
    return ({str(b): digests[b].hex() for b in sorted(by_bucket)},
            hashlib.sha256(b"".join(digests)).digest())


def manifest_vectors() -> dict:
    vault_key = SecretBytes(det("vault key", 32))
    vault_id = det_uuid("vault")
    version, generation = 42, 3
    entries = [
        (det_uuid(f"manifest item {i}"), 1 + i, det(f"blob {i}", 32) if i != 2 else None) for i in range(5)
    ]
    assert len({bucket_of(e[0]) for e in entries}) == len(entries)  # five entries, five buckets
    mac = manifest_mac(vault_key, vault_id, version, generation, entries)

    def wire(items) -> list[dict]:
        return [{"item_id": str(i), "revision": r, "blob_hash": h.hex() if h else None} for i, r, h in items]

    def detail(items) -> dict:
        sparse, entries_hash = _buckets(items)
        return {"count": len(items), "bucket_digests": sparse, "entries_hash": entries_hash.hex()}

    common = {"vault_key": vault_key.reveal().hex(), "vault_id": str(vault_id), "version": version,
              "generation": generation}
    shuffled = [entries[3], entries[0], entries[4], entries[2], entries[1]]
    empty_mac = manifest_mac(vault_key, vault_id, 0, 1, [])
    shared = bucket_of(entries[0][0])
    crowded = entries + [(_in_bucket("manifest neighbour", shared), 7, det("blob neighbour", 32)),
                         (_in_bucket("manifest neighbour 2", shared), 2, None)]
    crowded_mac = manifest_mac(vault_key, vault_id, version, generation, crowded)
    cases = [
        ok("five entries in five buckets, one of them a tombstone (blob_hash null)", **common,
           entries=wire(entries), **detail(entries), mac=mac.hex()),
        ok("the same entries in another order: each bucket sorts its entries", **common, entries=wire(shuffled),
           **detail(entries), mac=mac.hex()),
        ok("seven entries, three of them in one bucket (their ids share the first byte)", **common,
           entries=wire(crowded), **detail(crowded), mac=crowded_mac.hex()),
        ok("an empty vault at registration: version 0, generation 1 (256 empty buckets)",
           **dict(common, version=0, generation=1), entries=[], **detail([]), mac=empty_mac.hex()),
    ]
    first, second = entries[0], entries[1]
    swapped = [(first[0], second[1], second[2]), (second[0], first[1], first[2])] + entries[2:]
    moved_id = _in_bucket("manifest item 0", (shared + 1) % 256)
    changes = [
        ("one entry dropped", entries[1:], {}),
        ("one entry duplicated", entries + [entries[0]], {}),
        ("one item id listed twice with different revisions", entries + [(entries[0][0], 9, entries[0][2])], {}),
        ("reordered: two items' revisions and blob hashes exchanged", swapped, {}),
        ("one entry at an older revision", [(entries[3][0], 3, entries[3][2])] + entries[:3] + entries[4:], {}),
        ("a tombstone turned back into a live item",
         entries[:2] + [(entries[2][0], 3, det("blob 2", 32))] + entries[3:], {}),
        ("an item injected", entries + [(det_uuid("injected"), 1, det("injected", 32))], {}),
        ("an item injected into a bucket that already holds one",
         entries + [(_in_bucket("injected neighbour", shared), 1, det("injected", 32))], {}),
        ("an entry moved to the next bucket (only the first byte of its id changed)",
         [(moved_id, first[1], first[2])] + entries[1:], {}),
        ("rolled back to the previous manifest version", entries, {"version": version - 1}),
        ("presented as the next manifest version", entries, {"version": version + 1}),
        ("another key generation", entries, {"generation": generation - 1}),
        ("another vault id", entries, {"vault_id": str(det_uuid("other vault"))}),
        ("wrong vault key", entries, {"vault_key": det("other vault key", 32).hex()}),
        ("revision 0 in an entry (never valid)", [(entries[0][0], 0, entries[0][2])] + entries[1:], {}),
    ]
    cases += [bad(c, **dict(common, **chg), entries=wire(items), mac=mac.hex()) for c, items, chg in changes]
    crowded_mac_case = dict(common, mac=crowded_mac.hex())
    one_dropped = crowded[:-1]
    cases += [
        bad("three entries of one bucket: one of them dropped", **crowded_mac_case,
            entries=wire(one_dropped)),
        bad("one bit flipped in the MAC", **common, entries=wire(entries), mac=bytes([mac[0] ^ 1]).hex() + mac[1:].hex()),
        bad("MAC truncated to 31 bytes", **common, entries=wire(entries), mac=mac[:31].hex()),
        bad("empty MAC", **common, entries=wire(entries), mac=""),
    ]
    # The same check from the count and bucket digests (verify_manifest_from_buckets).
    sparse = detail(crowded)["bucket_digests"]
    other = str(bucket_of(entries[1][0]))
    exchanged = dict(sparse, **{str(shared): sparse[other], other: sparse[str(shared)]})
    emptied = {b: d for b, d in sparse.items() if b != other}
    cases += [
        ok("seven entries given as their count and bucket digests", **crowded_mac_case, count=len(crowded),
           bucket_digests=sparse),
        bad("bucket digests: two buckets' digests exchanged", **crowded_mac_case, count=len(crowded),
            bucket_digests=exchanged),
        bad("bucket digests: the entry count one lower", **crowded_mac_case, count=len(crowded) - 1,
            bucket_digests=sparse),
        bad("bucket digests: a bucket's one entry dropped (its digest that of an empty bucket)",
            **crowded_mac_case, count=len(crowded) - 1, bucket_digests=emptied),
    ]
    cases.append(ok("blob_hash is SHA-256 of the stored blob", blob=b"\x01\x04".hex(),
                    blob_sha256=blob_hash(b"\x01\x04").hex()))
    doc = document("Vault manifest MAC", "vault-manifest", cases)
    doc["encoding"] += ("; bucket_digests lists the non-empty buckets only (decimal bucket number -> digest), "
                        "every other bucket's digest is SHA-256 of the empty string")
    return doc

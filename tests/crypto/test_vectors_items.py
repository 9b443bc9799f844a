"""Known-answer vectors: envelope header, items, manifest."""

from __future__ import annotations

import hashlib

import pytest

from vault_client import crypto
from vault_client.crypto.item import _seal_item_with_nonce, bucket_size, item_key

from .vectors import cases, error, key, plaintext, uid


@pytest.mark.parametrize("case", cases("envelope.json"))
def test_parse_envelope(case):
    blob = bytes.fromhex(case["blob"])
    if case["expect"] == "failure":
        with pytest.raises(error(case)):
            crypto.parse_envelope(blob)
        return
    version, kind, body = crypto.parse_envelope(blob)
    assert (version, kind, len(body)) == (case["version"], case["kind"], case["body_length"])


def _item_args(case):
    return key(case["vault_key"]), uid(case["vault_id"]), uid(case["item_id"]), case["revision"]


@pytest.mark.parametrize("case", cases("item.json", expect="success"))
def test_item_reproduces(case):
    vault_key, vault_id, item_id, revision = _item_args(case)
    data = plaintext(case)
    assert item_key(vault_key, vault_id, item_id).hex() == case["item_key"]
    assert bucket_size(len(data)) == case["padded_length"]
    blob = _seal_item_with_nonce(vault_key, vault_id, item_id, revision, data, bytes.fromhex(case["nonce"]))
    if "blob" in case:
        assert blob.hex() == case["blob"]
    else:
        assert (len(blob), hashlib.sha256(blob).hexdigest()) == (case["blob_length"], case["blob_sha256"])
    assert crypto.open_item(vault_key, vault_id, item_id, revision, blob) == data


@pytest.mark.parametrize("case", cases("item.json", expect="failure"))
def test_item_tampered(case):
    with pytest.raises(error(case)):
        crypto.open_item(*_item_args(case), bytes.fromhex(case["blob"]))


def _entries(case):
    return [
        (uid(e["item_id"]), e["revision"], bytes.fromhex(e["blob_hash"]) if e["blob_hash"] else None)
        for e in case["entries"]
    ]


def _digests(sparse: dict[str, str]) -> list[bytes]:
    """The 256 bucket digests from the non-empty ones a vector lists."""
    empty = hashlib.sha256(b"").digest()
    return [bytes.fromhex(sparse[str(b)]) if str(b) in sparse else empty for b in range(256)]


@pytest.mark.parametrize("case", [c for c in cases("manifest.json") if "entries" in c.values[0]])
def test_manifest(case):
    args = (key(case["vault_key"]), uid(case["vault_id"]), case["version"], case["generation"], _entries(case))
    mac = bytes.fromhex(case["mac"])
    if case["expect"] == "failure":
        with pytest.raises(error(case)):
            crypto.verify_manifest(*args, mac)
        return
    assert crypto.manifest_mac(*args) == mac
    crypto.verify_manifest(*args, mac)
    by_bucket: dict[int, list] = {}
    for entry in args[4]:
        by_bucket.setdefault(crypto.bucket_of(entry[0]), []).append(entry)
    assert {str(b): crypto.bucket_digest(e).hex() for b, e in by_bucket.items()} == case["bucket_digests"]
    digests = _digests(case["bucket_digests"])
    assert hashlib.sha256(b"".join(digests)).hexdigest() == case["entries_hash"]
    assert crypto.manifest_mac_from_buckets(*args[:4], case["count"], digests) == mac


@pytest.mark.parametrize("case", [c for c in cases("manifest.json")
                                  if "bucket_digests" in c.values[0] and "entries" not in c.values[0]])
def test_manifest_from_buckets(case):
    args = (key(case["vault_key"]), uid(case["vault_id"]), case["version"], case["generation"], case["count"],
            _digests(case["bucket_digests"]))
    mac = bytes.fromhex(case["mac"])
    if case["expect"] == "failure":
        with pytest.raises(error(case)):
            crypto.verify_manifest_from_buckets(*args, mac)
        return
    assert crypto.manifest_mac_from_buckets(*args) == mac
    crypto.verify_manifest_from_buckets(*args, mac)


def test_blob_hash_vector():
    (case,) = [c for c in cases("manifest.json") if "blob_sha256" in c.values[0]]
    case = case.values[0]
    assert crypto.blob_hash(bytes.fromhex(case["blob"])).hex() == case["blob_sha256"]

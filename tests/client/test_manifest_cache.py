"""The cache's manifest bucket digests: a shortcut for the sync engine, never a source of trust.

Runs the real ``SyncEngine`` and ``Cache`` against an in-process stand-in for the server (an
honest writer that seals items and computes manifests with the full-list API), then damages the
cached digest rows in the cache file: the client recomputes or refuses, and never accepts a
manifest that does not match the items it holds.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from vault_client import crypto
from vault_client.cache import Cache, ItemRow, VaultRow
from vault_client.encoding import b64d, b64e
from vault_client.errors import IntegrityFailure
from vault_client.items.model import new_item
from vault_client.keychain import Keychain
from vault_client.manifest_state import ManifestState
from vault_client.sync import SyncEngine
from vault_client.transport import Conflict


def item_id_in(bucket: int) -> str:
    return str(uuid.UUID(bytes=bytes([bucket]) + uuid.uuid4().bytes[1:], version=4))


class Server:
    """One vault on an honest server, plus the knobs a hostile one would turn."""

    def __init__(self, account_key: crypto.SecretBytes) -> None:
        self.vault_id = str(uuid.uuid4())
        self.vid = uuid.UUID(self.vault_id)
        self.key = crypto.new_symmetric_key()
        self.wrapped = crypto.wrap_vault_key(account_key, self.key, self.vid, 1)
        self.items: dict[str, tuple[int, bytes | None, int]] = {}  # id -> revision, blob, seq
        self.seq = 0
        self.version = 0
        self.mac = crypto.manifest_mac(self.key, self.vid, 0, 1, [])
        self.withheld: set[str] = set()

    def entries(self) -> list[tuple[uuid.UUID, int, bytes | None]]:
        return [(uuid.UUID(i), rev, None if blob is None else crypto.blob_hash(blob))
                for i, (rev, blob, _) in self.items.items()]

    def write(self, names: dict[str, str | None]) -> None:
        """Another device's batch: item id -> new name (None deletes), with an honest manifest."""
        for item_id, name in names.items():
            revision = self.items.get(item_id, (0, None, 0))[0] + 1
            blob = None if name is None else crypto.seal_item(
                self.key, self.vid, uuid.UUID(item_id), revision, new_item("note", name).to_bytes())
            self.seq += 1
            self.items[item_id] = (revision, blob, self.seq)
        self.version += 1
        self.mac = crypto.manifest_mac(self.key, self.vid, self.version, 1, self.entries())

    # -- the API the sync engine calls ---------------------------------------------------------------

    def sync(self, cursors: dict[str, int]) -> dict[str, Any]:
        since = cursors.get(self.vault_id, 0)
        items = [{"item_id": i, "revision": rev, "seq": seq, "blob": None if blob is None else b64e(blob)}
                 for i, (rev, blob, seq) in self.items.items() if seq > since and i not in self.withheld]
        return {"vaults": [{"vault_id": self.vault_id, "role": "owner", "key_generation": 1, "seq": self.seq,
                            "wrapped_vault_key": b64e(self.wrapped), "items": items,
                            "manifest": {"version": self.version, "generation": 1, "mac": b64e(self.mac)}}],
                "removed_vaults": []}

    def write_changes(self, vault_id: str, body: dict[str, Any]) -> dict[str, Any] | Conflict:
        assert vault_id == self.vault_id
        if body["base_manifest_version"] != self.version:
            return Conflict(self.version, [])
        for change in body["items"]:
            self.seq += 1
            blob = None if change["blob"] is None else b64d(change["blob"])
            self.items[change["item_id"]] = (change["revision"], blob, self.seq)
        self.version = body["manifest"]["version"]
        self.mac = b64d(body["manifest"]["mac"])
        return {"seq": self.seq}


@pytest.fixture
def scene(tmp_path: Path):
    account_key = crypto.new_symmetric_key()
    server = Server(account_key)
    keys = Keychain(uuid.uuid4(), account_key, b"")
    with Cache(tmp_path / "cache.sqlite3") as cache:
        yield server, cache, SyncEngine(cache, keys, server), tmp_path / "cache.sqlite3"


def stored_rows(cache: Cache, vault_id: str) -> dict[int, tuple[int, bytes]]:
    return cache.manifest_buckets(vault_id)


def true_rows(cache: Cache, vault_id: str) -> dict[int, tuple[int, bytes]]:
    """What each bucket's row should say, from the items table."""
    out = {}
    for bucket in range(256):
        entries = [(uuid.UUID(i), rev, h) for i, rev, h in cache.bucket_entries(vault_id, bucket)]
        out[bucket] = (len(entries), crypto.bucket_digest(entries))
    return out


def assert_rows_true(cache: Cache, vault_id: str) -> None:
    truth = true_rows(cache, vault_id)
    for bucket, row in stored_rows(cache, vault_id).items():
        assert row == truth[bucket], bucket


def test_delta_pulls_and_pushes_keep_every_stored_row_true(scene) -> None:
    server, cache, engine, _ = scene
    crowded = [item_id_in(0x42) for _ in range(5)] + [item_id_in(0x00), item_id_in(0xFF)]
    server.write({i: f"item {n}" for n, i in enumerate(crowded)})
    engine.pull()
    assert len(stored_rows(cache, server.vault_id)) == 256  # a first sync computes every bucket once
    assert_rows_true(cache, server.vault_id)
    for round_ in range(3):
        server.write({crowded[round_]: f"edited {round_}", item_id_in(0x42): "new"})
        engine.pull()
        assert_rows_true(cache, server.vault_id)
    server.write({crowded[4]: None})  # a deletion: the tombstone stays in the manifest
    engine.pull()
    assert_rows_true(cache, server.vault_id)

    vault = cache.vault(server.vault_id)
    with cache.transaction():
        cache.queue(server.vault_id, crowded[5], 1, None, crypto.seal_item(
            server.key, server.vid, uuid.UUID(crowded[5]), 2, new_item("note", "local").to_bytes()))
    engine.push()
    assert server.mac == crypto.manifest_mac(server.key, server.vid, vault.manifest_version + 1, 1, server.entries())
    assert len(stored_rows(cache, server.vault_id)) == 256
    assert_rows_true(cache, server.vault_id)


def test_item_writes_and_dropping_a_vault_forget_the_rows_they_make_stale(scene) -> None:
    server, cache, engine, _ = scene
    a, b = item_id_in(0x10), item_id_in(0x20)
    server.write({a: "a", b: "b"})
    engine.pull()
    row = cache.item(server.vault_id, a)
    with cache.transaction():
        cache.put_item(ItemRow(row.vault_id, row.item_id, row.revision + 1, row.blob, row.hash, row.seq))
    assert set(range(256)) - set(stored_rows(cache, server.vault_id)) == {0x10}
    with cache.transaction():
        cache.put_items([ItemRow(server.vault_id, item_id_in(0x30), 1, None, None, 0),
                         ItemRow(server.vault_id, item_id_in(0x40), 1, None, None, 0)])
    assert set(range(256)) - set(stored_rows(cache, server.vault_id)) == {0x10, 0x30, 0x40}
    with cache.transaction():
        cache.drop_vault(server.vault_id)
    assert stored_rows(cache, server.vault_id) == {}


def test_a_bucket_is_read_through_the_covering_index(scene) -> None:
    _, cache, _, _ = scene
    plan = cache._q("EXPLAIN QUERY PLAN SELECT item_id, revision, hash FROM items "
                    "WHERE vault_id = ? AND item_id >= ? AND item_id < ?", ("v", "3a", "3b"))
    assert "COVERING INDEX items_manifest" in plan[0][3]
    vault_id = str(uuid.uuid4())
    ids = {b: item_id_in(b) for b in (0x00, 0x09, 0x0A, 0x0F, 0x10, 0x9F, 0xA0, 0xFE, 0xFF)}
    with cache.transaction():
        cache.put_items([ItemRow(vault_id, i, 1, None, None, 0) for i in ids.values()])
    for bucket in range(256):
        got = [i for i, _, _ in cache.bucket_entries(vault_id, bucket)]
        assert got == ([ids[bucket]] if bucket in ids else []), bucket


def damage(path: Path, sql: str, *args: Any) -> None:
    """Edit the cache file behind the client's back, as a bug or another program might."""
    with sqlite3.connect(path) as db:
        db.execute(sql, args)


@pytest.mark.parametrize("how", [
    "UPDATE manifest_buckets SET digest = randomblob(32)",  # every row garbage
    "UPDATE manifest_buckets SET count = count + 1 WHERE bucket = 66",  # one count off
    "UPDATE manifest_buckets SET digest = X'00' WHERE bucket = 0",  # a row of the wrong length
    "DELETE FROM manifest_buckets WHERE bucket IN (0, 66, 200)",  # rows missing
    "DELETE FROM manifest_buckets",  # an older cache: no rows at all
])
def test_damaged_rows_are_recomputed_not_trusted(scene, how: str) -> None:
    server, cache, engine, path = scene
    ids = [item_id_in(0x42) for _ in range(3)] + [item_id_in(0x00)]
    server.write({i: "x" for i in ids})
    engine.pull()
    damage(path, how)
    server.write({ids[0]: "changed", item_id_in(0x99): "new"})  # buckets 0x42 and 0x99 change
    engine.pull()
    assert cache.vault(server.vault_id).manifest_version == server.version
    assert_rows_true(cache, server.vault_id)
    assert len(stored_rows(cache, server.vault_id)) == 256  # healed

    damage(path, how)
    with cache.transaction():
        cache.queue(server.vault_id, ids[1], 1, None, crypto.seal_item(
            server.key, server.vid, uuid.UUID(ids[1]), 2, new_item("note", "local").to_bytes()))
    engine.push()  # the MAC it uploads is over the real items, whatever the rows said
    assert server.mac == crypto.manifest_mac(server.key, server.vid, server.version, 1, server.entries())


def test_a_forged_row_cannot_make_a_withheld_change_verify(scene) -> None:
    """The server withholds a change but sends its manifest; the cache's row for the withheld
    item's bucket has been set to that bucket's digest after the change. Trusting the row would
    accept the manifest while the device holds the old item: the client must refuse."""
    server, cache, engine, path = scene
    victim, other = item_id_in(0x42), item_id_in(0x43)
    server.write({victim: "v1", other: "o1", item_id_in(0x99): "n1"})
    engine.pull()
    before = cache.vault(server.vault_id)

    server.write({victim: "v2"})
    server.withheld.add(victim)
    forged = [(uuid.UUID(i), rev, crypto.blob_hash(blob)) for i, (rev, blob, _) in server.items.items()
              if i.startswith("42")]
    damage(path, "UPDATE manifest_buckets SET count = ?, digest = ? WHERE bucket = 66",
           len(forged), crypto.bucket_digest(forged))
    with pytest.raises(IntegrityFailure, match="does not match"):
        engine.pull()
    assert cache.vault(server.vault_id) == before
    assert cache.item(server.vault_id, victim).revision == 1

    server.write({other: "o2"})  # a change elsewhere: the withheld one is still missing
    with pytest.raises(IntegrityFailure, match="does not match"):
        engine.pull()

    server.withheld.clear()  # once the server sends everything, the device catches up
    engine.pull()
    assert cache.item(server.vault_id, victim).revision == 2
    assert_rows_true(cache, server.vault_id)


def test_rows_are_not_trusted_across_a_key_generation_or_without_a_pin(scene) -> None:
    server, cache, engine, _ = scene
    ids = [item_id_in(b) for b in (1, 2, 3)]
    server.write({i: "x" for i in ids})
    engine.pull()
    vault = cache.vault(server.vault_id)
    with cache.transaction():
        cache.put_manifest_buckets(server.vault_id, [(1, 0, crypto.bucket_digest([]))])  # a lie
    entries = server.entries()
    for pin in (None, VaultRow(vault.vault_id, vault.role, 2, vault.wrapped_vault_key, vault.seq,
                               vault.manifest_version, vault.manifest_mac)):
        mac, fresh = ManifestState(cache, server.vault_id).seal(server.key, 7, 1, pin)
        assert mac == crypto.manifest_mac(server.key, server.vid, 7, 1, entries)
        assert len(fresh) == 256

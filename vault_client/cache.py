"""The local cache: ciphertext as received, plus cursors, manifest pins and queued writes.

One SQLite file (``cache.sqlite3`` in the state directory, 0600). It never holds plaintext: items
are the blobs the server sent (already verified), queued writes are blobs this device sealed.

- ``vaults``: per vault the wrapped vault key, role, key generation, sync cursor (``seq``) and the
  last manifest this device verified (version and MAC): the rollback pin.
- ``items``: the last verified revision and blob of every item (tombstones have no blob). An
  item's revision here is its high-water mark: the client never accepts a lower one.
- ``pending``: local edits not yet accepted by the server, each with the blob it was based on (the
  common ancestor for a field-by-field merge) and the new blob sealed at ``base_revision + 1``.
- ``manifest_buckets``: per vault and manifest bucket (the first byte of the item id), the entry
  count and digest of the items stored here, so that checking a manifest after a change re-hashes
  only the changed items' buckets. Every write of items deletes the rows of the buckets it touches
  (a missing row means: recompute from ``items``); the sync engine stores fresh rows in the same
  transaction, after the items. Rows are only a shortcut: the engine trusts them only when they
  reproduce the last verified manifest MAC (``vault_client.manifest_state``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from vault_client import paths
from vault_client.errors import BvError, CacheCorrupt, ExitStatus

CACHE_FILE = "cache.sqlite3"
SCHEMA_VERSION = 1
BUCKETS = 256

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vaults (
    vault_id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    key_generation INTEGER NOT NULL,
    wrapped_vault_key BLOB NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0,
    manifest_version INTEGER NOT NULL DEFAULT -1,
    manifest_mac BLOB
);
CREATE TABLE IF NOT EXISTS items (
    vault_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    blob BLOB,
    hash BLOB,
    seq INTEGER NOT NULL,
    PRIMARY KEY (vault_id, item_id)
);
-- Covers manifest_entries and bucket_entries: checking a manifest reads 70 bytes an item, not the blobs.
CREATE INDEX IF NOT EXISTS items_manifest ON items (vault_id, item_id, revision, hash);
-- Item ids are canonical lowercase UUID strings: bucket b is the id range [hex(b), hex(b + 1)).
CREATE TABLE IF NOT EXISTS manifest_buckets (
    vault_id TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    count INTEGER NOT NULL,
    digest BLOB NOT NULL,
    PRIMARY KEY (vault_id, bucket)
);
CREATE TABLE IF NOT EXISTS pending (
    vault_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    base_revision INTEGER NOT NULL,
    base_blob BLOB,
    blob BLOB,
    queued_at REAL NOT NULL,
    PRIMARY KEY (vault_id, item_id)
);
"""


class CacheUnwritable(BvError):
    """The local cache could not be written: the disk is full or failing, or the file is read-only"""

    status = ExitStatus.ERROR
    hint = "free some disk space (or fix the file's permissions) and run the command again; nothing was changed"


# SQLite primary result codes that mean the storage failed, not that the file is damaged.
_STORAGE_CODES = {8, 10, 13, 14}  # SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN


def _cache_error(exc: sqlite3.DatabaseError, detail: str) -> BvError:
    """A full or failing disk is not a damaged cache: `bv sync --rebuild` would not help it."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _STORAGE_CODES:
        return CacheUnwritable(str(exc))
    return CacheCorrupt(detail)


def bucket_of(item_id: str) -> int:
    """The manifest bucket of a canonical item id string: its first byte."""
    return int(item_id[:2], 16)


def _bucket_range(bucket: int) -> tuple[str, str]:
    """The item id strings of ``bucket``: from ``lo`` (included) to ``hi`` (excluded)."""
    return f"{bucket:02x}", f"{bucket + 1:02x}" if bucket < BUCKETS - 1 else "g"


@dataclass
class VaultRow:
    vault_id: str
    role: str
    key_generation: int
    wrapped_vault_key: bytes
    seq: int
    manifest_version: int
    manifest_mac: bytes | None


@dataclass
class ItemRow:
    vault_id: str
    item_id: str
    revision: int
    blob: bytes | None
    hash: bytes | None
    seq: int


@dataclass
class PendingRow:
    vault_id: str
    item_id: str
    base_revision: int
    base_blob: bytes | None
    blob: bytes | None
    queued_at: float


class Cache:
    """A handle on the cache file. Use as a context manager; writes go through ``transaction``."""

    def __init__(self, path: Path | None = None, *, account_id: str | None = None) -> None:
        self.path = path or paths.state_dir() / CACHE_FILE
        new = not self.path.exists()
        if new:
            paths.write_private(self.path, b"")
        try:
            self._db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout=10000")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(_SCHEMA)
            self._check_identity(account_id)
        except sqlite3.DatabaseError as exc:
            raise _cache_error(exc, str(self.path.name)) from exc

    def _check_identity(self, account_id: str | None) -> None:
        rows = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if not rows:
            with self.transaction():
                self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                if account_id:
                    self._db.execute("INSERT INTO meta VALUES ('account_id', ?)", (account_id,))
            return
        if rows.get("schema") != str(SCHEMA_VERSION):
            raise CacheCorrupt("unknown cache format")
        if account_id and rows.get("account_id") not in (None, account_id):
            raise CacheCorrupt("the cache belongs to another account")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise _cache_error(exc, str(exc)) from exc

    def _q(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise _cache_error(exc, str(exc)) from exc

    def data_version(self) -> int:
        """Changes whenever another connection commits to the file (SQLite's data_version)."""
        return int(self._q("PRAGMA data_version")[0][0])

    def check(self) -> None:
        """Raise CacheCorrupt unless SQLite's quick integrity check passes."""
        result = self._q("PRAGMA quick_check")
        if result != [("ok",)]:
            raise CacheCorrupt("integrity check failed")

    # -- vaults ------------------------------------------------------------------------------

    def vaults(self) -> list[VaultRow]:
        return [VaultRow(*r) for r in self._q("SELECT * FROM vaults ORDER BY vault_id")]

    def vault(self, vault_id: str) -> VaultRow | None:
        rows = self._q("SELECT * FROM vaults WHERE vault_id = ?", (vault_id,))
        return VaultRow(*rows[0]) if rows else None

    def put_vault(self, row: VaultRow) -> None:
        self._q(
            "INSERT OR REPLACE INTO vaults VALUES (?, ?, ?, ?, ?, ?, ?)",
            (row.vault_id, row.role, row.key_generation, row.wrapped_vault_key, row.seq,
             row.manifest_version, row.manifest_mac),
        )

    def drop_vault(self, vault_id: str) -> None:
        for table in ("vaults", "items", "pending", "manifest_buckets"):
            self._q(f"DELETE FROM {table} WHERE vault_id = ?", (vault_id,))

    # -- items -------------------------------------------------------------------------------

    def items(self, vault_id: str) -> list[ItemRow]:
        return [ItemRow(*r) for r in self._q("SELECT * FROM items WHERE vault_id = ?", (vault_id,))]

    def item(self, vault_id: str, item_id: str) -> ItemRow | None:
        rows = self._q("SELECT * FROM items WHERE vault_id = ? AND item_id = ?", (vault_id, item_id))
        return ItemRow(*rows[0]) if rows else None

    def put_item(self, row: ItemRow) -> None:
        self.put_items([row])

    def put_items(self, rows: list[ItemRow]) -> None:
        """Store item rows (a first sync stores thousands in one statement) and forget the bucket
        digests they make stale."""
        stale = {(r.vault_id, bucket_of(r.item_id)) for r in rows}
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?, ?, ?)",
                [(r.vault_id, r.item_id, r.revision, r.blob, r.hash, r.seq) for r in rows],
            )
            self._db.executemany("DELETE FROM manifest_buckets WHERE vault_id = ? AND bucket = ?", sorted(stale))
        except sqlite3.DatabaseError as exc:
            raise _cache_error(exc, str(exc)) from exc

    def manifest_entries(self, vault_id: str) -> list[tuple[str, int, bytes | None]]:
        return [(r[0], r[1], r[2]) for r in self._q(
            "SELECT item_id, revision, hash FROM items WHERE vault_id = ?", (vault_id,))]

    def bucket_entries(self, vault_id: str, bucket: int) -> list[tuple[str, int, bytes | None]]:
        """``manifest_entries`` of one bucket: a range of the ``items_manifest`` covering index."""
        lo, hi = _bucket_range(bucket)
        return [(r[0], r[1], r[2]) for r in self._q(
            "SELECT item_id, revision, hash FROM items "
            "WHERE vault_id = ? AND item_id >= ? AND item_id < ?", (vault_id, lo, hi))]

    # -- manifest bucket digests -------------------------------------------------------------

    def manifest_buckets(self, vault_id: str) -> dict[int, tuple[int, bytes]]:
        """bucket -> (entry count, digest) as stored; a malformed row counts as missing."""
        out = {}
        for bucket, count, digest in self._q(
                "SELECT bucket, count, digest FROM manifest_buckets WHERE vault_id = ?", (vault_id,)):
            if (isinstance(bucket, int) and 0 <= bucket < BUCKETS and isinstance(count, int) and count >= 0
                    and isinstance(digest, bytes) and len(digest) == 32):
                out[bucket] = (count, digest)
        return out

    def put_manifest_buckets(self, vault_id: str, rows: list[tuple[int, int, bytes]]) -> None:
        """Store (bucket, count, digest) rows: after the items they describe, in one transaction."""
        try:
            self._db.executemany("INSERT OR REPLACE INTO manifest_buckets VALUES (?, ?, ?, ?)",
                                 [(vault_id, b, n, d) for b, n, d in rows])
        except sqlite3.DatabaseError as exc:
            raise _cache_error(exc, str(exc)) from exc

    # -- pending writes ----------------------------------------------------------------------

    def pending(self, vault_id: str | None = None, limit: int = -1) -> list[PendingRow]:
        if vault_id is None:
            rows = self._q("SELECT * FROM pending ORDER BY queued_at LIMIT ?", (limit,))
        else:
            rows = self._q("SELECT * FROM pending WHERE vault_id = ? ORDER BY queued_at LIMIT ?", (vault_id, limit))
        return [PendingRow(*r) for r in rows]

    def pending_count(self) -> int:
        return int(self._q("SELECT count(*) FROM pending")[0][0])

    def pending_row(self, vault_id: str, item_id: str) -> PendingRow | None:
        rows = self._q("SELECT * FROM pending WHERE vault_id = ? AND item_id = ?", (vault_id, item_id))
        return PendingRow(*rows[0]) if rows else None

    def put_pending(self, row: PendingRow) -> None:
        self._q(
            "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?, ?, ?)",
            (row.vault_id, row.item_id, row.base_revision, row.base_blob, row.blob, row.queued_at),
        )

    def drop_pending(self, vault_id: str, item_id: str) -> None:
        self._q("DELETE FROM pending WHERE vault_id = ? AND item_id = ?", (vault_id, item_id))

    def queue(self, vault_id: str, item_id: str, base_revision: int, base_blob: bytes | None,
              blob: bytes | None) -> None:
        """Queue a local edit. An edit of an item already queued keeps the first ancestor."""
        existing = self._q("SELECT base_revision, base_blob FROM pending WHERE vault_id = ? AND item_id = ?",
                           (vault_id, item_id))
        if existing:
            base_revision, base_blob = existing[0]
        self.put_pending(PendingRow(vault_id, item_id, base_revision, base_blob, blob, time.time()))

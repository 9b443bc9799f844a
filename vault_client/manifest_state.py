"""One vault's manifest as this device holds it, read a bucket at a time.

The manifest MAC (docs/protocol.md, "Vault manifest") hashes the entries of a vault in 256 buckets
by the first byte of the item id. After a change, the sync engine needs the digests of every bucket
with the change applied. ``ManifestState`` reads from the cache only the entries of the buckets the
changed items fall in (an id range of the covering index), applies the changes to them, and takes
every other bucket's digest from the cache's ``manifest_buckets`` rows.

Those rows are a shortcut, never a source of trust. They are used only when, together (with any
missing bucket recomputed from the cached entries), they reproduce the MAC of the manifest this
device last verified, which costs one HMAC. A stale or tampered row fails that check, and then every
bucket is recomputed from the cached entries, as a first sync does. A changed bucket is always
recomputed from its cached entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from vault_client import crypto
from vault_client.cache import BUCKETS, Cache, ItemRow, VaultRow, bucket_of

EntryMap = dict[str, tuple[int, "bytes | None"]]
BucketRow = tuple[int, int, bytes]  # (bucket, entry count, digest), as the cache stores it


class ManifestState:
    """The entries of one vault in the cache, plus changes not stored yet."""

    def __init__(self, cache: Cache, vault_id: str) -> None:
        self.cache = cache
        self.vault_id = vault_id
        self._vid = UUID(vault_id)
        self._buckets: dict[int, EntryMap] = {}  # buckets read so far, with the changes applied
        self._original: dict[int, EntryMap] = {}  # changed buckets as they were read
        self._memo: dict[int, tuple[int, bytes]] = {}  # digests of buckets read but not changed

    def _bucket(self, bucket: int) -> EntryMap:
        entries = self._buckets.get(bucket)
        if entries is None:
            entries = {i: (rev, h) for i, rev, h in self.cache.bucket_entries(self.vault_id, bucket)}
            self._buckets[bucket] = entries
        return entries

    def get(self, item_id: str) -> tuple[int, bytes | None] | None:
        """The (revision, blob hash) this device holds for ``item_id`` (a canonical id), changes
        applied; None for an item it has never seen."""
        return self._bucket(bucket_of(item_id)).get(item_id)

    def apply(self, rows: Iterable[ItemRow]) -> None:
        """Apply changed items (not yet stored) to the state."""
        for row in rows:
            bucket = bucket_of(row.item_id)
            entries = self._bucket(bucket)
            if bucket not in self._original:
                self._original[bucket] = dict(entries)
            entries[row.item_id] = (row.revision, row.hash)

    def _digest(self, bucket: int, *, before: bool = False) -> tuple[int, bytes]:
        """(entry count, digest) of a bucket, after the changes or (``before``) as stored."""
        if bucket not in self._original:
            if bucket not in self._memo:
                self._memo[bucket] = _digest_of(self._bucket(bucket))
            return self._memo[bucket]
        return _digest_of(self._original[bucket] if before else self._buckets[bucket])

    def _kept_rows(self, vault_key: crypto.SecretBytes, generation: int,
                   pin: VaultRow | None) -> dict[int, tuple[int, bytes]]:
        """The cache's bucket rows, if they hold for the manifest this device last verified
        (``pin``, at the same key generation); otherwise none at all."""
        if pin is None or pin.key_generation != generation or pin.manifest_mac is None or pin.manifest_version < 0:
            return {}
        rows = self.cache.manifest_buckets(self.vault_id)
        if not rows:
            return {}
        stored = [rows[b] if b in rows else self._digest(b, before=True) for b in range(BUCKETS)]
        try:
            crypto.verify_manifest_from_buckets(vault_key, self._vid, pin.manifest_version, generation,
                                                sum(n for n, _ in stored), [d for _, d in stored], pin.manifest_mac)
        except crypto.CryptoError:
            return {}
        return rows

    def _digests(self, vault_key: crypto.SecretBytes, generation: int,
                 pin: VaultRow | None) -> tuple[int, list[bytes], list[BucketRow]]:
        kept = self._kept_rows(vault_key, generation, pin)
        count, digests, fresh = 0, [], []
        for bucket in range(BUCKETS):
            if bucket in kept and bucket not in self._original:
                n, digest = kept[bucket]
            else:
                n, digest = self._digest(bucket)
                fresh.append((bucket, n, digest))
            count += n
            digests.append(digest)
        return count, digests, fresh

    def seal(self, vault_key: crypto.SecretBytes, version: int, generation: int,
             pin: VaultRow | None) -> tuple[bytes, list[BucketRow]]:
        """The manifest MAC of the state at ``version``, and the bucket rows to store with it."""
        count, digests, fresh = self._digests(vault_key, generation, pin)
        mac = crypto.manifest_mac_from_buckets(vault_key, self._vid, version, generation, count, digests)
        return mac, fresh

    def verify(self, vault_key: crypto.SecretBytes, version: int, generation: int, mac: bytes,
               pin: VaultRow | None) -> list[BucketRow]:
        """Check a manifest against the state (``CryptoError`` if it does not match); the bucket
        rows to store with it."""
        count, digests, fresh = self._digests(vault_key, generation, pin)
        crypto.verify_manifest_from_buckets(vault_key, self._vid, version, generation, count, digests, mac)
        return fresh


def _digest_of(entries: EntryMap) -> tuple[int, bytes]:
    return len(entries), crypto.bucket_digest([(UUID(i), rev, h) for i, (rev, h) in entries.items()])

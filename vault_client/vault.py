"""Reading and writing items on this device: the cache decrypted on demand, edits sealed and queued.

Every write is first sealed and queued in the cache (so it survives going offline, a crash, or a
stale write); ``SyncEngine.push`` then sends the queue. Reads see the server's verified state with
this device's queued edits laid over it.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID, uuid4

from vault_client import crypto
from vault_client.cache import Cache, VaultRow
from vault_client.entry import Entry
from vault_client.errors import AmbiguousItem, CacheCorrupt, ItemNotFound, UsageError
from vault_client.items.model import Item, ItemFormatError
from vault_client.items.search import find as find_refs
from vault_client.keychain import Keychain


def find_one(entries: list[Entry], ref: str, *, include_trashed: bool) -> Entry:
    """The one entry ``ref`` names (id, name, URL, prefix); ItemNotFound or AmbiguousItem otherwise."""
    by_id = {e.item_id: e for e in entries}
    ids = find_refs([(e.item_id, e.item) for e in entries], ref, include_trashed=include_trashed)
    if not ids:
        raise ItemNotFound(repr(ref))
    if len(ids) > 1:
        names = ", ".join(f"{by_id[i].item.name} ({i[:8]})" for i in ids[:5])
        raise AmbiguousItem(f"{ref!r} matches {names}")
    return by_id[ids[0]]


class VaultView:
    def __init__(self, cache: Cache, keychain: Keychain) -> None:
        self.cache = cache
        self.keys = keychain

    def vaults(self) -> list[VaultRow]:
        return self.cache.vaults()

    def entries(self, vault_ids: Iterable[str] | None = None, *, trashed: bool | None = False) -> list[Entry]:
        """All items, decrypted. ``trashed``: False = live only, True = trash only, None = both."""
        out: list[Entry] = []
        for vault in self.cache.vaults():
            if vault_ids is not None and vault.vault_id not in vault_ids:
                continue
            key = self.keys.vault_key(vault)
            pending = {p.item_id: p for p in self.cache.pending(vault.vault_id)}
            for row in self.cache.items(vault.vault_id):
                if row.item_id in pending or row.item_id == vault.vault_id:
                    continue  # the vault's own info item (its name) is not a user item
                if row.blob is not None:
                    out.append(self._open(vault, key, row.item_id, row.revision, row.blob, False))
            for p in pending.values():
                if p.blob is not None and p.item_id != vault.vault_id:
                    out.append(self._open(vault, key, p.item_id, p.base_revision + 1, p.blob, True))
        if trashed is not None:
            out = [e for e in out if (e.item.trashed is not None) == trashed]
        out.sort(key=lambda e: (e.item.name.casefold(), e.item_id))
        return out

    @staticmethod
    def _open(vault: VaultRow, key: crypto.SecretBytes, item_id: str, revision: int, blob: bytes,
              pending: bool) -> Entry:
        try:
            plaintext = crypto.open_item(key, UUID(vault.vault_id), UUID(item_id), revision, blob)
            item = Item.from_bytes(plaintext)
        except (crypto.CryptoError, ItemFormatError):
            raise CacheCorrupt(f"item {item_id} in the cache does not open") from None
        return Entry(vault.vault_id, item_id, revision, item, pending)

    def vault_names(self) -> dict[str, str]:
        """Vault id -> name, from each vault's info item (item id == vault id); the personal vault
        (created with the account) has none and is called "Personal"."""
        names: dict[str, str] = {}
        for vault in self.cache.vaults():
            names[vault.vault_id] = "Personal"
            pending = {p.item_id: p for p in self.cache.pending(vault.vault_id)}
            p = pending.get(vault.vault_id)
            if p is not None and p.blob is not None:
                rev, blob = p.base_revision + 1, p.blob
            else:
                row = self.cache.item(vault.vault_id, vault.vault_id)
                if row is None or row.blob is None:
                    continue
                rev, blob = row.revision, row.blob
            entry = self._open(vault, self.keys.vault_key(vault), vault.vault_id, rev, blob, False)
            names[vault.vault_id] = entry.item.name
        return names

    def find(self, ref: str, vault_ids: Iterable[str] | None = None, *, trashed: bool | None = False) -> Entry:
        return find_one(self.entries(vault_ids, trashed=trashed), ref, include_trashed=trashed is not False)

    def search(self, query: str, limit: int = 20) -> list[tuple[Entry, float]]:
        from vault_client.items.search import search

        entries = self.entries()
        by_id = {e.item_id: e for e in entries}
        return [(by_id[i], s) for i, s in search([(e.item_id, e.item) for e in entries], query, limit=limit)]

    # -- writes ------------------------------------------------------------------------------

    def save(self, vault_id: str, item: Item, item_id: str | None = None) -> str:
        """Seal ``item`` as the next revision of ``item_id`` (a new item when None) and queue it.

        The version it replaces (this device's queued edit, else the cached revision) joins the
        item's history when the content changed (``items.history.record``).
        """
        return self.save_many(vault_id, [(item, item_id)])[0]

    def save_many(self, vault_id: str, items: list[tuple[Item, str | None]]) -> list[str]:
        """``save`` for many items in one cache transaction (imports: one fsync, not thousands)."""
        from vault_client.items.history import record

        vault = self._writable(vault_id)
        key = self.keys.vault_key(vault)
        queued: list[tuple[str, int, bytes | None, bytes]] = []
        for item, item_id in items:
            item_id = str(UUID(item_id)) if item_id else str(uuid4())  # canonical: the cache's key
            previous: Item | None = None
            pending = self.cache.pending_row(vault_id, item_id)
            if pending is not None:
                base_rev, base_blob = pending.base_revision, pending.base_blob
                if pending.blob is not None:
                    previous = self._open(vault, key, item_id, base_rev + 1, pending.blob, True).item
            else:
                row = self.cache.item(vault_id, item_id)
                base_rev, base_blob = (row.revision, row.blob) if row else (0, None)
                if row is not None and row.blob is not None:
                    previous = self._open(vault, key, item_id, row.revision, row.blob, False).item
            item = record(previous, item)
            blob = crypto.seal_item(key, UUID(vault_id), UUID(item_id), base_rev + 1, item.to_bytes())
            queued.append((item_id, base_rev, base_blob, blob))
        with self.cache.transaction():
            for item_id, base_rev, base_blob, blob in queued:
                self.cache.queue(vault_id, item_id, base_rev, base_blob, blob)
        return [q[0] for q in queued]

    def purge(self, vault_id: str, item_id: str) -> None:
        """Delete an item for good (a tombstone); the trash is ``Item.trashed``."""
        self._writable(vault_id)
        base_rev, base_blob = self._base(vault_id, item_id)
        with self.cache.transaction():
            if base_rev == 0:
                self.cache.drop_pending(vault_id, item_id)  # never reached the server
            else:
                self.cache.queue(vault_id, item_id, base_rev, base_blob, None)

    def _base(self, vault_id: str, item_id: str) -> tuple[int, bytes | None]:
        p = self.cache.pending_row(vault_id, item_id)
        if p is not None:
            return p.base_revision, p.base_blob
        row = self.cache.item(vault_id, item_id)
        return (row.revision, row.blob) if row else (0, None)

    def _writable(self, vault_id: str) -> VaultRow:
        vault = self.cache.vault(vault_id)
        if vault is None:
            raise UsageError(f"unknown vault {vault_id}")
        if vault.role == "viewer":
            raise UsageError("you can only view this vault", hint="ask an owner for the editor role")
        return vault

    def conflicted(self) -> list[Entry]:
        return [e for e in self.entries(trashed=None) if e.item.conflicts]

    def pending_count(self) -> int:
        return len(self.cache.pending())

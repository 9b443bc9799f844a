"""What the agent does for the CLI: the vault operations, with the keys kept in this process."""

from __future__ import annotations

from typing import Any

from vault_client import state
from vault_client.cache import Cache
from vault_client.errors import UsageError
from vault_client.items.model import Item, ItemFormatError
from vault_client.entry import Entry
from vault_client.vault import VaultView, find_one


class AgentService:
    def __init__(self, account: state.AccountState, keychain, cache: Cache) -> None:
        self.account = account
        self.account_id = account.account_id
        self.keychain = keychain
        self.cache = cache
        self.view = VaultView(cache, keychain)
        self._entries: list[Entry] | None = None
        self._seen_version: int | None = None
        self._index: tuple[list[Entry], Any, dict[str, Entry]] | None = None  # search index of _entries

    @classmethod
    def unlock(cls, password: str) -> AgentService:
        from vault_client.account import open_cache, unlock

        account = state.load_account()
        keychain = unlock(account, password)
        return cls(account, keychain, open_cache(account))

    def forget(self) -> None:
        self.keychain = None
        self.view = None  # type: ignore[assignment]
        self._entries = None
        self._index = None

    def close(self) -> None:
        self.cache.close()

    # -- entries, refreshed when the cache file changes ----------------------------------------

    def _all(self) -> list[Entry]:
        version = self.cache.data_version()
        if self._entries is None or version != self._seen_version:
            self._entries = self.view.entries(trashed=None)
            self._seen_version = version
        return self._entries

    def _changed(self) -> None:
        self._entries = None

    def _select(self, vault_ids: list[str] | None, trashed: bool | None) -> list[Entry]:
        out = self._all()
        if vault_ids is not None:
            out = [e for e in out if e.vault_id in vault_ids]
        if trashed is not None:
            out = [e for e in out if (e.item.trashed is not None) == trashed]
        return out

    # -- operations ----------------------------------------------------------------------------

    def call(self, op: str, args: dict[str, Any], progress: Any = None) -> Any:
        handler = getattr(self, f"op_{op}", None)
        if handler is None:
            raise UsageError(f"the agent does not know {op!r}", hint="run `bv lock` and `bv unlock` again")
        if op == "sharing":
            return handler(progress=progress, **args)
        return handler(**args)

    def op_entries(self, vault_ids: list[str] | None = None, trashed: bool | None = False) -> list[dict]:
        return [e.to_wire() for e in self._select(vault_ids, trashed)]

    def op_find(self, ref: str, vault_ids: list[str] | None = None, trashed: bool | None = False) -> dict:
        return self._find(ref, vault_ids, trashed).to_wire()

    def _find(self, ref: str, vault_ids: list[str] | None, trashed: bool | None) -> Entry:
        return find_one(self._select(vault_ids, trashed), ref, include_trashed=trashed is not False)

    def op_get(self, ref: str, field: str | None = None, vault_ids: list[str] | None = None) -> dict:
        from vault_client.errors import FieldNotFound
        from vault_client.items.model import FieldNotFoundError

        entry = self._find(ref, vault_ids, False)
        if field is None:
            return entry.to_wire()
        try:
            value = entry.item.field(field)
        except FieldNotFoundError:
            raise FieldNotFound(f"{entry.item.name!r} has no field {field!r}",
                                hint=f"its fields: {', '.join(entry.item.field_names())}") from None
        return {"item_id": entry.item_id, "vault_id": entry.vault_id, "field": field, "value": value}

    def op_search(self, query: str, limit: int = 20) -> list:
        from vault_client.items.search import SearchIndex

        entries = self._all()
        if self._index is None or self._index[0] is not entries:
            live = [e for e in entries if e.item.trashed is None]
            self._index = (entries, SearchIndex([(e.item_id, e.item) for e in live]), {e.item_id: e for e in live})
        _, index, by_id = self._index
        return [[by_id[i].to_wire(), s] for i, s in index.search(query, limit)]

    def op_save(self, vault_id: str, item: dict, item_id: str | None = None) -> str:
        try:
            parsed = Item.from_dict(item)
        except ItemFormatError as exc:
            raise UsageError(str(exc)) from None
        item_id = self.view.save(vault_id, parsed, item_id)
        self._changed()
        return item_id

    def op_save_many(self, vault_id: str, items: list[list]) -> list[str]:
        try:
            parsed = [(Item.from_dict(doc), item_id) for doc, item_id in items]
        except (ItemFormatError, TypeError, ValueError) as exc:
            raise UsageError(str(exc)) from None
        ids = self.view.save_many(vault_id, parsed)
        self._changed()
        return ids

    def op_purge(self, vault_id: str, item_id: str) -> None:
        self.view.purge(vault_id, item_id)
        self._changed()

    def op_sync(self, push: bool = True, quiet: bool = True) -> dict:
        from vault_client.sync import sync_now

        try:
            return sync_now(self.account, self.cache, self.keychain, push=push, quiet=quiet)
        finally:
            self._changed()

    def op_vault_names(self) -> dict[str, str]:
        return self.view.vault_names()

    def op_sharing(self, method: str, args: dict[str, Any], progress: Any = None) -> Any:
        from vault_client.sharing import Sharing
        from vault_client.transport import Api

        if method not in SHARING_METHODS:
            raise UsageError(f"the agent does not know {method!r}")
        api = Api(self.account.server, state.load_session().token)
        try:
            sharing = Sharing(self.cache, self.keychain, api, self.account.email)
            if method == "remove":
                return sharing.remove(progress=progress, **args)
            return getattr(sharing, method)(**args)
        finally:
            api.close()
            self._changed()


SHARING_METHODS = frozenset({"create_vault", "share", "invitations", "accept", "decline", "members", "leave",
                             "remove", "vault_list", "add_contact"})

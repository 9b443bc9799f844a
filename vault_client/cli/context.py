"""What one command needs, made lazily: account state, unlocked keys, the cache, the server."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from vault_client import state
from vault_client.cli import output, prompts
from vault_client.errors import NotLoggedIn, ServerUnreachable

if TYPE_CHECKING:
    from vault_client.cache import Cache
    from vault_client.keychain import Keychain
    from vault_client.sync import SyncEngine, SyncReport
    from vault_client.transport import Api
    from vault_client.vault import VaultView


class Context:
    def __init__(self) -> None:
        self._closers: list = []

    @cached_property
    def account(self) -> state.AccountState:
        return state.load_account()

    @cached_property
    def api(self) -> Api:
        from vault_client.transport import Api

        try:
            token = state.load_session().token
        except NotLoggedIn:
            token = None
        api = Api(self.account.server, token)
        self._closers.append(api)
        return api

    @cached_property
    def keychain(self) -> Keychain:
        from vault_client.account import unlock

        return unlock(self.account, prompts.account_password())

    @cached_property
    def cache(self) -> Cache:
        from vault_client.account import open_cache

        cache = open_cache(self.account)
        self._closers.append(cache)
        return cache

    @cached_property
    def view(self) -> VaultView:
        from vault_client.vault import VaultView

        return VaultView(self.cache, self.keychain)

    @cached_property
    def engine(self) -> SyncEngine:
        from vault_client.sync import SyncEngine

        return SyncEngine(self.cache, self.keychain, self.api)

    def default_vault_id(self) -> str:
        from vault_client.account import personal_vault

        if not self.cache.vaults():
            self.sync_quietly()
        vault = personal_vault(self.account, self.cache)
        if vault is None:
            raise NotLoggedIn("no vault is known on this device yet", hint="run `bv sync` while online")
        return vault.vault_id

    def sync_quietly(self, *, push: bool = True) -> SyncReport | None:
        """Sync if the server answers; offline, say so in one line and go on with the cache."""
        try:
            report = self.engine.pull()
            if push:
                self.engine.push(report)
        except ServerUnreachable:
            pending = self.cache.pending()
            extra = f"; {len(pending)} change(s) queued for the next sync" if pending else ""
            output.notice(f"offline: using the local cache{extra}")
            return None
        except NotLoggedIn:
            output.notice("not logged in: using the local cache; run `bv login` to sync")
            return None
        if report.conflicts:
            output.warn(f"{len(report.conflicts)} item(s) were edited on two devices; both values are kept "
                        "(see `bv status`)")
        return report

    def close(self) -> None:
        for obj in reversed(self._closers):
            try:
                obj.close()
            except Exception:  # noqa: BLE001 - closing must not mask the command's own outcome
                pass

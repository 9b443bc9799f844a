"""What one command needs, made lazily: account state, the vault view, the cache, the server.

When an agent is running (`bv unlock`), the view and sync go through it and this process never
holds a key. Without one, the keys are derived here from the password (prompt or BV_PASSWORD_FILE)
and forgotten when the command ends.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from vault_client import state
from vault_client.cli import output, prompts
from vault_client.errors import NotLoggedIn

if TYPE_CHECKING:
    from vault_client.agent.protocol import Connection
    from vault_client.cache import Cache
    from vault_client.keychain import Keychain
    from vault_client.transport import Api


class Context:
    def __init__(self) -> None:
        self._closers: list = []

    @cached_property
    def account(self) -> state.AccountState:
        return state.load_account()

    @cached_property
    def agent(self) -> Connection | None:
        from vault_client.agent.protocol import connect

        conn = connect()
        if conn is not None:
            self._closers.append(conn)
        return conn

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
    def view(self) -> Any:
        self.account  # noqa: B018 - fail early with "not set up"
        if self.agent is not None:
            from vault_client.agent.remote import RemoteView

            return RemoteView(self.agent)
        from vault_client.vault import VaultView

        return VaultView(self.cache, self.keychain)

    @cached_property
    def sharing(self) -> Any:
        """Shared-vault operations: in the agent when one runs, else here."""
        self.account  # noqa: B018
        if self.agent is not None:
            from vault_client.agent.remote import RemoteSharing

            return RemoteSharing(self.agent)
        from vault_client.sharing import Sharing

        return Sharing(self.cache, self.keychain, self.api, self.account.email)

    def default_vault_id(self) -> str:
        from vault_client.account import personal_vault

        if not self.cache.vaults():
            self.sync_quietly()
        vault = personal_vault(self.account, self.cache)
        if vault is None:
            raise NotLoggedIn("no vault is known on this device yet", hint="run `bv sync` while online")
        return vault.vault_id

    def sync(self, *, push: bool = True, quiet: bool = False) -> dict[str, Any]:
        """Pull (and push) now. Quiet: offline or logged out is a notice, not an error."""
        if self.agent is not None:
            from vault_client.agent.remote import call

            doc = call(self.agent, "sync", push=push, quiet=quiet)
        else:
            doc = self._sync_here(push, quiet)
        if doc.get("offline"):
            extra = f"; {doc['queued']} change(s) queued for the next sync" if doc.get("queued") else ""
            if doc.get("reason") == "logged_out":
                output.notice(f"not logged in: using the local cache{extra}; run `bv login` to sync")
            elif doc.get("reason"):
                output.notice(f"sync failed ({doc['reason']}); local changes are kept{extra}")
            else:
                output.notice(f"offline: using the local cache{extra}")
        elif doc.get("conflicts"):
            output.warn(f"{len(doc['conflicts'])} item(s) were edited on two devices; both values are kept "
                        "(see `bv status`)")
        return doc

    def _sync_here(self, push: bool, quiet: bool) -> dict[str, Any]:
        from vault_client.sync import sync_now

        return sync_now(self.account, self.cache, self.keychain, push=push, quiet=quiet)

    def sync_quietly(self) -> dict[str, Any]:
        return self.sync(quiet=True)

    def close(self) -> None:
        for obj in reversed(self._closers):
            try:
                obj.close()
            except Exception:  # noqa: BLE001 - closing must not mask the command's own outcome
                pass

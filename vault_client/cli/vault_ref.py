"""Turning a `--vault` argument into a vault id: a name, an id or id prefix, or `personal`."""

from __future__ import annotations

from vault_client.cli.context import Context
from vault_client.errors import UsageError


def resolve_vault(ctx: Context, ref: str) -> str:
    if ref.lower() == "personal":
        return ctx.default_vault_id()
    if not ctx.cache.vaults():
        ctx.sync_quietly()
    ids = [v.vault_id for v in ctx.cache.vaults()]
    if ref.lower() in ids:
        return ref.lower()
    names = ctx.view.vault_names()
    by_name = [vid for vid, name in names.items() if name.casefold() == ref.casefold()]
    if len(by_name) == 1:
        return by_name[0]
    by_prefix = [vid for vid in ids if len(ref) >= 4 and vid.startswith(ref.lower())]
    if len(by_prefix) == 1:
        return by_prefix[0]
    if len(by_name) > 1:
        raise UsageError(f"several vaults are called {ref!r}", hint="use the vault id from `bv vault list`")
    raise UsageError(f"no vault matches {ref!r}", hint="see `bv vault list`")

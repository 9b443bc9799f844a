"""Turning a `--vault` argument into a vault id."""

from __future__ import annotations

from vault_client.cli.context import Context
from vault_client.errors import UsageError


def resolve_vault(ctx: Context, ref: str) -> str:
    """A vault id, an unambiguous id prefix, or `personal`."""
    if ref.lower() == "personal":
        return ctx.default_vault_id()
    if not ctx.cache.vaults():
        ctx.sync_quietly()
    ids = [v.vault_id for v in ctx.cache.vaults() if v.vault_id.startswith(ref.lower())]
    if len(ids) != 1:
        raise UsageError(f"no single vault matches {ref!r}", hint="see `bv vault list`")
    return ids[0]

"""Commands that change items or the cache: edit, rm, restore, generate, sync."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from vault_client.cli import output, prompts
from vault_client.cli.context import Context
from vault_client.cli.item_cmds import VaultOpt, _run, _save_and_sync, _vault_id
from vault_client.errors import UsageError


def edit(
    ref: Annotated[str, typer.Argument(help="Item name, id or URL.")],
    name: Annotated[Optional[str], typer.Option(help="New name.")] = None,
    username: Annotated[Optional[str], typer.Option(help="New user name.")] = None,
    url: Annotated[Optional[list[str]], typer.Option(help="Replace the URLs (repeatable).")] = None,
    add_url: Annotated[Optional[list[str]], typer.Option(help="Add a URL (repeatable).")] = None,
    password: Annotated[bool, typer.Option("--password", help="Set a new password (prompt or stdin).")] = False,
    generate: Annotated[bool, typer.Option(help="Generate a new password.")] = False,
    length: Annotated[int, typer.Option(help="Length of a generated password.")] = 20,
    notes: Annotated[bool, typer.Option("--notes", help="Replace the notes (stdin or $EDITOR).")] = False,
    set_: Annotated[Optional[list[str]], typer.Option(
        "--set", help="FIELD=VALUE for a non-secret field (repeatable).")] = None,
    secret: Annotated[Optional[str], typer.Option(
        help="Set this concealed field, value from a hidden prompt or stdin.")] = None,
    tag: Annotated[Optional[list[str]], typer.Option(help="Replace the tags (repeatable).")] = None,
    resolve: Annotated[bool, typer.Option(help="Drop the values kept aside by a conflict.")] = False,
    vault: VaultOpt = None,
) -> None:
    """Change an item. Old values stay recoverable from other devices' history until synced."""
    from vault_client.items.model import ItemFormatError

    def go(ctx: Context) -> None:
        vault_ids = [_vault_id(ctx, vault)] if vault else None
        entry = ctx.view.find(ref, vault_ids, trashed=None)
        item = entry.item.copy()
        try:
            if name is not None:
                item.set_field("name", name)
            if username is not None:
                item.set_field("username", username)
            if url is not None:
                item.urls = list(url)
            if add_url:
                item.urls = item.urls + [u for u in add_url if u not in item.urls]
            if password or generate:
                if generate:
                    from vault_client.items.generate import generate_password

                    item.set_field("password", generate_password(length=length))
                else:
                    item.set_field("password", prompts.secret_value("New password: "))
            if notes:
                item.set_field("notes", prompts.text_body(item.notes))
            for assignment in set_ or []:
                key, sep, value = assignment.partition("=")
                if not sep or not key.strip():
                    raise UsageError(f"--set needs FIELD=VALUE, got {key!r}")
                item.set_field(key, value or None)
            if secret:
                item.set_field(secret, prompts.secret_value(f"{secret}: "), concealed=True)
            if tag is not None:
                item.tags = list(tag)
            if resolve:
                item.clear_conflicts()
            item.touch()
        except ItemFormatError as exc:
            raise UsageError(str(exc)) from None
        if item.to_bytes() == entry.item.to_bytes():
            raise UsageError("nothing to change", hint="see `bv edit --help` for what can be changed")
        _save_and_sync(ctx, entry.vault_id, item, entry.item_id)
        output.out(f"Updated {item.name!r}.")

    _run(go)


def rm(
    ref: Annotated[str, typer.Argument(help="Item name, id or URL.")],
    purge: Annotated[bool, typer.Option(help="Delete for good instead of moving to the trash.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation of --purge.")] = False,
    vault: VaultOpt = None,
) -> None:
    """Move an item to the trash (`bv restore` brings it back); --purge deletes it for good."""
    from vault_client.errors import Cancelled

    def go(ctx: Context) -> None:
        vault_ids = [_vault_id(ctx, vault)] if vault else None
        entry = ctx.view.find(ref, vault_ids, trashed=None if purge else False)
        if purge:
            if not prompts.confirm(f"Delete {entry.item.name!r} for good?", assume_yes=yes):
                raise Cancelled()
            ctx.view.purge(entry.vault_id, entry.item_id)
            ctx.sync_quietly()
            output.out(f"Deleted {entry.item.name!r} for good.")
            return
        item = entry.item.copy()
        item.trash()
        _save_and_sync(ctx, entry.vault_id, item, entry.item_id)
        output.out(f"Moved {item.name!r} to the trash; `bv restore {entry.item_id[:8]}` brings it back.")

    _run(go)


def restore(
    ref: Annotated[str, typer.Argument(help="Item name or id in the trash.")],
    vault: VaultOpt = None,
    version: Annotated[Optional[int], typer.Option(
        "--version", help="Make this earlier version current instead (see `bv history NAME`).")] = None,
) -> None:
    """Bring an item back from the trash, or (--version N) make an earlier version current."""

    def go(ctx: Context) -> None:
        vault_ids = [_vault_id(ctx, vault)] if vault else None
        if version is not None:
            from vault_client.items.history import restore as restore_version
            from vault_client.items.model import ItemFormatError

            entry = ctx.view.find(ref, vault_ids, trashed=None)
            try:
                item = restore_version(entry.item, version)
            except ItemFormatError as exc:
                raise UsageError(str(exc), hint=f"see `bv history {entry.item_id[:8]}`") from None
            _save_and_sync(ctx, entry.vault_id, item, entry.item_id)
            output.out(f"Restored version {version} of {item.name!r}; the version it replaced is now version 1.")
            return
        entry = ctx.view.find(ref, vault_ids, trashed=True)
        item = entry.item.copy()
        item.restore()
        _save_and_sync(ctx, entry.vault_id, item, entry.item_id)
        output.out(f"Restored {item.name!r}.")

    _run(go)


def generate(
    length: Annotated[int, typer.Option(help="Number of characters.")] = 20,
    words: Annotated[Optional[int], typer.Option(help="A passphrase of N words instead.")] = None,
    no_symbols: Annotated[bool, typer.Option(help="Letters and digits only.")] = False,
    no_digits: Annotated[bool, typer.Option(help="No digits.")] = False,
    no_upper: Annotated[bool, typer.Option(help="No upper-case letters.")] = False,
    avoid_ambiguous: Annotated[bool, typer.Option(help="Avoid look-alike characters (0/O, 1/l...).")] = False,
    separator: Annotated[str, typer.Option(help="Word separator for passphrases.")] = "-",
) -> None:
    """Print a new random password or passphrase (nothing is stored)."""
    from vault_client.items import generate as g

    try:
        if words:
            value = g.generate_passphrase(words=words, separator=separator)
        else:
            value = g.generate_password(length=length, symbols=not no_symbols, digits=not no_digits,
                                        upper=not no_upper, avoid_ambiguous=avoid_ambiguous)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    output.out(value)


def sync(
    rebuild: Annotated[bool, typer.Option(help="Set aside the local cache and fetch everything again.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Fetch what changed on the server and send queued changes; verify everything."""
    if rebuild:
        _set_aside_cache()

    def go(ctx: Context) -> None:
        doc = ctx.sync(quiet=False)
        summary = {"pulled": doc["pulled"], "pushed": doc["pushed"], "merged": len(doc["merged"]),
                   "conflicts": len(doc["conflicts"]), "removed_vaults": doc["removed_vaults"]}
        if json_:
            output.emit_json(summary)
            return
        output.out(f"Synced: {summary['pulled']} item change(s) received, {summary['pushed']} sent"
                   + (f", {summary['merged']} merged" if summary["merged"] else "") + ".")

    _run(go)


def _set_aside_cache() -> None:
    import time

    from vault_client.paths import state_dir

    home = state_dir()
    stamp = time.strftime("%Y%m%d%H%M%S")
    for path in home.glob("cache.sqlite3*"):
        if ".damaged-" not in path.name:
            path.rename(home / f"{path.name}.damaged-{stamp}")

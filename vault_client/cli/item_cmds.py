"""Item commands: add, get, list, search, edit, rm, restore."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from vault_client.cli import output, prompts
from vault_client.cli.context import Context
from vault_client.cli.render import entry_json, show_entry, summary_row
from vault_client.errors import FieldNotFound, UsageError

add_app = typer.Typer(help="Add an item: login, note, card or identity.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
VaultOpt = Annotated[Optional[str], typer.Option("--vault", help="Vault name or id (default: your personal vault).")]
TagOpt = Annotated[Optional[list[str]], typer.Option("--tag", help="A tag (repeatable).")]


def _item_error(exc: Exception) -> UsageError:
    return UsageError(str(exc))


def _save_and_sync(ctx: Context, vault_id: str, item, item_id: str | None = None) -> str:
    from vault_client.items.model import ItemFormatError

    try:
        item.validate()
    except ItemFormatError as exc:
        raise _item_error(exc) from None
    item_id = ctx.view.save(vault_id, item, item_id)
    ctx.sync_quietly()
    return item_id


def _vault_id(ctx: Context, vault: str | None) -> str:
    if vault is None:
        return ctx.default_vault_id()
    from vault_client.cli.vault_ref import resolve_vault

    return resolve_vault(ctx, vault)


def _password_for(generate: bool, length: int, words: int | None) -> str:
    if generate or words:
        from vault_client.items.generate import generate_passphrase, generate_password

        return generate_passphrase(words=words) if words else generate_password(length=length)
    return prompts.secret_value("Password: ")


def _run(fn):
    ctx = Context()
    try:
        return fn(ctx)
    finally:
        ctx.close()


@add_app.command("login")
def add_login(
    name: str,
    username: Annotated[Optional[str], typer.Option(help="User name or email.")] = None,
    url: Annotated[Optional[list[str]], typer.Option(help="A URL (repeatable).")] = None,
    generate: Annotated[bool, typer.Option(help="Generate the password instead of asking.")] = False,
    length: Annotated[int, typer.Option(help="Length of a generated password.")] = 20,
    words: Annotated[Optional[int], typer.Option(help="Generate a passphrase of N words.")] = None,
    tag: TagOpt = None,
    vault: VaultOpt = None,
) -> None:
    """Add a login. The password comes from a hidden prompt, stdin, or --generate."""
    from vault_client.items.model import new_item

    def go(ctx: Context) -> None:
        vault_id = _vault_id(ctx, vault)
        password = _password_for(generate, length, words)
        fields = {"username": username, "password": password}
        item = _new(new_item, "login", name, fields=fields, urls=url or [], tags=tag or [])
        item_id = _save_and_sync(ctx, vault_id, item)
        output.out(f"Added login {name!r} ({item_id[:8]}).")

    _run(go)


def _new(factory, *args, **kwargs):
    from vault_client.items.model import ItemFormatError

    try:
        return factory(*args, **{k: v for k, v in kwargs.items() if v is not None})
    except ItemFormatError as exc:
        raise _item_error(exc) from None


@add_app.command("note")
def add_note(name: str, tag: TagOpt = None, vault: VaultOpt = None) -> None:
    """Add a secure note; the text comes from stdin, or from $EDITOR at a terminal."""
    from vault_client.items.model import new_item

    def go(ctx: Context) -> None:
        vault_id = _vault_id(ctx, vault)
        body = prompts.text_body()
        item = _new(new_item, "note", name, notes=body, tags=tag or [])
        item_id = _save_and_sync(ctx, vault_id, item)
        output.out(f"Added note {name!r} ({item_id[:8]}).")

    _run(go)


@add_app.command("card")
def add_card(
    name: str,
    cardholder: Annotated[Optional[str], typer.Option(help="Name on the card.")] = None,
    expiry: Annotated[Optional[str], typer.Option(help="Expiry, e.g. 2029-04.")] = None,
    brand: Annotated[Optional[str], typer.Option(help="Visa, Mastercard...")] = None,
    tag: TagOpt = None,
    vault: VaultOpt = None,
) -> None:
    """Add a payment card. Number, CVV and PIN come from hidden prompts (or stdin, one per line)."""
    from vault_client.items.model import new_item

    def go(ctx: Context) -> None:
        vault_id = _vault_id(ctx, vault)
        number = prompts.secret_value("Card number: ")
        cvv = prompts.secret_value("CVV (empty to skip): ", allow_empty=True) or None
        pin = prompts.secret_value("PIN (empty to skip): ", allow_empty=True) or None
        fields = {"cardholder": cardholder, "number": number.replace(" ", ""), "expiry": expiry,
                  "cvv": cvv, "pin": pin, "brand": brand}
        item = _new(new_item, "card", name, fields={k: v for k, v in fields.items() if v}, tags=tag or [])
        item_id = _save_and_sync(ctx, vault_id, item)
        output.out(f"Added card {name!r} ({item_id[:8]}).")

    _run(go)


@add_app.command("identity")
def add_identity(
    name: str,
    first_name: Annotated[Optional[str], typer.Option()] = None,
    last_name: Annotated[Optional[str], typer.Option()] = None,
    email: Annotated[Optional[str], typer.Option()] = None,
    phone: Annotated[Optional[str], typer.Option()] = None,
    address: Annotated[Optional[str], typer.Option()] = None,
    tag: TagOpt = None,
    vault: VaultOpt = None,
) -> None:
    """Add an identity (name, email, phone, address)."""
    from vault_client.items.model import new_item

    def go(ctx: Context) -> None:
        vault_id = _vault_id(ctx, vault)
        fields = {"first_name": first_name, "last_name": last_name, "email": email, "phone": phone,
                  "address": address}
        item = _new(new_item, "identity", name, fields={k: v for k, v in fields.items() if v}, tags=tag or [])
        item_id = _save_and_sync(ctx, vault_id, item)
        output.out(f"Added identity {name!r} ({item_id[:8]}).")

    _run(go)


def get(
    ref: Annotated[str, typer.Argument(help="Item name, id (or id prefix) or URL.")],
    field: Annotated[Optional[str], typer.Option(help="Print only this field's bare value.")] = None,
    json_: JsonOpt = False,
    copy: Annotated[bool, typer.Option(help="Copy the value (default: password) to the clipboard.")] = False,
    show: Annotated[bool, typer.Option(help="Show concealed fields.")] = False,
    vault: VaultOpt = None,
    attachment: Annotated[Optional[str], typer.Option(help="Download this attached file (with -o).")] = None,
    output_: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Where --attachment writes the file (0600; - for stdout).")] = None,
) -> None:
    """Show an item, or one field of it (--field password prints the bare value for scripts)."""
    from vault_client.items.model import FieldNotFoundError

    def go(ctx: Context) -> None:
        vault_ids = [_vault_id(ctx, vault)] if vault else None
        entry = ctx.view.find(ref, vault_ids)
        if attachment is not None:
            from vault_client.cli.daily_cmds import download_attachment

            return download_attachment(ctx, entry, attachment, output_)
        if field or copy:
            name = field or ("password" if entry.item.type == "login" else "notes")
            try:
                value = entry.item.field(name)
            except FieldNotFoundError:
                raise FieldNotFound(f"{entry.item.name!r} has no field {name!r}",
                                    hint=f"its fields: {', '.join(entry.item.field_names())}") from None
            if copy:
                from vault_client.cli.clipboard import copy_with_timeout

                seconds = copy_with_timeout(value)
                output.out(f"Copied {name} of {entry.item.name!r}; the clipboard clears in {seconds} s.")
            elif json_:
                output.emit_json({"item_id": entry.item_id, "field": name, "value": value})
            else:
                output.out(value)
            return
        if json_:
            output.emit_json(entry_json(entry, reveal=True))
        else:
            show_entry(entry, reveal=show)

    _run(go)


def list_(
    json_: JsonOpt = False,
    trash: Annotated[bool, typer.Option(help="List the trash instead.")] = False,
    tag: Annotated[Optional[str], typer.Option(help="Only items with this tag.")] = None,
    vault: VaultOpt = None,
) -> None:
    """List items (names, usernames, URLs; never secrets)."""

    def go(ctx: Context) -> None:
        vault_ids = [_vault_id(ctx, vault)] if vault else None
        entries = ctx.view.entries(vault_ids, trashed=trash)
        if tag:
            entries = [e for e in entries if tag in e.item.tags]
        if json_:
            output.emit_json([entry_json(e, reveal=False) for e in entries])
            return
        output.table(["id", "type", "name", "username", "url"], [summary_row(e) for e in entries])

    _run(go)


def search(
    query: str,
    json_: JsonOpt = False,
    limit: Annotated[int, typer.Option(help="At most this many results.")] = 20,
) -> None:
    """Search names, usernames, URLs and tags, forgiving typos."""

    def go(ctx: Context) -> None:
        hits = ctx.view.search(query, limit=limit)
        if json_:
            output.emit_json([{**entry_json(e, reveal=False), "score": s} for e, s in hits])
            return
        output.table(["id", "type", "name", "username", "url"], [summary_row(e) for e, _ in hits])

    _run(go)

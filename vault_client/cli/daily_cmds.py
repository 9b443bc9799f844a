"""Everyday commands: totp, history, run, inject, health, attach (and `bv get --attachment`)."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from vault_client.cli import output
from vault_client.cli.context import Context
from vault_client.cli.item_cmds import JsonOpt, VaultOpt, _run, _save_and_sync, _vault_id
from vault_client.cli.render import HIDDEN
from vault_client.errors import BvError, FieldNotFound, UsageError

ShowOpt = Annotated[bool, typer.Option("--show", help="Show the values too (secrets included).")]
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_TEMPLATE_BYTES = 4 * 1024 * 1024


def _vaults(ctx: Context, vault: str | None) -> list[str] | None:
    return [_vault_id(ctx, vault)] if vault else None


# -- bv totp -------------------------------------------------------------------------------------

def totp(
    ref: Annotated[str, typer.Argument(help="Item name, id or URL.")],
    copy: Annotated[bool, typer.Option(help="Copy the code to the clipboard.")] = False,
    json_: JsonOpt = False,
    at: Annotated[Optional[float], typer.Option(
        help="The code at this time instead of now (seconds since 1970), e.g. to check a clock.")] = None,
    vault: VaultOpt = None,
) -> None:
    """Print the current one-time code of an item and how many seconds it stays valid."""
    import time

    from vault_client.items.model import FieldNotFoundError
    from vault_client.items.totp import TotpFormatError, parse_totp, totp_code

    def go(ctx: Context) -> None:
        entry = ctx.view.find(ref, _vaults(ctx, vault))
        try:
            spec = parse_totp(entry.item.field("totp"))
            code = totp_code(spec, time.time() if at is None else at)
        except FieldNotFoundError:
            raise FieldNotFound(f"{entry.item.name!r} has no TOTP secret",
                                hint=f"add one with `bv edit {entry.item_id[:8]} --secret totp`") from None
        except TotpFormatError as exc:
            raise UsageError(f"the totp field of {entry.item.name!r}: {exc}") from None
        if json_:
            output.emit_json({"item_id": entry.item_id, "name": entry.item.name, "code": code.code,
                              "seconds_left": code.seconds_left, "period": code.period})
        elif copy:
            from vault_client.cli.clipboard import copy_with_timeout

            seconds = copy_with_timeout(code.code)
            output.out(f"Copied the code of {entry.item.name!r} ({code.seconds_left} s left); "
                       f"the clipboard clears in {seconds} s.")
        else:
            output.out(code.code)
            output.notice(f"valid for {code.seconds_left} more second(s)")

    _run(go)


# -- bv history ----------------------------------------------------------------------------------

def _shown(item: Any, key: str, reveal: bool) -> str:
    from vault_client.items.merge import flatten

    value = flatten(item).get(key)
    if key == "attachments":
        return ", ".join(a.name for a in item.attachments) or "(none)"
    concealed = (key.startswith("fields.") and item.is_concealed(key[7:])) or \
        (key.startswith("custom.") and isinstance(value, dict) and value.get("concealed"))
    if concealed and not reveal:
        return HIDDEN
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    return "(not set)" if value is None else value if isinstance(value, str) else json.dumps(value)


def _version_doc(version: Any, show: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {"version": version.number, "modified": version.item.modified,
                           "changed": version.changed}
    if show:
        item = version.item.to_dict()
        item.pop("v", None)
        item.pop("attachments", None)
        doc["item"] = item
    return doc


def history(
    ref: Annotated[str, typer.Argument(help="Item name, id or URL.")],
    field: Annotated[Optional[str], typer.Option(help="The values one field had (e.g. password).")] = None,
    show: ShowOpt = False,
    json_: JsonOpt = False,
    vault: VaultOpt = None,
) -> None:
    """List an item's earlier versions and what each edit changed (`bv restore NAME --version N`)."""
    from vault_client.items.history import field_timeline, versions

    def go(ctx: Context) -> None:
        entry = ctx.view.find(ref, _vaults(ctx, vault), trashed=None)
        item = entry.item
        if field:
            hide = item.is_concealed(field) and not show
            runs = [{"since": since, "value": HIDDEN if hide and v is not None else v, "current": i == 0}
                    for i, (since, v) in enumerate(field_timeline(item, field))]
            if json_:
                output.emit_json({"item_id": entry.item_id, "field": field, "values": runs})
                return
            output.table(["since", field, ""], [[r["since"], "(not set)" if r["value"] is None else r["value"],
                                                  "current" if r["current"] else ""] for r in runs])
            return
        kept = versions(item)
        if json_:
            output.emit_json({"item_id": entry.item_id, "name": item.name,
                              "versions": [_version_doc(v, show) for v in kept]})
            return
        rows = []
        for v in kept:
            what = "(oldest kept)" if v.changed is None else ", ".join(v.changed) or "(no field changed)"
            rows.append([str(v.number) + (" (current)" if v.number == 0 else ""), v.item.modified, what])
            for key in (v.changed or []) if show else []:
                rows.append(["", "", f"  {key} = {_shown(v.item, key, True)}"])
        output.table(["version", "modified", "changed"], rows)

    _run(go)


# -- bv run and bv inject ------------------------------------------------------------------------

def _resolver(ctx: Context):
    from vault_client.cli.vault_ref import resolve_vault
    from vault_client.secret_refs import Resolver

    return Resolver(ctx.view, lambda name: resolve_vault(ctx, name))


def _child_environment(ctx: Context, assignments: list[str]) -> dict[str, str]:
    from vault_client.secret_refs import is_reference, parse_reference

    env = dict(os.environ)
    wanted = {name: parse_reference(value) for name, value in env.items() if is_reference(value)}
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep or not _ENV_NAME.fullmatch(name):
            raise UsageError(f"--env needs NAME=VALUE, got {name!r}")
        if is_reference(value):
            wanted[name] = parse_reference(value)
        else:
            wanted.pop(name, None)
            env[name] = value
    values = _resolver(ctx).resolve_all(wanted.values()) if wanted else {}
    env.update({name: values[ref] for name, ref in wanted.items()})
    return env


def run(
    command: Annotated[Optional[list[str]], typer.Argument(help="The command and its arguments, after --.")] = None,
    env: Annotated[Optional[list[str]], typer.Option(
        "--env", "-e", help="NAME=bv://VAULT/ITEM/FIELD for the command (repeatable).")] = None,
) -> None:
    """Start a command with secrets from the vault in its environment.

    Each --env reference, and every variable of this environment whose value is a bv:// reference,
    is resolved first. The values go to the command's environment only (never a file, never its
    arguments); its exit status is bv's. Example: bv run -e DB_PASSWORD=bv://personal/db/password -- ./app
    """
    if not command:
        raise UsageError("give the command to start", hint="bv run --env NAME=bv://VAULT/ITEM/FIELD -- COMMAND")
    child_env = _run(lambda ctx: _child_environment(ctx, env or []))
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(command[0], command, child_env)  # bv becomes the command: nothing outlives it
    except OSError as exc:
        raise UsageError(f"cannot start {command[0]!r} ({exc.strerror or type(exc).__name__})") from None


def inject(
    input_: Annotated[Optional[Path], typer.Option("--in-file", "-i", help="The template (default: stdin).")] = None,
    output_: Annotated[Optional[Path], typer.Option("--out-file", "-o", help="Where to write (default: stdout).")] = None,
    force: Annotated[bool, typer.Option(help="Replace the output file if it exists.")] = False,
) -> None:
    """Fill the {{ bv://VAULT/ITEM/FIELD }} references of a template.

    The output file is made 0600; when any reference does not resolve, nothing is written.
    """
    from vault_client.paths import write_private, write_private_new
    from vault_client.secret_refs import render_template, template_references

    try:
        raw = input_.read_bytes() if input_ else sys.stdin.buffer.read(MAX_TEMPLATE_BYTES + 1)
        template = raw.decode("utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the template ({exc.strerror or type(exc).__name__})") from None
    except UnicodeDecodeError:
        raise UsageError("the template is not UTF-8 text") from None
    if len(raw) > MAX_TEMPLATE_BYTES:
        raise UsageError(f"the template is larger than {MAX_TEMPLATE_BYTES} bytes")
    refs = template_references(template)
    values = _run(lambda ctx: _resolver(ctx).resolve_all(refs)) if refs else {}
    data = render_template(template, values).encode("utf-8")
    if output_ is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        (write_private if force else write_private_new)(output_, data)
    except FileExistsError:
        raise UsageError(f"{output_} exists", hint="use --force to replace it") from None
    except OSError as exc:
        raise UsageError(f"cannot write {output_} ({exc.strerror or type(exc).__name__})") from None
    output.notice(f"filled {len(refs)} reference(s) into {output_} (mode 0600)")


# -- bv health -----------------------------------------------------------------------------------

def health(
    json_: JsonOpt = False,
    days: Annotated[int, typer.Option(help="Passwords unchanged for longer than this many days are old.")] = 365,
) -> None:
    """Find weak, reused and old passwords (computed on this device; nothing is sent)."""
    from vault_client.health import check

    if days < 1:
        raise UsageError("--days must be at least 1")
    report = _run(lambda ctx: check(ctx.view.entries(trashed=False), max_age_days=days))
    if json_:
        output.emit_json(report.to_json())
        return
    output.out(f"Checked {report.checked} password(s): {len(report.weak)} weak, "
               f"{sum(len(g) for g in report.reused)} reused, {len(report.old)} older than {days} days.")
    if report.weak:
        output.out("\nWeak (estimated guessing work):")
        output.table(["id", "name", "bits"], [[w["item_id"][:8], w["name"], f"{w['bits']:.0f}"] for w in report.weak])
    for i, group in enumerate(report.reused, start=1):
        output.out(f"\nReused password #{i} (the same on {len(group)} items):")
        output.table(["id", "name"], [[r["item_id"][:8], r["name"]] for r in group])
    if report.old:
        output.out("\nOld:")
        output.table(["id", "name", "unchanged since", "days"],
                     [[o["item_id"][:8], o["name"], o["since"][:10], str(o["days"])] for o in report.old])
    if report.problems:
        output.out("\nChange them with `bv edit NAME --generate`.")


# -- bv attach and bv get --attachment -----------------------------------------------------------

def attach(
    ref: Annotated[str, typer.Argument(help="Item name, id or URL.")],
    file: Annotated[Optional[Path], typer.Argument(help="The file to attach.")] = None,
    name: Annotated[Optional[str], typer.Option(help="Store the file under this name.")] = None,
    replace: Annotated[bool, typer.Option(help="Replace an attachment of the same name.")] = False,
    remove: Annotated[Optional[str], typer.Option(help="Remove this attachment (name or id) instead.")] = None,
    purge: Annotated[bool, typer.Option(help="With --remove: delete the file from the server too.")] = False,
    vault: VaultOpt = None,
) -> None:
    """Attach a file to an item (encrypted on this device first), or --remove one."""
    from vault_client import attachments

    if (file is None) == (remove is None):
        raise UsageError("give a FILE to attach, or --remove NAME")

    def go(ctx: Context) -> None:
        entry = ctx.view.find(ref, _vaults(ctx, vault))
        if remove is not None:
            att = attachments.find_attachment(entry.item, remove)
            item = attachments.detach(ctx.api, entry.vault_id, entry.item, att, purge=purge)
            _save_and_sync(ctx, entry.vault_id, item, entry.item_id)
            gone = "; the file is deleted from the server" if purge else ""
            output.out(f"Removed {att.name!r} from {entry.item.name!r}{gone}.")
            return
        assert file is not None
        data = attachments.read_file(file)
        item, att = attachments.attach(ctx.api, entry.vault_id, entry.item, name or file.name, data,
                                       replace=replace)
        try:
            _save_and_sync(ctx, entry.vault_id, item, entry.item_id)
        except BvError:
            try:
                ctx.api.delete_attachment(entry.vault_id, att.id)
            except BvError:
                pass
            raise
        output.out(f"Attached {att.name!r} ({att.size} bytes) to {entry.item.name!r}.")

    _run(go)


def download_attachment(ctx: Context, entry: Any, name: str, out: Path | None) -> None:
    """`bv get NAME --attachment FILE -o OUT`: fetch, check, open, write 0600 (``-o -``: stdout)."""
    from vault_client import attachments
    from vault_client.paths import write_private_new

    if out is None:
        raise UsageError("--attachment needs -o FILE (or -o - for standard output)")
    att = attachments.find_attachment(entry.item, name)
    data = attachments.fetch(ctx.api, entry.vault_id, att)
    if str(out) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        write_private_new(out, data)
    except FileExistsError:
        raise UsageError(f"{out} exists", hint="choose another file name or remove it first") from None
    except OSError as exc:
        raise UsageError(f"cannot write {out} ({exc.strerror or type(exc).__name__})") from None
    output.out(f"Wrote {att.name!r} ({len(data)} bytes) to {out}.")

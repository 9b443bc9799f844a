"""`bv import` and `bv export`: moving items in from other managers and out again.

Import reads the whole file and parses it before anything is written, so a bad entry stops the
import with nothing imported (unless ``--keep-going``). Items already in the target vault (same
content key, see ``vault_client.importers.dedupe``) are not imported again. Each new item is sealed
and queued with ``view.save_many`` in chunks of ``SYNC_EVERY``; one sync at the end sends them.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from vault_client.cli import output, prompts
from vault_client.cli.context import Context
from vault_client.errors import Cancelled, UsageError

EXPORT_PASSWORD_ENV = "BV_EXPORT_PASSWORD_FILE"
PROGRESS_MIN_ITEMS = 200
SYNC_EVERY = 500  # items per sync while importing: the sync engine's batch size
_PLURAL = {"identity": "identities"}
_FORMATS_HELP = ("bitwarden-json, bitwarden-csv, 1pux, 1password-csv, keepassxc-csv, keepass-xml, "
                 "chrome-csv, firefox-csv, blindvault, blindvault-json, or auto")

VaultOpt = Annotated[Optional[str], typer.Option("--vault", help="Vault id (default: your personal vault).")]


def _run(fn: Any) -> Any:
    ctx = Context()
    try:
        return fn(ctx)
    finally:
        ctx.close()


def _vault_id(ctx: Context, vault: str | None) -> str:
    if vault is None:
        return ctx.default_vault_id()
    from vault_client.cli.vault_ref import resolve_vault

    return resolve_vault(ctx, vault)


def _read(file: Path) -> bytes:
    from vault_client.importers.common import MAX_INPUT_BYTES

    try:
        with open(file, "rb") as fh:
            data = fh.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {file} ({exc.strerror or exc.__class__.__name__})") from None
    if len(data) > MAX_INPUT_BYTES:
        raise UsageError(f"{file} is larger than {MAX_INPUT_BYTES // 2**20} MiB")
    return data


def _parse(format: str, data: bytes) -> tuple[str, Any]:
    """Detect, open (a sealed export) and parse: the format name and the ``ParseResult``."""
    from vault_client import export, importers

    try:
        fmt = importers.detect(data) if format == "auto" else format
        if fmt == importers.SEALED_FORMAT:
            if not data.startswith(importers.SEALED_HEADER):
                raise importers.ImportFormatError("this is not an encrypted Blindvault export (it does "
                                                  "not start with the export header)")
            password = prompts.account_password("Export password: ", env=EXPORT_PASSWORD_ENV)
            data, fmt = export.open_sealed(data, password), "blindvault-json"
        return fmt, importers.parse(fmt, data)
    except importers.ImportFormatError as exc:
        raise export.ImportFailed(str(exc)) from None


def import_(
    format: Annotated[str, typer.Argument(metavar="FORMAT", help=_FORMATS_HELP + ".")],
    file: Annotated[Path, typer.Argument(help="The export file to read.")],
    vault: VaultOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Parse and report; write nothing.")] = False,
    keep_going: Annotated[bool, typer.Option("--keep-going", help="Skip entries that cannot be read, and list them.")] = False,
    allow_duplicates: Annotated[bool, typer.Option("--allow-duplicates", help="Import items the vault already holds.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Import items from another password manager's export, or from `bv export`."""
    from vault_client import export, importers

    def go(ctx: Context) -> None:
        data = _read(file)
        fmt, result = _parse(format.strip().lower(), data)
        if result.problems and not keep_going and not dry_run:
            first = result.problems[0]
            more = f" (and {len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
            raise export.ImportFailed(f"{first}{more}",
                                      hint="fix the file, or pass --keep-going to skip the entries "
                                           "that cannot be read")
        parsed = result.items
        vault_id = None
        if not dry_run:
            vault_id = _vault_id(ctx, vault)
            if not allow_duplicates:
                deduper = importers.Deduper(e.item for e in ctx.view.entries([vault_id], trashed=None))
                parsed = [p for p in parsed if not deduper.is_duplicate(p.item)]
            _save_all(ctx, vault_id, [p.item for p in parsed])
        summary = _summary(fmt, file, result, parsed, len(result.items) - len(parsed), vault_id, dry_run)
        if json_:
            output.emit_json(summary)
        else:
            _print_summary(summary)

    _run(go)


def _save_all(ctx: Context, vault_id: str, items: list) -> None:
    """Seal and queue the items in chunks of ``SYNC_EVERY`` (one cache transaction each), then
    sync once at the end; the sync engine sends them in the server's batch size. Offline, they
    simply stay queued for the next sync."""
    bar, task = _progress(len(items))
    try:
        for start in range(0, len(items), SYNC_EVERY):
            chunk = items[start:start + SYNC_EVERY]
            ctx.view.save_many(vault_id, [(item, None) for item in chunk])
            if bar is not None:
                bar.advance(task, len(chunk))
        if items:
            ctx.sync_quietly()
    finally:
        if bar is not None:
            bar.stop()


def _progress(total: int) -> tuple[Any, Any]:
    """A rich progress bar on stderr for a large import at a terminal, else ``(None, None)``."""
    if total < PROGRESS_MIN_ITEMS or not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=True)
    bar.start()
    return bar, bar.add_task("import", total=total)


def _summary(fmt: str, file: Path, result: Any, parsed: list, duplicates: int, vault_id: str | None,
             dry_run: bool) -> dict[str, Any]:
    """What the import did (or, with ``dry_run``, would do), counted over the items written."""
    items = [p.item for p in parsed]
    kinds = Counter(item.type for item in items)
    return {
        "format": fmt, "file": str(file), "dry_run": dry_run, "vault_id": vault_id,
        "imported": 0 if dry_run else len(items), "would_import": len(items) if dry_run else 0,
        "by_type": dict(sorted(kinds.items())),
        "custom_fields": sum(p.custom_fields for p in parsed),
        "history_passwords": sum(p.history_passwords for p in parsed),
        "trashed": sum(1 for item in items if item.trashed), "duplicates": duplicates,
        "skipped": [str(s) for s in result.skipped],
        "bad_entries": [str(p) for p in result.problems],
        "not_carried": sorted(result.not_carried),
    }


def _print_summary(s: dict[str, Any]) -> None:
    count = s["would_import"] if s["dry_run"] else s["imported"]
    kinds = ", ".join(f"{n} {_PLURAL.get(kind, kind + 's') if n != 1 else kind}"
                      for kind, n in s["by_type"].items())
    where = f" into vault {s['vault_id'][:8]}" if s["vault_id"] else ""
    verb = "Would import" if s["dry_run"] else "Imported"
    output.out(f"{verb} {count} item{'s' if count != 1 else ''} ({s['format']}){where}"
               f"{': ' + kinds if kinds else ''}.")
    if s["dry_run"]:
        output.out("  dry run: nothing was written (duplicates are checked only on a real import)")
    if s["custom_fields"]:
        output.out(f"  {s['custom_fields']} source field(s) kept as custom fields")
    if s["history_passwords"]:
        output.out(f"  {s['history_passwords']} old password(s) kept as concealed \"previous password "
                   "(DATE)\" custom fields (item history is not imported yet)")
    if s["trashed"]:
        output.out(f"  {s['trashed']} item(s) from the source's trash or archive "
                   f"{'would go' if s['dry_run'] else 'went'} to the trash (`bv list --trash`)")
    if s["duplicates"]:
        output.out(f"  {s['duplicates']} item(s) already in the vault were not imported again "
                   "(--allow-duplicates imports them)")
    bad = ("Bad entries (the import stops on these unless --keep-going)" if s["dry_run"]
           else "Bad entries skipped (--keep-going)")
    for title, key in (("Skipped", "skipped"), (bad, "bad_entries")):
        if s[key]:
            output.out(f"{title}:")
            for line in s[key]:
                output.out(f"  {line}")
    if s["not_carried"]:
        output.out(f"Not carried (the source's own bookkeeping): {', '.join(s['not_carried'])}.")


def export(
    file: Annotated[Path, typer.Argument(help="The file to write; it must not exist yet.")],
    format: Annotated[str, typer.Option("--format", help="blindvault (encrypted), json or csv.")] = "blindvault",
    vault: Annotated[Optional[str], typer.Option("--vault", help="Only this vault (default: every vault).")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before writing a plain-text export.")] = False,
) -> None:
    """Export items: encrypted under a password you choose, or as plain JSON or CSV."""
    from vault_client import export as exports

    fmt = format.strip().lower()
    if fmt not in exports.EXPORT_FORMATS:
        raise UsageError(f"unknown export format {format!r}", hint="use blindvault, json or csv")
    if os.path.lexists(file):
        raise UsageError(f"{file} already exists", hint="choose a new file name; an export never overwrites")

    def go(ctx: Context) -> None:
        vault_ids = [_vault_id(ctx, vault)] if vault else None
        if fmt != "blindvault":
            output.warn(f"a {fmt} export holds every password in plain text; anyone who can read "
                        "the file can read them all")
            if not prompts.confirm("Write it anyway?", assume_yes=yes):
                raise Cancelled(hint="pass --yes to skip this question, or use --format blindvault")
        items = [e.item for e in ctx.view.entries(vault_ids, trashed=None)]
        if fmt == "blindvault":
            from vault_client.account import new_account_kdf

            password = prompts.account_password("Choose an export password: ", env=EXPORT_PASSWORD_ENV,
                                                confirm=True)
            data = exports.seal(items, password, new_account_kdf())
        else:
            data = exports.to_json(items) if fmt == "json" else exports.to_csv(items)
        _write_new(file, data)
        attached = sum(1 for item in items if getattr(item, "attachments", None))
        if attached:
            output.warn(f"{attached} item(s) have attached files: the export keeps their references "
                        "and keys, not the files; download them separately to keep them")
        output.out(f"Exported {len(items)} item{'s' if len(items) != 1 else ''} to {file} ({fmt}, mode 0600).")
        if fmt == "blindvault":
            output.out(f"Import it with `bv import blindvault {file}`; without the export password "
                       "it cannot be opened.")

    _run(go)


def _write_new(file: Path, data: bytes) -> None:
    from vault_client.paths import write_private_new

    try:
        write_private_new(file, data)
    except FileExistsError:
        raise UsageError(f"{file} already exists", hint="choose a new file name") from None
    except OSError as exc:
        raise UsageError(f"cannot write {file} ({exc.strerror or exc.__class__.__name__})") from None

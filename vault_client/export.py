"""Exports, and the errors of moving items in and out: what `bv export` writes, how a sealed
export is opened again for `bv import blindvault`.

Three formats:

- ``blindvault``: the JSON export document (``vault_client.importers.native``) sealed under a
  password of the user's choice with ``crypto.seal_export`` (Argon2id, then AES-256-GCM; envelope
  kind 0x07, layout in docs/protocol.md). Nothing in it is readable without that password.
- ``json``: the same document in plain text.
- ``csv``: one row per item, for spreadsheets (``CSV_COLUMNS``); lossy only in form (lists are
  one per line in a cell, custom fields and conflicts are JSON in a cell).

The CLI never calls the crypto core itself: sealing and opening happen here.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from vault_client import crypto
from vault_client.errors import BvError, ExitStatus
from vault_client.importers import native
from vault_client.items.model import Item
from vault_client.items.schema import STANDARD_FIELDS

EXPORT_FORMATS = ("blindvault", "json", "csv")


class ImportFailed(BvError):
    """The file cannot be imported; nothing was imported"""

    status = ExitStatus.ERROR


class ExportPasswordWrong(BvError):
    """Wrong export password, or the export file was changed or cut short; nothing was imported"""

    status = ExitStatus.AUTH


class ExportKdfRefused(BvError):
    """The export asks for key-derivation settings outside the allowed bounds; nothing was read"""

    status = ExitStatus.INTEGRITY
    hint = "the file was not made by `bv export`, or it was tampered with"


def _standard_columns() -> list[str]:
    seen: list[str] = []
    for names in STANDARD_FIELDS.values():
        seen += [n for n in names if n not in seen]
    return seen


#: Columns of the CSV export, in order.
CSV_COLUMNS = ("type", "name", "folder", "tags", "urls", *_standard_columns(), "notes", "custom",
               "created", "modified", "trashed", "conflicts")


def to_json(items: Iterable[Item]) -> bytes:
    """The plain export document (``--format json``)."""
    return native.dump(items)


def to_csv(items: Iterable[Item]) -> bytes:
    """The CSV export (``--format csv``): a header row, then one row per item."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        doc = item.to_dict()
        row = {
            "type": item.type, "name": item.name, "folder": item.folder or "",
            "tags": "\n".join(item.tags), "urls": "\n".join(item.urls), "notes": item.notes,
            "custom": json.dumps(doc["custom"], ensure_ascii=False) if item.custom else "",
            "created": item.created, "modified": item.modified, "trashed": item.trashed or "",
            "conflicts": json.dumps(doc["conflicts"], ensure_ascii=False) if item.conflicts else "",
            **item.fields,
        }
        writer.writerow([row.get(column, "") for column in CSV_COLUMNS])
    return buf.getvalue().encode("utf-8")


def seal(items: Iterable[Item], password: str, params: crypto.KdfParams | None = None) -> bytes:
    """The sealed export (``--format blindvault``) of ``items`` under ``password``."""
    return crypto.seal_export(password, native.dump(items), params or crypto.DEFAULT_KDF)


def open_sealed(data: bytes, password: str) -> bytes:
    """The export document inside a sealed export. ``ExportPasswordWrong`` on a wrong password
    or a changed file; ``ExportKdfRefused`` for out-of-bounds parameters (checked first)."""
    try:
        return crypto.open_export(password, data)
    except crypto.KdfParamsError:
        raise ExportKdfRefused() from None
    except crypto.CryptoError:
        raise ExportPasswordWrong(hint="check the password you chose when exporting") from None

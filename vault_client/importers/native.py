"""Blindvault's own export document: the plaintext that ``bv export --format json`` writes and
that ``bv export --format blindvault`` seals under a password.

    {"format": "blindvault-export", "version": 1, "exported": "2026-01-02T03:04:05.000000Z",
     "items": [<item document>, ...]}

Each entry of ``items`` is a complete item document, version 1 (see ``vault_client.items.model``:
type, name, fields, urls, notes, tags, folder, custom, created, modified, trashed, conflicts), so
an export read back gives identical items.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from vault_client.importers.common import ImportFormatError, Parsed, ParseResult, utc_stamp
from vault_client.importers.jsonread import load
from vault_client.items.model import Item, ItemFormatError

NAME = "blindvault-json"
LABEL = "Blindvault export"
FORMAT_MARK = "blindvault-export"
VERSION = 1


def dump(items: Iterable[Item]) -> bytes:
    """The export document for ``items`` (UTF-8 JSON, one item per line for readable diffs)."""
    head = json.dumps({"format": FORMAT_MARK, "version": VERSION, "exported": utc_stamp()},
                      ensure_ascii=False)[:-1]
    lines = [json.dumps(item.to_dict(), ensure_ascii=False, separators=(",", ":")) for item in items]
    body = ",\n  ".join(lines)
    return f'{head}, "items": [\n  {body}\n]}}\n'.encode("utf-8") if lines else \
        f'{head}, "items": []}}\n'.encode("utf-8")


def parse(data: bytes) -> ParseResult:
    doc = load(data, LABEL)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_MARK:
        raise ImportFormatError(f"this is not a {LABEL} (no \"format\": \"{FORMAT_MARK}\")")
    if doc.get("version") != VERSION:
        raise ImportFormatError(f"unsupported {LABEL} version (this client reads version {VERSION})")
    if not isinstance(doc.get("items"), list):
        raise ImportFormatError(f"this {LABEL} has no list of items")
    result = ParseResult(NAME)
    for index, entry in enumerate(doc["items"], 1):
        where = f"item {index}"
        try:
            item = Item.from_dict(entry)
        except ItemFormatError as exc:
            result.problem(where, str(exc))
            continue
        result.items.append(Parsed(where, item))
        result.trashed += item.trashed is not None
    return result

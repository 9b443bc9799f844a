"""KeePassXC CSV export (Database > Export > CSV File).

Header of KeePassXC 2.6 and later (older versions write only the first six columns)::

    "Group","Title","Username","Password","URL","Notes","TOTP","Icon","Last Modified","Created"

``Group`` is the group path separated by ``/``; a leading ``Root`` (the default name of the top
group) is dropped. ``TOTP`` is an ``otpauth://`` URI. ``Icon`` is a number for KeePassXC's icon
set and is not carried.
"""

from __future__ import annotations

from vault_client.importers.common import Draft, ParseResult, iso_timestamp
from vault_client.importers.csvread import CsvFile

NAME = "keepassxc-csv"
LABEL = "KeePassXC CSV"
REQUIRED = ("group", "title", "username", "password", "url", "notes")
_USED = {"group", "title", "username", "password", "url", "notes", "totp", "icon",
         "last modified", "created"}


def group_folder(path: str) -> str:
    """A group path without the top group when it has KeePass's default name ``Root``."""
    parts = [p for p in path.split("/") if p.strip()]
    if parts and parts[0] == "Root":
        parts = parts[1:]
    return "/".join(parts)


def parse(data: bytes) -> ParseResult:
    sheet = CsvFile(data, LABEL, REQUIRED)
    result = ParseResult(NAME)
    result.not_carried.add("icon")
    for row in sheet.rows(result):
        draft = Draft("login", row.get("title"))
        draft.set_folder(group_folder(row.get("group")))
        draft.set("username", row.get("username"))
        draft.set("password", row.get("password"))
        draft.add_url(row.get("url"))
        draft.add_notes(row.get("notes"))
        draft.set("totp", row.get("totp"))
        draft.created = iso_timestamp(row.get("created"))
        draft.modified = iso_timestamp(row.get("last modified"))
        sheet.keep_rest(row, _USED, draft)
        result.add(row.where, draft)
    return result

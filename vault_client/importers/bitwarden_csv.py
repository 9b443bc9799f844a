"""Bitwarden CSV export (personal vault: ``folder``; organisation: ``collections``).

Header (Bitwarden's help, "Condition a .csv for import"; newer exports add ``reprompt``)::

    folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp

``type`` is ``login`` or ``note``; ``fields`` holds custom fields one per line as ``name: value``;
``login_uri`` holds one or more URIs separated by commas (or line breaks); ``favorite`` is ``1``.
"""

from __future__ import annotations

from vault_client.importers.common import FAVORITE_TAG, Draft, ImportFormatError, ParseResult, split_tags
from vault_client.importers.csvread import CsvFile

NAME = "bitwarden-csv"
LABEL = "Bitwarden CSV"
REQUIRED = ("type", "name", "notes", "fields", "login_uri", "login_username", "login_password",
            "login_totp")
_USED = {"folder", "collections", "favorite", "type", "name", "notes", "fields", "reprompt",
         "login_uri", "login_username", "login_password", "login_totp"}


def parse(data: bytes) -> ParseResult:
    sheet = CsvFile(data, LABEL, REQUIRED)
    if "folder" not in sheet.header and "collections" not in sheet.header:
        raise ImportFormatError(f"this is not a {LABEL} file: the header has neither folder nor "
                                "collections", "line 1")
    result = ParseResult(NAME)
    result.not_carried.add("master password re-prompt setting")
    for row in sheet.rows(result):
        kind = row.get("type").strip().lower() or "login"
        if kind not in ("login", "note"):
            result.problem(row.where, f"unknown item type {kind[:20]!r} (expected login or note)")
            continue
        draft = Draft(kind, row.get("name"))
        draft.set_folder(row.get("folder"))
        for tag in split_tags(row.get("collections")):
            draft.add_tag(tag)
        if row.get("favorite").strip() in ("1", "true"):
            draft.add_tag(FAVORITE_TAG)
        draft.add_notes(row.get("notes"))
        for line in row.get("fields").replace("\r\n", "\n").split("\n"):
            name, sep, value = line.partition(": ")
            if sep:
                draft.add_custom(name, value)
            elif line.strip():
                draft.add_custom("field", line)
        for uri in row.get("login_uri").replace("\n", ",").split(","):
            draft.add_url(uri)
        draft.set("username", row.get("login_username"))
        draft.set("password", row.get("login_password"))
        draft.set("totp", row.get("login_totp"))
        sheet.keep_rest(row, _USED, draft)
        result.add(row.where, draft)
    return result

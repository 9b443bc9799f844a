"""Chrome / Chromium / Edge password export (Settings > Passwords > Export passwords).

Header: ``name,url,username,password`` and, since Chrome 113, ``note``. Every row is a login;
``name`` is usually the site's host.
"""

from __future__ import annotations

from vault_client.importers.common import Draft, ParseResult
from vault_client.importers.csvread import CsvFile

NAME = "chrome-csv"
LABEL = "Chrome CSV"
REQUIRED = ("name", "url", "username", "password")
_USED = {"name", "url", "username", "password", "note"}


def parse(data: bytes) -> ParseResult:
    sheet = CsvFile(data, LABEL, REQUIRED)
    result = ParseResult(NAME)
    for row in sheet.rows(result):
        draft = Draft("login", row.get("name"))
        draft.add_url(row.get("url"))
        draft.set("username", row.get("username"))
        draft.set("password", row.get("password"))
        draft.add_notes(row.get("note"))
        sheet.keep_rest(row, _USED, draft)
        result.add(row.where, draft)
    return result

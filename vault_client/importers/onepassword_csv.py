"""1Password CSV export (1Password 8: File > Export > CSV).

Header::

    Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes

Every row is a login. ``Favorite`` and ``Archived`` are ``true``/``false``; ``Tags`` lists tags
separated by commas or semicolons; ``OTPAuth`` is an ``otpauth://`` URI or a bare secret. The CSV
export carries only these columns; 1PUX carries everything (other item types, sections, history).
"""

from __future__ import annotations

from vault_client.importers.common import FAVORITE_TAG, Draft, ParseResult, split_tags, utc_stamp
from vault_client.importers.csvread import CsvFile

NAME = "1password-csv"
LABEL = "1Password CSV"
REQUIRED = ("title", "url", "username", "password", "notes")
_USED = {"title", "url", "username", "password", "otpauth", "favorite", "archived", "tags", "notes"}


def parse(data: bytes) -> ParseResult:
    sheet = CsvFile(data, LABEL, REQUIRED)
    result = ParseResult(NAME)
    for row in sheet.rows(result):
        draft = Draft("login", row.get("title"))
        for url in row.get("url").replace("\n", ",").split(","):
            draft.add_url(url)
        draft.set("username", row.get("username"))
        draft.set("password", row.get("password"))
        draft.set("totp", row.get("otpauth"))
        draft.add_notes(row.get("notes"))
        for tag in split_tags(row.get("tags")):
            draft.add_tag(tag)
        if row.get("favorite").strip().lower() == "true":
            draft.add_tag(FAVORITE_TAG)
        if row.get("archived").strip().lower() == "true":
            draft.trashed = utc_stamp()
        sheet.keep_rest(row, _USED, draft)
        result.add(row.where, draft)
    return result

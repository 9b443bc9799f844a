"""Firefox password export (about:logins > ... > Export Logins).

Header::

    "url","username","password","httpRealm","formActionOrigin","guid","timeCreated","timeLastUsed","timePasswordChanged"

Times are milliseconds since 1970. Logins have no name: the URL's host is used. ``httpRealm``
and ``formActionOrigin`` are kept as custom fields; ``guid`` and ``timeLastUsed`` are Firefox's
own bookkeeping and are not carried.
"""

from __future__ import annotations

from vault_client.importers.common import Draft, ParseResult, unix_timestamp, url_host
from vault_client.importers.csvread import CsvFile

NAME = "firefox-csv"
LABEL = "Firefox CSV"
REQUIRED = ("url", "username", "password", "httprealm", "formactionorigin")
_USED = {"url", "username", "password", "httprealm", "formactionorigin", "guid", "timecreated",
         "timelastused", "timepasswordchanged"}


def parse(data: bytes) -> ParseResult:
    sheet = CsvFile(data, LABEL, REQUIRED)
    result = ParseResult(NAME)
    result.not_carried.update({"Firefox guid", "time last used"})
    for row in sheet.rows(result):
        url = row.get("url")
        draft = Draft("login", url_host(url) or url)
        draft.add_url(url)
        draft.set("username", row.get("username"))
        draft.set("password", row.get("password"))
        draft.add_custom("HTTP realm", row.get("httprealm"))
        draft.add_custom("form action origin", row.get("formactionorigin"))
        draft.created = unix_timestamp(row.get("timecreated"), millis=True) if row.get("timecreated") else None
        changed = row.get("timepasswordchanged")
        draft.modified = unix_timestamp(changed, millis=True) if changed else None
        sheet.keep_rest(row, _USED, draft)
        result.add(row.where, draft)
    return result

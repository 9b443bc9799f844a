"""1Password 1PUX export (1Password 8: File > Export > 1PUX), a zip archive.

Members: ``export.attributes`` (version), ``export.data`` (JSON, below) and ``files/`` (document
and attachment contents: importing attached files is not supported yet; each one is reported). The zip
is checked before anything is decompressed: member count, each member's declared size and
compression ratio, and the total declared size, so a zip bomb is refused unread; reading is then
bounded by the declared size.

``export.data`` (1Password's "1PUX format" developer documentation)::

    {"accounts": [{"attrs": {...}, "vaults": [{"attrs": {"name": "Personal", ...},
      "items": [{"uuid": "...", "favIndex": 1, "createdAt": 1663642010, "updatedAt": ...,
                 "state": "active" | "archived", "categoryUuid": "001",
                 "details": {"loginFields": [{"value": "...", "designation": "username",
                                              "fieldType": "T", "name": "..."}],
                             "notesPlain": "...", "password": "...",
                             "sections": [{"title": "...", "fields": [{"title": "...", "id": "...",
                                           "value": {"concealed": "..."}}]}],
                             "passwordHistory": [{"value": "...", "time": 1600000000}],
                             "documentAttributes": {"fileName": "..."}},
                 "overview": {"title": "...", "url": "...", "urls": [{"label": "", "url": "..."}],
                              "tags": ["..."]}}]}]}]}

Categories 001 Login and 005 Password become logins, 002 Credit Card a card, 004 Identity an
identity; every other category (bank account, wireless router, server...) becomes a note whose
fields are custom fields, with a ``category`` field naming the 1Password category. A 1Password
vault becomes the item's folder; an archived item goes to the trash.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from vault_client.importers.common import (
    FAVORITE_TAG,
    MAX_INPUT_BYTES,
    Draft,
    EntryError,
    ImportFormatError,
    ParseResult,
    as_text,
    keep_unknown,
    unix_timestamp,
    utc_stamp,
)
from vault_client.importers.jsonread import expect, load
from vault_client.importers.onepux_fields import CATEGORIES, field_value, place_field

NAME = "1pux"
LABEL = "1Password 1PUX"
MAX_MEMBERS = 100_000
MAX_RATIO = 200          # declared size / compressed size, for members larger than 1 MiB
MAX_DATA_BYTES = MAX_INPUT_BYTES
MAX_TOTAL_BYTES = 4 * MAX_INPUT_BYTES
_LOGIN_DESIGNATIONS = ("username", "password")
_DETAILS = {"loginFields", "notesPlain", "sections", "passwordHistory", "password", "documentAttributes",
            "attachments"}


def read_export_data(data: bytes) -> bytes:
    """The ``export.data`` member, after the zip bomb checks."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise ImportFormatError(f"this is not a {LABEL} file (not a complete zip archive; "
                                "truncated?)") from None
    if len(members) > MAX_MEMBERS:
        raise ImportFormatError(f"the archive has more than {MAX_MEMBERS} members")
    total = 0
    for info in members:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 2**20 and ratio > MAX_RATIO:
            raise ImportFormatError(f"member {info.filename[:80]!r} would expand {ratio:.0f}-fold "
                                    "(a zip bomb?); nothing was read")
    if total > MAX_TOTAL_BYTES:
        raise ImportFormatError(f"the archive would expand to more than "
                                f"{MAX_TOTAL_BYTES // 2**20} MiB (a zip bomb?); nothing was read")
    try:
        info = archive.getinfo("export.data")
    except KeyError:
        raise ImportFormatError(f"this is not a {LABEL} file (the archive has no export.data)") from None
    if info.file_size > MAX_DATA_BYTES:
        raise ImportFormatError(f"export.data is larger than {MAX_DATA_BYTES // 2**20} MiB")
    try:
        with archive.open(info) as member:
            content = member.read(info.file_size + 1)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
        raise ImportFormatError("export.data cannot be decompressed (the archive is damaged or "
                                "truncated)") from None
    if len(content) != info.file_size:
        raise ImportFormatError("export.data is not the size the archive declares")
    return content


def parse(data: bytes) -> ParseResult:
    """Parse a 1PUX archive (or its ``export.data`` JSON on its own)."""
    raw = data if data.lstrip()[:1] == b"{" else read_export_data(data)
    doc = load(raw, LABEL)
    if not isinstance(doc, dict) or not isinstance(doc.get("accounts"), list):
        raise ImportFormatError(f"this is not a {LABEL} export (export.data has no accounts)")
    result = ParseResult(NAME)
    result.not_carried.update({"1Password ids", "icons", "Watchtower settings", "password strength scores"})
    index = 0
    for vault in _vaults(doc["accounts"]):
        attrs = vault.get("attrs") if isinstance(vault.get("attrs"), dict) else {}
        folder = as_text(attrs.get("name"))
        for entry in vault.get("items") if isinstance(vault.get("items"), list) else []:
            index += 1
            where = f"item {index}"
            try:
                draft = _item(entry, folder, result, where)
            except EntryError as exc:
                result.problem(where, str(exc))
                continue
            result.add(where, draft)
    return result


def _vaults(accounts: list[Any]) -> list[dict[str, Any]]:
    """Every vault object of every account (anything else in those lists is not a vault)."""
    out: list[dict[str, Any]] = []
    for account in accounts:
        vaults = account.get("vaults") if isinstance(account, dict) else None
        out += [v for v in vaults if isinstance(v, dict)] if isinstance(vaults, list) else []
    return out


def _item(entry: Any, folder: str, result: ParseResult, where: str) -> Draft:
    entry = expect(entry, dict, "the item")
    details = expect(entry.get("details"), dict, "details")
    overview = expect(entry.get("overview"), dict, "overview")
    category = as_text(entry.get("categoryUuid"))
    kind, label = CATEGORIES.get(category, ("note", f"category {category[:8]}"))
    draft = Draft(kind, as_text(overview.get("title")))
    draft.set_folder(folder)
    if kind == "note" and category != "003":
        draft.add_custom("category", label)
        draft.custom_count -= 1
    for tag in expect(overview.get("tags"), list, "tags"):
        draft.add_tag(tag)
    if isinstance(entry.get("favIndex"), int) and entry["favIndex"] > 0:
        draft.add_tag(FAVORITE_TAG)
    draft.add_url(overview.get("url"))
    for url in expect(overview.get("urls"), list, "urls"):
        draft.add_url(expect(url, dict, "a url").get("url"))
    draft.add_notes(details.get("notesPlain"))
    draft.created = unix_timestamp(entry["createdAt"]) if entry.get("createdAt") else None
    draft.modified = unix_timestamp(entry["updatedAt"]) if entry.get("updatedAt") else None
    if entry.get("state") == "archived":
        draft.trashed = utc_stamp()
    draft.set("password", details.get("password"))
    for field in expect(details.get("loginFields"), list, "loginFields"):
        field = expect(field, dict, "a login field")
        designation = as_text(field.get("designation"))
        if designation in _LOGIN_DESIGNATIONS:
            draft.set(designation, field.get("value"))
        else:
            draft.add_custom(as_text(field.get("name")) or "login field", field.get("value"),
                             concealed=field.get("fieldType") == "P")
    for section in expect(details.get("sections"), list, "sections"):
        for field in expect(expect(section, dict, "a section").get("fields"), list, "fields"):
            field = expect(field, dict, "a section field")
            value, concealed, value_kind = field_value(field.get("value"))
            place_field(draft, category, as_text(field.get("id")), as_text(field.get("title")),
                        value, concealed, value_kind)
    for old in expect(details.get("passwordHistory"), list, "passwordHistory"):
        old = expect(old, dict, "a passwordHistory entry")
        draft.add_history(old.get("value"), unix_timestamp(old.get("time")))
    document = details.get("documentAttributes")
    if isinstance(document, dict):
        result.skip(where, f"document {as_text(document.get('fileName'))[:60]!r}",
                    "importing attached files is not supported yet; keep the file elsewhere")
    for _ in expect(details.get("attachments"), list, "attachments"):
        result.skip(where, "attachment", "importing attached files is not supported yet; keep the file elsewhere")
    keep_unknown(details, _DETAILS, draft)
    return draft

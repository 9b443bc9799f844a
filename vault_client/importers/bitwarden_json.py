"""Bitwarden JSON export, unencrypted (Tools > Export vault > File format: .json).

Shape (Bitwarden's help, "Condition a Bitwarden .json"; organisation exports have
``collections`` and items ``collectionIds`` instead of folders)::

    {"encrypted": false,
     "folders": [{"id": "...", "name": "Emails/Work"}],
     "items": [{"id": "...", "folderId": "...", "type": 1, "name": "...", "notes": "...",
                "favorite": false, "reprompt": 0,
                "fields": [{"name": "PIN", "value": "1234", "type": 1}],
                "login": {"uris": [{"match": null, "uri": "https://..."}], "username": "...",
                          "password": "...", "totp": "otpauth://..."},
                "passwordHistory": [{"lastUsedDate": "2021-05-01T...Z", "password": "..."}],
                "creationDate": "...", "revisionDate": "...", "deletedDate": null}]}

Item types: 1 login, 2 secure note, 3 card, 4 identity, 5 SSH key (kept as a note). Custom
field types: 0 text, 1 hidden (concealed), 2 boolean, 3 linked (a pointer to another field, no
value of its own: reported as skipped).
"""

from __future__ import annotations

from typing import Any

from vault_client.importers.common import (
    FAVORITE_TAG,
    Draft,
    EntryError,
    ImportFormatError,
    ParseResult,
    as_text,
    iso_timestamp,
    keep_unknown,
)
from vault_client.importers.jsonread import expect, load

NAME = "bitwarden-json"
LABEL = "Bitwarden JSON"
_TYPES = {1: "login", 2: "note", 3: "card", 4: "identity", 5: "note"}
_IDENTITY = {"firstName": "first_name", "middleName": "middle_name", "lastName": "last_name",
             "email": "email", "phone": "phone", "company": "company", "city": "city",
             "state": "region", "postalCode": "postcode", "country": "country"}
_IDENTITY_CUSTOM = {"title": ("title", False), "ssn": ("social security number", True),
                    "username": ("username", False), "passportNumber": ("passport number", True),
                    "licenseNumber": ("license number", True)}
_CARD = {"cardholderName": "cardholder", "brand": "brand", "number": "number", "code": "cvv"}
_SSH = {"privateKey": ("private key", True), "publicKey": ("public key", False),
        "keyFingerprint": ("fingerprint", False)}
_METADATA = {"id", "organizationId", "folderId", "collectionIds", "reprompt", "revisionDate",
             "type", "secureNote", "key"}


def parse(data: bytes) -> ParseResult:
    doc = load(data, LABEL)
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise ImportFormatError(f"this is not a {LABEL} export (no list of items)")
    if doc.get("encrypted") is True or doc.get("passwordProtected") is True:
        raise ImportFormatError("this Bitwarden export is encrypted; export again choosing the "
                                "plain .json format")
    folders = _names(doc.get("folders"))
    collections = _names(doc.get("collections"))
    result = ParseResult(NAME)
    result.not_carried.update({"Bitwarden ids", "URI match settings", "master password re-prompt setting"})
    for index, entry in enumerate(doc["items"], 1):
        where = f"item {index}"
        try:
            draft = _item(entry, folders, collections, result, where)
        except EntryError as exc:
            result.problem(where, str(exc))
            continue
        result.add(where, draft)
    return result


def _names(entries: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            out[entry["id"]] = as_text(entry.get("name"))
    return out


def _item(entry: Any, folders: dict[str, str], collections: dict[str, str], result: ParseResult,
          where: str) -> Draft:
    entry = expect(entry, dict, "the item")
    kind = entry.get("type")
    if kind not in _TYPES:
        raise EntryError("unknown item type (Bitwarden types are 1 to 5)")
    draft = Draft(_TYPES[kind], as_text(entry.get("name")))
    draft.set_folder(folders.get(entry.get("folderId") or "", ""))
    for cid in expect(entry.get("collectionIds"), list, "collectionIds"):
        if cid in collections:
            draft.add_tag(collections[cid])
    if entry.get("favorite") is True:
        draft.add_tag(FAVORITE_TAG)
    draft.add_notes(entry.get("notes"))
    draft.created = iso_timestamp(entry.get("creationDate"))
    draft.modified = iso_timestamp(entry.get("revisionDate"))
    draft.trashed = iso_timestamp(entry.get("deletedDate"))
    if kind == 1:
        _login(expect(entry.get("login"), dict, "login"), draft, result, where)
    elif kind == 3:
        _card(expect(entry.get("card"), dict, "card"), draft)
    elif kind == 4:
        _identity(expect(entry.get("identity"), dict, "identity"), draft)
    elif kind == 5:
        ssh = expect(entry.get("sshKey"), dict, "sshKey")
        _mapped(ssh, _SSH, draft)
        keep_unknown(ssh, set(_SSH), draft)
        draft.add_tag("ssh key")
    for i, field in enumerate(expect(entry.get("fields"), list, "fields"), 1):
        field = expect(field, dict, f"custom field {i}")
        if field.get("type") == 3:
            result.skip(where, f"linked field {as_text(field.get('name'))[:40]!r}",
                        "it points to another field and has no value of its own")
            continue
        draft.add_custom(as_text(field.get("name")), field.get("value"), concealed=field.get("type") == 1)
    for old in expect(entry.get("passwordHistory"), list, "passwordHistory"):
        old = expect(old, dict, "a passwordHistory entry")
        draft.add_history(old.get("password"), old.get("lastUsedDate"))
    known = _METADATA | {"name", "notes", "favorite", "fields", "login", "card", "identity",
                         "sshKey", "passwordHistory", "creationDate", "deletedDate"}
    keep_unknown(entry, known, draft)
    return draft


def _login(login: dict[str, Any], draft: Draft, result: ParseResult, where: str) -> None:
    for uri in expect(login.get("uris"), list, "uris"):
        draft.add_url(expect(uri, dict, "a uri").get("uri"))
    draft.set("username", login.get("username"))
    draft.set("password", login.get("password"))
    draft.set("totp", login.get("totp"))
    for _ in expect(login.get("fido2Credentials"), list, "fido2Credentials"):
        result.skip(where, "passkey", "passkeys cannot be exported from one manager to another")
    if "passwordRevisionDate" in login:
        result.not_carried.add("password revision date")
    if "autofillOnPageLoad" in login:
        result.not_carried.add("autofill settings")
    keep_unknown(login, {"uris", "username", "password", "totp", "fido2Credentials",
                          "passwordRevisionDate", "autofillOnPageLoad"}, draft)


def _card(card: dict[str, Any], draft: Draft) -> None:
    for key, target in _CARD.items():
        draft.set(target, card.get(key))
    month, year = as_text(card.get("expMonth")).strip(), as_text(card.get("expYear")).strip()
    if month and year:
        draft.set("expiry", f"{year}-{month.zfill(2)}")
    else:
        draft.add_custom("expiry month", month)
        draft.add_custom("expiry year", year)
    keep_unknown(card, set(_CARD) | {"expMonth", "expYear"}, draft)


def _identity(identity: dict[str, Any], draft: Draft) -> None:
    for key, target in _IDENTITY.items():
        draft.set(target, identity.get(key))
    lines = [as_text(identity.get(k)) for k in ("address1", "address2", "address3")]
    draft.set("address", "\n".join(line for line in lines if line))
    _mapped(identity, _IDENTITY_CUSTOM, draft)
    keep_unknown(identity, set(_IDENTITY) | set(_IDENTITY_CUSTOM) | {"address1", "address2", "address3"},
                  draft)


def _mapped(section: dict[str, Any], names: dict[str, tuple[str, bool]], draft: Draft) -> None:
    for key, (label, concealed) in names.items():
        draft.add_custom(label, section.get(key), concealed=concealed)

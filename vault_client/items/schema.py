"""The rules of the item document, version 1: types, field names, bounds, timestamps.

``check_document`` checks the outer shape of a decoded JSON object (exact key set, version);
``check_item`` checks every value of an ``Item``. Error messages name the part that is wrong,
never a value found in it.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any

FORMAT_VERSION = 1
ITEM_TYPES = ("login", "note", "card", "identity")
STANDARD_FIELDS: dict[str, tuple[str, ...]] = {
    "login": ("username", "password", "totp"),
    "note": (),
    "card": ("cardholder", "number", "expiry", "cvv", "pin", "brand"),
    "identity": ("first_name", "middle_name", "last_name", "email", "phone", "company",
                 "address", "city", "region", "postcode", "country", "birthday"),
}
#: Standard fields whose values are hidden unless asked for.
CONCEALED_FIELDS = frozenset({"password", "totp", "number", "cvv", "pin"})
#: Names ``Item.field`` resolves before standard and custom fields.
RESERVED_FIELD_NAMES = ("name", "notes", "url", "urls", "type", "folder", "tags")
#: Upper bound of an encoded document, so that it fits a blob after padding and encryption.
MAX_DOCUMENT_BYTES = 256 * 1024
#: Upper bound, in characters, of names and labels: item name, custom field names, tags, folder.
MAX_LABEL_CHARS = 1000

DOCUMENT_KEYS = ("v", "type", "name", "fields", "urls", "notes", "tags", "folder", "custom",
                 "created", "modified", "trashed", "conflicts")
#: Keys written after ``DOCUMENT_KEYS`` only when not empty, in this order: the item's attached
#: files and its previous versions (a version is a document without ``history`` of its own).
OPTIONAL_KEYS = ("attachments", "history")
#: At most this many previous versions are kept (``history.py`` drops the oldest).
MAX_HISTORY_VERSIONS = 50
ATTACHMENT_KEYS = ("id", "name", "size", "sha256", "key")
_MAX_JSON_DEPTH = 16
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")


class ItemFormatError(ValueError):
    """This is not a valid item document."""


# -- timestamps ------------------------------------------------------------------------------

def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def format_timestamp(when: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC; a naive datetime is taken as UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """Parse a document timestamp (UTC, ``Z`` suffix). Raises ``ItemFormatError``."""
    if not isinstance(text, str) or not _TIMESTAMP.fullmatch(text):
        raise ItemFormatError("a timestamp is not in the form YYYY-MM-DDTHH:MM:SS[.ffffff]Z")
    try:
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc)
    except ValueError:
        raise ItemFormatError("a timestamp is not a valid date and time") from None


# -- checks ----------------------------------------------------------------------------------

def check_document(doc: Any, *, version: bool = False) -> None:
    """The outer shape: a JSON object with exactly ``DOCUMENT_KEYS`` and ``"v": 1``, and maybe
    ``OPTIONAL_KEYS``; a previous ``version`` (an entry of ``history``) has no history itself."""
    if not isinstance(doc, dict):
        raise ItemFormatError("an item document must be a JSON object")
    missing = [k for k in DOCUMENT_KEYS if k not in doc]
    if missing:
        raise ItemFormatError(f"the item document lacks {', '.join(map(repr, missing))}")
    optional = OPTIONAL_KEYS[:1] if version else OPTIONAL_KEYS
    extra = [k for k in doc if k not in DOCUMENT_KEYS and k not in optional]
    if extra:
        raise ItemFormatError(f"the item document has {len(extra)} unknown key(s)")
    version = doc["v"]
    if type(version) is not int or version != FORMAT_VERSION:
        raise ItemFormatError(f"unsupported item format version (this client reads only "
                              f"version {FORMAT_VERSION})")
    for key in ("fields",):
        if not isinstance(doc[key], dict):
            raise ItemFormatError(f"{key!r} must be an object")
    for key in ("urls", "tags", "custom", "conflicts"):
        if not isinstance(doc[key], list):
            raise ItemFormatError(f"{key!r} must be a list")
    for i, entry in enumerate(doc["custom"]):
        _check_exact_keys(entry, ("name", "value", "concealed"), f"custom field #{i + 1}")
    for i, entry in enumerate(doc["conflicts"]):
        _check_exact_keys(entry, ("field", "value", "at"), f"conflict #{i + 1}")
    for key in OPTIONAL_KEYS:
        if key in doc and (not isinstance(doc[key], list) or not doc[key]):
            raise ItemFormatError(f"{key!r} must be a non-empty list when present")
    for i, entry in enumerate(doc.get("attachments", ())):
        _check_exact_keys(entry, ATTACHMENT_KEYS, f"attachment #{i + 1}")


def check_item(item: Any) -> None:
    """Every value of an ``Item`` (duck-typed to avoid an import cycle)."""
    if item.type not in ITEM_TYPES:
        raise ItemFormatError(f"unknown item type (expected one of {', '.join(ITEM_TYPES)})")
    _check_label(item.name, "the item name")
    if not isinstance(item.fields, dict):
        raise ItemFormatError("'fields' must be a mapping of field name to text")
    allowed = STANDARD_FIELDS[item.type]
    for key, value in item.fields.items():
        if key not in allowed:
            known = ", ".join(allowed) or "none"
            raise ItemFormatError(f"a {item.type} item has no standard field {_safe(key)} "
                                  f"(its fields: {known}; use a custom field)")
        _check_text(value, f"field {key!r}")
    _check_text_list(item.urls, "'urls'", label=False)
    _check_text(item.notes, "'notes'")
    _check_text_list(item.tags, "'tags'", label=True)
    if len(set(item.tags)) != len(item.tags):
        raise ItemFormatError("'tags' lists a tag twice")
    if item.folder is not None:
        _check_label(item.folder, "'folder'")
    _check_custom(item.custom)
    parse_timestamp(item.created)
    parse_timestamp(item.modified)
    if item.trashed is not None:
        parse_timestamp(item.trashed)
    if not isinstance(item.conflicts, list):
        raise ItemFormatError("'conflicts' must be a list")
    for i, conflict in enumerate(item.conflicts):
        what = f"conflict #{i + 1}"
        _check_label(conflict.field, f"the field of {what}")
        _check_json(conflict.value, what, 0)
        parse_timestamp(conflict.at)
    _check_attachments(item.attachments)
    _check_history(item)


_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_KEY_B64 = re.compile(r"[A-Za-z0-9_-]{43}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
#: Largest attachment size a document may record (the client's own limit is far lower).
MAX_RECORDED_SIZE = 2**40


def _check_attachments(attachments: Any) -> None:
    if not isinstance(attachments, list):
        raise ItemFormatError("'attachments' must be a list")
    seen: set[str] = set()
    for i, ref in enumerate(attachments):
        what = f"attachment #{i + 1}"
        if not isinstance(ref.id, str) or not _UUID.fullmatch(ref.id):
            raise ItemFormatError(f"the id of {what} must be a lowercase UUIDv4")
        if ref.id in seen:
            raise ItemFormatError(f"{what} repeats the id of an earlier attachment")
        seen.add(ref.id)
        _check_label(ref.name, f"the name of {what}")
        if type(ref.size) is not int or not 0 <= ref.size <= MAX_RECORDED_SIZE:
            raise ItemFormatError(f"the size of {what} must be a whole number of bytes")
        if not isinstance(ref.sha256, str) or not _SHA256_HEX.fullmatch(ref.sha256):
            raise ItemFormatError(f"the sha256 of {what} must be 64 lowercase hex digits")
        if not isinstance(ref.key, str) or not _KEY_B64.fullmatch(ref.key):
            raise ItemFormatError(f"the key of {what} must be 32 bytes in base64url")


def _check_history(item: Any) -> None:
    if not isinstance(item.history, list):
        raise ItemFormatError("'history' must be a list")
    if len(item.history) > MAX_HISTORY_VERSIONS:
        raise ItemFormatError(f"'history' keeps at most {MAX_HISTORY_VERSIONS} versions")
    for i, version in enumerate(item.history):
        if not hasattr(version, "history") or version.history:
            raise ItemFormatError(f"version #{i + 1} of 'history' must be an item without history")
        check_item(version)


def _check_custom(custom: Any) -> None:
    if not isinstance(custom, list):
        raise ItemFormatError("'custom' must be a list")
    seen: set[str] = set()
    for i, field in enumerate(custom):
        what = f"custom field #{i + 1}"
        _check_label(field.name, f"the name of {what}")
        _check_text(field.value, f"the value of {what}")
        if type(field.concealed) is not bool:
            raise ItemFormatError(f"'concealed' of {what} must be true or false")
        if field.name in seen:
            raise ItemFormatError(f"{what} repeats the name of an earlier custom field")
        seen.add(field.name)


def _check_exact_keys(entry: Any, keys: tuple[str, ...], what: str) -> None:
    if not isinstance(entry, dict) or set(entry) != set(keys):
        raise ItemFormatError(f"{what} must be an object with exactly the keys "
                              f"{', '.join(keys)}")


def _check_text(value: Any, what: str) -> None:
    if not isinstance(value, str):
        raise ItemFormatError(f"{what} must be text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ItemFormatError(f"{what} is not valid Unicode text") from None


def _check_label(value: Any, what: str) -> None:
    _check_text(value, what)
    if not value.strip():
        raise ItemFormatError(f"{what} cannot be empty")
    if len(value) > MAX_LABEL_CHARS:
        raise ItemFormatError(f"{what} is longer than {MAX_LABEL_CHARS} characters")


def _check_text_list(values: Any, what: str, *, label: bool) -> None:
    if not isinstance(values, list):
        raise ItemFormatError(f"{what} must be a list of text")
    for value in values:
        if label:
            _check_label(value, f"an entry of {what}")
        else:
            _check_text(value, f"an entry of {what}")
            if not value.strip():
                raise ItemFormatError(f"an entry of {what} cannot be empty")


def _check_json(value: Any, what: str, depth: int) -> None:
    if depth > _MAX_JSON_DEPTH:
        raise ItemFormatError(f"the value of {what} is nested too deeply")
    if value is None or isinstance(value, bool) or type(value) is int:
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ItemFormatError(f"the value of {what} is not a finite number")
        return
    if isinstance(value, str):
        _check_text(value, f"the value of {what}")
        return
    if isinstance(value, list):
        for element in value:
            _check_json(element, what, depth + 1)
        return
    if isinstance(value, dict):
        for key, element in value.items():
            _check_text(key, f"a key in the value of {what}")
            _check_json(element, what, depth + 1)
        return
    raise ItemFormatError(f"the value of {what} is not a JSON value")


def _safe(key: Any) -> str:
    """A key for an error message: shown only if it looks like a schema name, never a secret."""
    if isinstance(key, str) and re.fullmatch(r"[a-z_]{1,32}", key):
        return repr(key)
    return "(unprintable name)"

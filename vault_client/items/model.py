"""The item document: one JSON object per item, encrypted as a whole.

Shape of version 1 (keys always present, always in this order; compact JSON, UTF-8)::

    {"v": 1, "type": "login", "name": "GitHub",
     "fields": {"username": "...", "password": "...", "totp": "..."},
     "urls": ["https://github.com"], "notes": "", "tags": ["work"], "folder": null,
     "custom": [{"name": "PIN", "value": "...", "concealed": true}],
     "created": "2025-01-02T03:04:05.000000Z", "modified": "...", "trashed": null,
     "conflicts": [{"field": "fields.password", "value": "...", "at": "..."}],
     "attachments": [{"id": "...", "name": "...", "size": 1234, "sha256": "...", "key": "..."}],
     "history": [{"v": 1, "type": "login", ... a previous version, without "history" ...}]}

``fields`` holds only the standard fields of the item's type (``STANDARD_FIELDS``) that are set;
anything else a user wants to keep goes to ``custom``. Timestamps are UTC, written as
``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` (this module writes six fraction digits). ``conflicts`` holds
the values a merge could not keep in place (see ``merge.py``); ``bv status`` lists items that have
any. ``attachments`` (see ``attachment_ref.py``) and ``history`` (previous versions, oldest
first; see ``history.py``) are written only when not empty, so a document without them keeps its
exact form. The document is validated strictly both ways: ``to_bytes`` refuses to write what
``from_bytes`` would refuse to read.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vault_client.items.attachment_ref import AttachmentRef
from vault_client.items.schema import (
    CONCEALED_FIELDS,
    FORMAT_VERSION,
    ITEM_TYPES,
    MAX_DOCUMENT_BYTES,
    RESERVED_FIELD_NAMES,
    STANDARD_FIELDS,
    ItemFormatError,
    check_document,
    check_item,
    format_timestamp,
    parse_timestamp,
    utc_now,
)

__all__ = [
    "CONCEALED_FIELDS",
    "FORMAT_VERSION",
    "ITEM_TYPES",
    "MAX_DOCUMENT_BYTES",
    "RESERVED_FIELD_NAMES",
    "STANDARD_FIELDS",
    "AttachmentRef",
    "Conflict",
    "CustomField",
    "FieldNotFoundError",
    "Item",
    "ItemFormatError",
    "encode_document",
    "format_timestamp",
    "is_concealed_field",
    "new_item",
    "parse_timestamp",
    "utc_now",
]


class FieldNotFoundError(LookupError):
    """This item has no such field."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"this item has no field {name!r}")


def is_concealed_field(name: str) -> bool:
    """Whether a standard field of this name is concealed (password, totp, number, cvv, pin)."""
    return name.lower() in CONCEALED_FIELDS


@dataclass(frozen=True, repr=False)
class CustomField:
    """A user-named field; ``concealed`` ones are hidden like passwords."""

    name: str
    value: str
    concealed: bool = False

    def __repr__(self) -> str:
        return f"CustomField(name=<redacted>, value=<redacted>, concealed={self.concealed})"


@dataclass(frozen=True, repr=False)
class Conflict:
    """A value a merge kept aside: ``field`` is a merge key (``"fields.password"``, ``"name"``,
    ``"custom.PIN"``...), ``value`` the JSON value that side had (``None`` = it deleted the
    field; ``{"value": ..., "concealed": ...}`` for a custom field), ``at`` the time that side
    wrote it."""

    field: str
    value: Any
    at: str

    def __repr__(self) -> str:
        return f"Conflict(field={self.field!r}, value=<redacted>, at={self.at!r})"

    @property
    def concealed(self) -> bool:
        """Whether the kept value is a secret to hide when listing conflicts."""
        if self.field.startswith("fields."):
            return self.field[len("fields."):] in CONCEALED_FIELDS
        if self.field.startswith("custom.") and isinstance(self.value, dict):
            return self.value.get("concealed") is True
        return False


@dataclass(repr=False)
class Item:
    """One decrypted item. Mutable; ``set_field``/``trash``/``restore`` bump ``modified``."""

    type: str
    name: str
    created: str
    modified: str
    fields: dict[str, str] = dataclasses.field(default_factory=dict)
    urls: list[str] = dataclasses.field(default_factory=list)
    notes: str = ""
    tags: list[str] = dataclasses.field(default_factory=list)
    folder: str | None = None
    custom: list[CustomField] = dataclasses.field(default_factory=list)
    trashed: str | None = None
    conflicts: list[Conflict] = dataclasses.field(default_factory=list)
    attachments: list[AttachmentRef] = dataclasses.field(default_factory=list)
    history: list[Item] = dataclasses.field(default_factory=list)

    def __repr__(self) -> str:
        return (f"Item(type={self.type!r}, name=<redacted>, fields={sorted(self.fields)}, "
                f"urls={len(self.urls)}, custom={len(self.custom)}, "
                f"conflicts={len(self.conflicts)}, attachments={len(self.attachments)}, "
                f"history={len(self.history)}, trashed={self.trashed is not None})")

    # -- serialisation -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The document as plain JSON types, keys in the fixed order (includes secret values)."""
        order = STANDARD_FIELDS.get(self.type, ())
        fields = {k: self.fields[k] for k in order if k in self.fields}
        fields.update((k, v) for k, v in sorted(self.fields.items()) if k not in fields)
        doc = {
            "v": FORMAT_VERSION,
            "type": self.type,
            "name": self.name,
            "fields": fields,
            "urls": list(self.urls),
            "notes": self.notes,
            "tags": list(self.tags),
            "folder": self.folder,
            "custom": [{"name": c.name, "value": c.value, "concealed": c.concealed}
                       for c in self.custom],
            "created": self.created,
            "modified": self.modified,
            "trashed": self.trashed,
            "conflicts": [{"field": c.field, "value": copy.deepcopy(c.value), "at": c.at}
                          for c in self.conflicts],
        }
        if self.attachments:
            doc["attachments"] = [a.to_dict() for a in self.attachments]
        if self.history:
            doc["history"] = [version.to_dict() for version in self.history]
        return doc

    def to_bytes(self) -> bytes:
        """Compact UTF-8 JSON. Raises ``ItemFormatError`` if the item is not valid."""
        self.validate()
        data = encode_document(self.to_dict())
        if len(data) > MAX_DOCUMENT_BYTES:
            raise ItemFormatError(f"the item is too large ({len(data)} bytes, at most "
                                  f"{MAX_DOCUMENT_BYTES})")
        return data

    @classmethod
    def from_dict(cls, doc: Any) -> Item:
        """Build and validate an item from a decoded document. Raises ``ItemFormatError``."""
        item = cls._build(doc, version=False)
        item.validate()
        return item

    @classmethod
    def _build(cls, doc: Any, *, version: bool) -> Item:
        check_document(doc, version=version)
        return cls(
            type=doc["type"],
            name=doc["name"],
            fields=dict(doc["fields"]),
            urls=list(doc["urls"]),
            notes=doc["notes"],
            tags=list(doc["tags"]),
            folder=doc["folder"],
            custom=[CustomField(c["name"], c["value"], c["concealed"]) for c in doc["custom"]],
            created=doc["created"],
            modified=doc["modified"],
            trashed=doc["trashed"],
            conflicts=[Conflict(c["field"], copy.deepcopy(c["value"]), c["at"])
                       for c in doc["conflicts"]],
            attachments=[AttachmentRef.from_dict(a) for a in doc.get("attachments", ())],
            history=[cls._build(v, version=True) for v in doc.get("history", ())],
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Item:
        """Parse an encoded document. Raises ``ItemFormatError`` on anything but a valid one."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ItemFormatError("an item document must be bytes")
        data = bytes(data)
        if len(data) > MAX_DOCUMENT_BYTES:
            raise ItemFormatError(f"the item document is too large ({len(data)} bytes)")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ItemFormatError("the item document is not UTF-8") from None
        try:
            doc = json.loads(text, object_pairs_hook=_no_duplicate_keys,
                             parse_constant=_no_constants)
        except ItemFormatError:
            raise
        except (ValueError, RecursionError):
            raise ItemFormatError("the item document is not valid JSON") from None
        return cls.from_dict(doc)

    def validate(self) -> None:
        """Raise ``ItemFormatError`` if this item breaks a rule of the format."""
        check_item(self)

    def copy(self) -> Item:
        """A deep copy, safe to edit without touching this item."""
        return copy.deepcopy(self)

    # -- fields ------------------------------------------------------------------------------

    def field_names(self) -> list[str]:
        """Names ``field()`` can resolve on this item right now (no values)."""
        names = ["name", "type"] + [k for k in STANDARD_FIELDS[self.type] if k in self.fields]
        names += [c.name for c in self.custom]
        names += ["notes"] if self.notes else []
        names += ["url", "urls"] if self.urls else []
        names += ["tags"] if self.tags else []
        names += ["folder"] if self.folder is not None else []
        return names

    def field(self, name: str) -> str:
        """The value of a field as text, for ``bv get --field NAME``.

        Resolves, in order: ``name``, ``type``, ``notes``, ``url`` (first URL), ``urls`` and
        ``tags`` (one per line), ``folder``; a standard field of the item's type (any case); a
        custom field (exact name, else the one whose name matches ignoring case). Raises
        ``FieldNotFoundError`` when there is no such field or it is not set.
        """
        key = name.strip().lower()
        if key in ("name", "type", "notes"):
            return getattr(self, key)
        if key in ("url", "urls", "tags"):
            values = self.tags if key == "tags" else self.urls
            if values:
                return values[0] if key == "url" else "\n".join(values)
            raise FieldNotFoundError(name)
        if key == "folder":
            if self.folder is None:
                raise FieldNotFoundError(name)
            return self.folder
        if key in STANDARD_FIELDS[self.type]:
            if key in self.fields:
                return self.fields[key]
            raise FieldNotFoundError(name)
        custom = self._custom_index(name)
        if custom is None:
            raise FieldNotFoundError(name)
        return self.custom[custom].value

    def is_concealed(self, name: str) -> bool:
        """Whether the field ``field(name)`` resolves to should be hidden by default."""
        key = name.strip().lower()
        if key in RESERVED_FIELD_NAMES:
            return False
        if key in STANDARD_FIELDS[self.type]:
            return key in CONCEALED_FIELDS
        index = self._custom_index(name)
        if index is not None:
            return self.custom[index].concealed
        return is_concealed_field(key)

    def set_field(self, name: str, value: str | None, *, concealed: bool | None = None,
                  now: datetime | None = None) -> None:
        """Set (or with ``None`` remove) a field, then bump ``modified``.

        ``name``, ``notes`` and ``folder`` set those parts; ``url`` replaces the first URL; a
        standard field name of the type sets that field; any other name sets a custom field,
        created if needed (``concealed`` defaults to whether the name is a concealed standard
        name, e.g. a ``password`` custom field on a note). Raises ``ItemFormatError`` on a bad
        value, e.g. an empty item name.
        """
        if value is not None and not isinstance(value, str):
            raise ItemFormatError("a field value must be text")
        key = name.strip().lower()
        if key in ("type", "urls", "tags"):
            raise ItemFormatError(f"{key!r} cannot be set as a field")
        if key == "name":
            if not value or not value.strip():
                raise ItemFormatError("an item name cannot be empty")
            self.name = value
        elif key == "notes":
            self.notes = value or ""
        elif key == "folder":
            self.folder = value or None
        elif key == "url":
            rest = self.urls[1:]
            self.urls = ([value] if value else []) + rest
        elif key in STANDARD_FIELDS[self.type]:
            if value is None:
                self.fields.pop(key, None)
            else:
                self.fields[key] = value
        else:
            self._set_custom(name.strip(), value, concealed)
        self.touch(now)

    def _set_custom(self, name: str, value: str | None, concealed: bool | None) -> None:
        if not name:
            raise ItemFormatError("a field name cannot be empty")
        index = self._custom_index(name)
        if index is None:
            if value is not None:
                hide = is_concealed_field(name) if concealed is None else concealed
                self.custom.append(CustomField(name, value, hide))
        elif value is None:
            del self.custom[index]
        else:
            old = self.custom[index]
            hide = old.concealed if concealed is None else concealed
            self.custom[index] = CustomField(old.name, value, hide)

    def _custom_index(self, name: str) -> int | None:
        for i, c in enumerate(self.custom):
            if c.name == name:
                return i
        folded = name.strip().casefold()
        matches = [i for i, c in enumerate(self.custom) if c.name.casefold() == folded]
        return matches[0] if len(matches) == 1 else None

    # -- life cycle --------------------------------------------------------------------------

    def touch(self, now: datetime | None = None) -> None:
        """Set ``modified`` to ``now`` (default: the current time)."""
        self.modified = format_timestamp(now or utc_now())

    @property
    def is_trashed(self) -> bool:
        return self.trashed is not None

    def trash(self, now: datetime | None = None) -> None:
        """Move to the trash (``bv rm``); ``restore`` brings it back."""
        stamp = format_timestamp(now or utc_now())
        self.trashed = stamp
        self.modified = stamp

    def restore(self, now: datetime | None = None) -> None:
        self.trashed = None
        self.touch(now)

    @property
    def has_conflicts(self) -> bool:
        return bool(self.conflicts)

    def clear_conflicts(self, field: str | None = None, now: datetime | None = None) -> int:
        """Drop the kept-aside values (all, or those of one merge key); returns how many."""
        keep = [c for c in self.conflicts if field is not None and c.field != field]
        dropped = len(self.conflicts) - len(keep)
        if dropped:
            self.conflicts = keep
            self.touch(now)
        return dropped


def new_item(type: str, name: str, *, fields: dict[str, str] | None = None,
             urls: list[str] | tuple[str, ...] = (), notes: str = "",
             tags: list[str] | tuple[str, ...] = (), folder: str | None = None,
             custom: list[CustomField] | tuple[CustomField, ...] = (),
             now: datetime | None = None, **field_values: str) -> Item:
    """A new, validated item. Standard fields may come as ``fields={...}`` or as keywords::

        new_item("login", "GitHub", username="octocat", password=pw, urls=["https://github.com"])

    Raises ``ItemFormatError`` on an unknown type, a field the type does not have, or any other
    broken rule.
    """
    if type not in ITEM_TYPES:
        raise ItemFormatError(f"unknown item type (expected one of {', '.join(ITEM_TYPES)})")
    merged = dict(fields or {})
    merged.update(field_values)
    stamp = format_timestamp(now or utc_now())
    item = Item(type=type, name=name, created=stamp, modified=stamp,
                fields={k: v for k, v in merged.items() if v is not None},
                urls=list(urls), notes=notes, tags=list(tags), folder=folder,
                custom=list(custom))
    item.validate()
    return item


def encode_document(doc: dict[str, Any]) -> bytes:
    """The encoding of a document: compact JSON, UTF-8, keys as given."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key, value in pairs:
        if key in doc:
            raise ItemFormatError("the item document repeats a key")
        doc[key] = value
    return doc


def _no_constants(name: str) -> Any:
    raise ItemFormatError("the item document contains NaN or Infinity")

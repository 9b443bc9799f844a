"""What every importer shares: the result of a parse, its errors, and a builder for one item.

A format module turns the bytes of an export into a ``ParseResult``: the items it could build,
each with the place it came from ("line 12", "item 3"), the entries it could not read (problems:
the import stops on them unless the user says ``--keep-going``), the parts of the source that have
no place in an item (attachments, passkeys: skipped, always reported), and the counts the summary
prints. Nothing here touches files, keys or the network.

Error messages name a line or an entry and the part that is wrong, never a value (it could be a
password).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit

from vault_client.items.model import (
    CustomField,
    Item,
    ItemFormatError,
    format_timestamp,
    is_concealed_field,
    parse_timestamp,
    utc_now,
)
from vault_client.items.schema import MAX_LABEL_CHARS, STANDARD_FIELDS

#: The largest export any importer reads (bytes, after decompression for a 1PUX).
MAX_INPUT_BYTES = 256 * 1024 * 1024
#: Tag added to items the source marked as favourites.
FAVORITE_TAG = "favorite"


class ImportFormatError(ValueError):
    """The file as a whole cannot be read in this format (wrong format, truncated, bad header).

    ``where`` names the line or entry, when known; the message never holds a value."""

    def __init__(self, message: str, where: str | None = None) -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class EntryError(ValueError):
    """One entry of the file cannot be read; the rest of the file may still be."""


@dataclass(frozen=True)
class Problem:
    """An entry that could not be read: where it is and why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True)
class Skipped:
    """Part of the source that has no place in an item (an attachment, a passkey...)."""

    where: str
    what: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what} not imported ({self.reason})"


@dataclass(repr=False)
class Parsed:
    """One item built from the source, and where in the source it came from."""

    where: str
    item: Item
    custom_fields: int = 0       # source fields this item keeps as custom fields
    history_passwords: int = 0   # old passwords it keeps as "previous password (DATE)" fields

    def __repr__(self) -> str:
        return f"Parsed(where={self.where!r}, item={self.item!r})"


@dataclass
class ParseResult:
    """Everything a format module found in one file."""

    format: str
    items: list[Parsed] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    custom_fields: int = 0          # source fields that became custom fields
    history_passwords: int = 0      # old passwords kept as "previous password (DATE)" fields
    trashed: int = 0                # items the source had in its trash or archive
    not_carried: set[str] = field(default_factory=set)  # metadata deliberately left out (ids, icons)

    def add(self, where: str, draft: Draft) -> None:
        """Build ``draft`` and keep it, or record it as a problem at ``where``."""
        try:
            item = draft.build()
        except (ItemFormatError, EntryError) as exc:
            self.problems.append(Problem(where, str(exc)))
            return
        self.items.append(Parsed(where, item, draft.custom_count, draft.history_count))
        self.custom_fields += draft.custom_count
        self.history_passwords += draft.history_count
        self.trashed += item.trashed is not None

    def problem(self, where: str, reason: str) -> None:
        self.problems.append(Problem(where, reason))

    def skip(self, where: str, what: str, reason: str) -> None:
        self.skipped.append(Skipped(where, what, reason))


class Draft:
    """An item being assembled from a source entry; ``build`` validates it.

    Empty values are dropped (they hold nothing); a value for a field the item's type does not
    have becomes a custom field; custom field names are made unique ("PIN", "PIN (2)").
    """

    def __init__(self, type: str, name: str | None = None) -> None:
        self.type = type
        self.name = name or ""
        self.fields: dict[str, str] = {}
        self.urls: list[str] = []
        self.notes = ""
        self.tags: list[str] = []
        self.folder: str | None = None
        self.custom: list[CustomField] = []
        self.created: str | None = None
        self.modified: str | None = None
        self.trashed: str | None = None
        self.custom_count = 0
        self.history_count = 0

    def __repr__(self) -> str:
        return f"Draft(type={self.type!r}, fields={sorted(self.fields)}, custom={len(self.custom)})"

    def set(self, key: str, value: object, *, concealed: bool | None = None, label: str | None = None) -> None:
        """Set standard field ``key``; if the type lacks it (or it is already set to another
        value), keep the value as a custom field named ``label`` (default: ``key``)."""
        text = as_text(value)
        if not text:
            return
        if key in STANDARD_FIELDS[self.type] and self.fields.get(key, text) == text:
            self.fields[key] = text
            return
        hide = is_concealed_field(key) if concealed is None else concealed
        self.add_custom(label or key, text, concealed=hide)

    def add_custom(self, name: str, value: object, *, concealed: bool = False) -> None:
        text = as_text(value)
        if not text:
            return
        label = " ".join((name or "").split()) or "field"
        label = label[:MAX_LABEL_CHARS - 8]
        taken = {c.name for c in self.custom}
        unique, n = label, 2
        while unique in taken:
            unique, n = f"{label} ({n})", n + 1
        self.custom.append(CustomField(unique, text, bool(concealed)))
        self.custom_count += 1

    def add_history(self, password: object, when: datetime | str | None) -> None:
        """An old password, kept as a concealed "previous password (YYYY-MM-DD)" field."""
        text = as_text(password)
        if not text or text == self.fields.get("password"):
            return
        if any(c.concealed and c.value == text and c.name.startswith("previous password")
               for c in self.custom):
            return
        day = _day(when)
        self.add_custom(f"previous password ({day})" if day else "previous password", text,
                        concealed=True)
        self.custom_count -= 1
        self.history_count += 1

    def add_url(self, value: object) -> None:
        text = as_text(value).strip()
        if text and text not in self.urls:
            self.urls.append(text)

    def add_tag(self, value: object) -> None:
        text = " ".join(as_text(value).split())[:MAX_LABEL_CHARS]
        if text and text not in self.tags:
            self.tags.append(text)

    def set_folder(self, path: object) -> None:
        text = as_text(path).strip().strip("/")
        self.folder = text[:MAX_LABEL_CHARS] or None

    def add_notes(self, text: object) -> None:
        value = as_text(text)
        if value:
            self.notes = f"{self.notes}\n\n{value}" if self.notes else value

    def build(self, now: datetime | None = None) -> Item:
        stamp = self.created and self.modified or format_timestamp(now or utc_now())
        name = self.name if self.name.strip() else self._fallback_name()
        item = Item(type=self.type, name=name, created=self.created or stamp,
                    modified=self.modified or self.created or stamp, fields=dict(self.fields),
                    urls=list(self.urls), notes=self.notes, tags=list(self.tags),
                    folder=self.folder, custom=list(self.custom), trashed=self.trashed)
        if len(item.name) > MAX_LABEL_CHARS:
            raise EntryError(f"the name is longer than {MAX_LABEL_CHARS} characters")
        item.validate()
        return item

    def _fallback_name(self) -> str:
        for url in self.urls:
            host = url_host(url)
            if host:
                return host
        return self.fields.get("username") or "Untitled"


# -- small helpers shared by the formats ---------------------------------------------------------

def as_text(value: object) -> str:
    """A source value as text: ``None`` is empty, booleans and numbers are written plainly."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value.replace("\r\n", "\n")
    raise EntryError("a value is neither text nor a number")


def url_host(url: str) -> str:
    """The host of a URL (``example.com`` for ``https://example.com/x``), or ``""``."""
    text = url.strip()
    if "://" not in text:
        text = "//" + text
    try:
        return urlsplit(text).hostname or ""
    except ValueError:
        return ""


_ISO_UTC = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z")


def iso_timestamp(text: object) -> str | None:
    """A document timestamp from an ISO 8601 date and time (``Z`` or an offset), else ``None``."""
    value = as_text(text).strip()
    if not value:
        return None
    fast = _ISO_UTC.fullmatch(value)
    if fast:  # the common case (UTC with Z), without building a datetime twice
        try:
            when = datetime.fromisoformat(fast.group(1))
        except ValueError:
            return None
        return f"{fast.group(1)}.{(fast.group(2) or '').ljust(6, '0')}Z" if when.year >= 1000 else None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return _checked(when if when.tzinfo else when.replace(tzinfo=timezone.utc))


def unix_timestamp(seconds: object, *, millis: bool = False) -> str | None:
    """A document timestamp from seconds (or milliseconds) since 1970, else ``None``."""
    try:
        value = float(as_text(seconds))
    except (ValueError, EntryError):
        return None
    if millis:
        value /= 1000
    try:
        return _checked(datetime.fromtimestamp(value, timezone.utc))
    except (OverflowError, OSError, ValueError):
        return None


def _checked(when: datetime) -> str | None:
    """A document timestamp, or ``None`` for a time the document cannot hold (before year 1000)."""
    try:
        stamp = format_timestamp(when)
        parse_timestamp(stamp)
    except (ItemFormatError, OverflowError, ValueError):
        return None
    return stamp


def _day(when: datetime | str | None) -> str:
    if isinstance(when, datetime):
        return when.strftime("%Y-%m-%d")
    stamp = iso_timestamp(when) if when else None
    return stamp[:10] if stamp else ""


_SPLIT_TAGS = re.compile(r"[,;]")


def split_tags(text: object) -> list[str]:
    """Tags written in one cell, separated by commas or semicolons."""
    return [t.strip() for t in _SPLIT_TAGS.split(as_text(text)) if t.strip()]


def utc_stamp() -> str:
    """The current time as a document timestamp (for items the source had in its trash)."""
    return format_timestamp(utc_now())


def keep_unknown(section: dict, known: set[str], draft: Draft) -> None:
    """Keys of a source object that no importer rule knows become custom fields (objects and
    lists as compact JSON), so a field a newer exporter adds is carried, not dropped."""
    for key, value in section.items():
        if key in known or value in (None, "", [], {}):
            continue
        text = value if isinstance(value, (str, int, float, bool)) else json.dumps(value, ensure_ascii=False)
        draft.add_custom(str(key), text)

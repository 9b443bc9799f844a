"""Item history: every edit keeps the version it replaces, inside the item's own document.

``Item.history`` lists previous versions, oldest first. Each is a complete document without a
history of its own, so it is encrypted, synced and covered by the manifest exactly like the item.
The list is bounded: at most ``MAX_HISTORY_VERSIONS`` versions, and no more than keeps the whole
document within ``MAX_DOCUMENT_BYTES``; the oldest go first.

- ``record(previous, new)``: the item to save when ``new`` replaces ``previous`` (the version
  being replaced joins the history when its content differs; both histories are kept).
- ``merge_history(result, *sides)``: after a merge, the union of every side's history plus each
  side that the merged result replaces, so no version written on any device is lost.
- ``versions(item)``: what ``bv history`` shows, newest first: number 0 is the current version.
- ``field_timeline(item, name)``: the values one field had, e.g. the password history.
- ``restore(item, number)``: the document that makes an older version current again.

Versions are told apart by their exact encoding (a version saved on two devices is kept once) and
ordered by their ``modified`` time.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from vault_client.items.model import (
    MAX_DOCUMENT_BYTES,
    FieldNotFoundError,
    Item,
    encode_document,
    parse_timestamp,
)
from vault_client.items.schema import MAX_HISTORY_VERSIONS, ItemFormatError

__all__ = [
    "MAX_HISTORY_VERSIONS",
    "Version",
    "bound",
    "content_changed",
    "field_timeline",
    "merge_history",
    "record",
    "restore",
    "versions",
    "without_history",
]

_HISTORY_WRAPPER = len(b',"history":[]')


@dataclass(frozen=True, repr=False)
class Version:
    """One version of an item: ``number`` (0 = current, 1 = the one before...), the document,
    and the merge keys it changed relative to the version before it (``None`` for the oldest kept
    version, whose predecessor is unknown)."""

    number: int
    item: Item
    changed: list[str] | None

    def __repr__(self) -> str:
        return f"Version(number={self.number}, modified={self.item.modified!r}, changed={self.changed!r})"


def without_history(item: Item) -> Item:
    """A deep copy of ``item`` with an empty history: the form a version is kept in."""
    return dataclasses.replace(item, history=[]).copy()


def _encoded(item: Item) -> bytes:
    return encode_document(without_history(item).to_dict())


def _content(item: Item) -> bytes:
    doc = without_history(item).to_dict()
    doc.pop("modified")
    return encode_document(doc)


def content_changed(old: Item, new: Item) -> bool:
    """Whether ``new`` differs from ``old`` in anything but ``modified`` and the history."""
    return _content(old) != _content(new)


def _when(item: Item) -> datetime:
    return parse_timestamp(item.modified)


def _union(current: Item, *histories: list[Item]) -> list[Item]:
    """Every distinct version in ``histories`` but ``current`` itself, oldest first."""
    seen = {_encoded(current)}
    out: list[Item] = []
    for history in histories:
        for version in history:
            key = _encoded(version)
            if key not in seen:
                seen.add(key)
                out.append(without_history(version))
    out.sort(key=_when)
    return out


def bound(item: Item) -> None:
    """Drop the oldest versions until at most ``MAX_HISTORY_VERSIONS`` remain and the encoded
    document fits ``MAX_DOCUMENT_BYTES`` (in place)."""
    del item.history[: max(0, len(item.history) - MAX_HISTORY_VERSIONS)]
    if not item.history:
        return
    base = len(_encoded(item)) + _HISTORY_WRAPPER
    sizes = [len(_encoded(v)) for v in item.history]
    total = base + sum(sizes) + len(sizes) - 1
    drop = 0
    while drop < len(sizes) and total > MAX_DOCUMENT_BYTES:
        total -= sizes[drop] + (1 if drop < len(sizes) - 1 else 0)
        drop += 1
    del item.history[:drop]


def record(previous: Item | None, new: Item) -> Item:
    """The document to save when ``new`` replaces ``previous`` (``None``: a new item).

    The result is a copy of ``new`` whose history holds both documents' histories and, when its
    content changed, ``previous`` itself. ``new`` is not modified.
    """
    out = new.copy()
    histories = [new.history]
    if previous is not None:
        histories.append(previous.history)
        if content_changed(previous, new):
            histories.append([previous])
    out.history = _union(out, *histories)
    bound(out)
    return out


def merge_history(result: Item, *sides: Item | None) -> None:
    """Give a merged ``result`` the history of every side (ancestor, local, remote) plus each side
    whose content the result replaces (in place)."""
    histories: list[list[Item]] = []
    for side in sides:
        if side is None:
            continue
        histories.append(side.history)
        if content_changed(side, result):
            histories.append([side])
    result.history = _union(result, *histories)
    bound(result)


def versions(item: Item) -> list[Version]:
    """Every version kept, newest first; number 0 is ``item`` itself."""
    from vault_client.items.merge import diff_fields

    chronological = sorted(item.history, key=_when) + [item]
    out: list[Version] = []
    for i, version in enumerate(chronological):
        changed = diff_fields(chronological[i - 1], version) if i else None
        out.append(Version(len(chronological) - 1 - i, without_history(version), changed))
    out.reverse()
    return out


def _value(item: Item, name: str) -> str | None:
    try:
        return item.field(name)
    except FieldNotFoundError:
        return None


def field_timeline(item: Item, name: str) -> list[tuple[str, str | None]]:
    """The values field ``name`` held, newest first, as ``(since, value)``: ``since`` is the
    ``modified`` time of the first version that had the value (``None`` = not set)."""
    chronological = sorted(item.history, key=_when) + [item]
    runs: list[tuple[str, str | None]] = []
    for version in chronological:
        value = _value(version, name)
        if not runs or runs[-1][1] != value:
            runs.append((version.modified, value))
    runs.reverse()
    return runs


def restore(item: Item, number: int, now: datetime | None = None) -> Item:
    """The document that makes version ``number`` (see ``versions``) current again. Saving it
    keeps the current version in the history (``record``). Raises ``ItemFormatError`` for a
    number that is not kept."""
    kept = versions(item)
    if type(number) is not int or not 1 <= number < len(kept):
        raise ItemFormatError(f"there is no version {number} (versions kept: 1 to {len(kept) - 1})"
                              if len(kept) > 1 else "this item has no earlier version")
    out = kept[number].item.copy()
    out.history = [v.copy() for v in item.history]
    out.touch(now)
    return out

"""Three-way, field-by-field merge of two versions of an item against their common ancestor.

Used when a write comes back 409 (the server holds a newer revision): ``merge(ancestor, local,
remote)`` with ``ancestor`` the revision the local edit was based on.

Each version is flattened to merge keys (``flatten``): ``type``, ``name``, ``fields.<name>``,
``urls``, ``notes``, ``tags``, ``folder``, ``custom.<name>`` (value ``{"value", "concealed"}``)
``trashed`` and, when the item has files, ``attachments`` (each record as canonical JSON); a
missing key means "not set". For every key:

- if only one side changed it (compared with the ancestor), that side's value wins;
- if both changed it to the same value, that value;
- if both changed it differently, the REMOTE value stays in place and the LOCAL value is kept in
  ``conflicts`` (``field`` = the key, ``value``, ``at`` = the local ``modified``), so no edit is
  lost; ``bv status`` lists items with conflicts and the user resolves them.

Two refinements keep needless conflicts away, and still lose no edit:

- ``urls``, ``tags`` and ``attachments`` changed on both sides merge as sets: every entry
  either side added is kept, every entry either side removed is removed (remote order first,
  then local additions).
- ``trashed`` set on both sides at different times stays trashed (the remote time).

``conflicts`` already on either side are unioned without duplicates (same key and value), except
that one present in the ancestor and gone from either side counts as resolved and stays gone. A
standard field that the merged type does not have (one side changed the type) also moves to
``conflicts``. With no ancestor (both sides created the item), the ancestor is an empty item.
``modified`` is the later of the two sides, ``created`` the earlier.

The merged item's ``history`` is the union of all three histories plus the local and remote
versions themselves (both are replaced by the merge), so every version either device wrote stays
reachable (``history.merge_history``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from vault_client.items.history import merge_history
from vault_client.items.model import (
    STANDARD_FIELDS,
    AttachmentRef,
    Conflict,
    CustomField,
    Item,
    parse_timestamp,
)

__all__ = ["MergeResult", "diff_fields", "flatten", "merge"]

_SET_KEYS = ("urls", "tags", "attachments")
_EMPTY: dict[str, Any] = {"notes": "", "urls": [], "tags": [], "attachments": []}


@dataclass(frozen=True, repr=False)
class MergeResult:
    """The merged item, and the merge keys that conflicted in this merge (names, no values)."""

    item: Item
    conflicted_fields: list[str]

    def __repr__(self) -> str:
        return f"MergeResult(item={self.item!r}, conflicted_fields={self.conflicted_fields!r})"


def flatten(item: Item | None) -> dict[str, Any]:
    """The merge keys of an item and their JSON values; ``{}`` for ``None``."""
    if item is None:
        return {}
    flat: dict[str, Any] = {"type": item.type, "name": item.name}
    for key, value in item.fields.items():
        flat["fields." + key] = value
    flat["urls"] = list(item.urls)
    flat["notes"] = item.notes
    flat["tags"] = list(item.tags)
    flat["folder"] = item.folder
    for custom in item.custom:
        flat["custom." + custom.name] = {"value": custom.value, "concealed": custom.concealed}
    flat["trashed"] = item.trashed
    if item.attachments:
        flat["attachments"] = [_canonical(a.to_dict()) for a in item.attachments]
    return flat


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def diff_fields(old: Item | None, new: Item) -> list[str]:
    """Merge keys whose values differ between two versions (names only, never values)."""
    a, b = flatten(old), flatten(new)
    return [key for key in _ordered_keys(b, a) if _get(a, key) != _get(b, key)]


def merge(ancestor: Item | None, local: Item, remote: Item) -> MergeResult:
    """Merge ``local`` and ``remote`` against ``ancestor``; inputs are not modified."""
    a, l_, r = flatten(ancestor), flatten(local), flatten(remote)
    merged: dict[str, Any] = {}
    new_conflicts: list[Conflict] = []
    for key in _ordered_keys(r, l_, a):
        av, lv, rv = _get(a, key), _get(l_, key), _get(r, key)
        if lv == rv or lv == av:
            merged[key] = rv
        elif rv == av:
            merged[key] = lv
        elif key in _SET_KEYS:
            merged[key] = _merge_sets(av, lv, rv)
        elif key == "trashed" and lv is not None and rv is not None:
            merged[key] = rv
        else:
            merged[key] = rv
            new_conflicts.append(Conflict(key, lv, local.modified))

    modified = max(local.modified, remote.modified, key=parse_timestamp)
    created = min(local.created, remote.created, key=parse_timestamp)
    item = _unflatten(merged, created, modified, new_conflicts)
    item.conflicts = _merge_conflicts(ancestor, local, remote, new_conflicts)
    merge_history(item, ancestor, local, remote)
    item.validate()
    conflicted = list(dict.fromkeys(c.field for c in new_conflicts))
    return MergeResult(item=item, conflicted_fields=conflicted)


def _get(flat: dict[str, Any], key: str) -> Any:
    if key in flat:
        return flat[key]
    default = _EMPTY.get(key)
    return list(default) if isinstance(default, list) else default


def _ordered_keys(*flats: dict[str, Any]) -> list[str]:
    keys: dict[str, None] = {}
    for flat in flats:
        keys.update(dict.fromkeys(flat))
    return list(keys)


def _merge_sets(ancestor: list[str], local: list[str], remote: list[str]) -> list[str]:
    base = set(ancestor)
    removed = (base - set(local)) | (base - set(remote))
    return list(dict.fromkeys(v for v in remote + local if v not in removed))


def _unflatten(merged: dict[str, Any], created: str, modified: str,
               new_conflicts: list[Conflict]) -> Item:
    """Build the merged item; standard fields the merged type lacks go to ``new_conflicts``."""
    item_type = merged["type"]
    item = Item(type=item_type, name=merged["name"], created=created, modified=modified,
                urls=list(merged["urls"]), notes=merged["notes"], tags=list(merged["tags"]),
                folder=merged["folder"], trashed=merged["trashed"])
    seen: set[str] = set()
    for text in _get(merged, "attachments"):
        ref = AttachmentRef.from_dict(json.loads(text))
        if ref.id not in seen:  # one record per file, the remote one first
            seen.add(ref.id)
            item.attachments.append(ref)
    allowed = STANDARD_FIELDS[item_type]
    for key, value in merged.items():
        if value is None:
            continue
        if key.startswith("fields."):
            name = key[len("fields."):]
            if name in allowed:
                item.fields[name] = value
            else:
                new_conflicts.append(Conflict(key, value, modified))
        elif key.startswith("custom."):
            item.custom.append(CustomField(key[len("custom."):], value["value"],
                                           value["concealed"]))
    return item


def _identity(conflict: Conflict) -> tuple[str, str]:
    return conflict.field, _canonical(conflict.value)


def _merge_conflicts(ancestor: Item | None, local: Item, remote: Item,
                     new: list[Conflict]) -> list[Conflict]:
    base = {_identity(c) for c in ancestor.conflicts} if ancestor else set()
    on_local = {_identity(c) for c in local.conflicts}
    on_remote = {_identity(c) for c in remote.conflicts}
    kept: list[Conflict] = []
    seen: set[tuple[str, str]] = set()
    for conflict in remote.conflicts + local.conflicts:
        ident = _identity(conflict)
        resolved = ident in base and (ident not in on_local or ident not in on_remote)
        if ident in seen or resolved:
            continue
        seen.add(ident)
        kept.append(conflict)
    for conflict in new:
        ident = _identity(conflict)
        if ident not in seen:
            seen.add(ident)
            kept.append(conflict)
    return kept

"""The content key that tells whether an item is already in the vault (re-import without duplicates).

    key = (type, name, username, URLs, SHA-256 of the password, notes and the other standard fields)

Computed in memory only, never stored or sent. Timestamps, folder, tags and custom fields are
left out, so an item imported twice matches itself even if the two files differ in such details;
an edited password or note makes it a different item.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable

from vault_client.items.model import Item

Key = tuple[str, str, str, tuple[str, ...], bytes]


def content_key(item: Item) -> Key:
    digest = hashlib.sha256()
    for name in sorted(item.fields):
        if name != "username":
            digest.update(f"{name}\0{item.fields[name]}\0".encode("utf-8", "surrogatepass"))
    digest.update(b"notes\0" + item.notes.encode("utf-8", "surrogatepass"))
    return (item.type, item.name.strip().casefold(), item.fields.get("username", ""),
            tuple(sorted(item.urls)), digest.digest())


class Deduper:
    """Matches incoming items against the vault's. Each existing item absorbs one incoming item
    with the same key, so a file holding the same entry twice imports it twice the first time and
    never again."""

    def __init__(self, existing: Iterable[Item]) -> None:
        self._left = Counter(content_key(item) for item in existing)

    def is_duplicate(self, item: Item) -> bool:
        key = content_key(item)
        if self._left[key] > 0:
            self._left[key] -= 1
            return True
        return False

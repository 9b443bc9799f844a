"""An item as the CLI sees it: where it lives, its revision, and its decrypted document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vault_client.items.model import Item


@dataclass
class Entry:
    vault_id: str
    item_id: str
    revision: int
    item: Item
    pending: bool

    def __repr__(self) -> str:
        return f"Entry(vault_id={self.vault_id!r}, item_id={self.item_id!r}, revision={self.revision})"

    def to_wire(self) -> dict[str, Any]:
        return {"vault_id": self.vault_id, "item_id": self.item_id, "revision": self.revision,
                "pending": self.pending, "item": self.item.to_dict()}

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> Entry:
        return cls(doc["vault_id"], doc["item_id"], doc["revision"], Item.from_dict(doc["item"]), doc["pending"])

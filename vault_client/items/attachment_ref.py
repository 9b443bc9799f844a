"""The record of an attached file inside an item document.

An item's ``attachments`` list names each file the item carries::

    {"id": "<uuid4>", "name": "passport.pdf", "size": 482133,
     "sha256": "<hex of the sealed blob>", "key": "<base64url of the 32-byte file key>"}

The file itself is stored on the server as a separate sealed blob (docs/protocol.md, kind 0x09).
Because this record sits inside the item's own encrypted, manifest-covered blob, the server can
neither read the file nor swap, drop or roll back its blob: the client checks the downloaded blob
against ``sha256`` before it opens it, with the ``key`` only this record holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vault_client.items.schema import ATTACHMENT_KEYS, ItemFormatError

__all__ = ["AttachmentRef"]


@dataclass(frozen=True, repr=False)
class AttachmentRef:
    """One attached file: its id, file name, plaintext size, blob hash and file key."""

    id: str
    name: str
    size: int
    sha256: str
    key: str

    def __repr__(self) -> str:
        return f"AttachmentRef(id={self.id!r}, name=<redacted>, size={self.size}, key=<redacted>)"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "size": self.size, "sha256": self.sha256,
                "key": self.key}

    @classmethod
    def from_dict(cls, doc: Any) -> AttachmentRef:
        """Build from a decoded record; values are checked with the rest of the item."""
        if not isinstance(doc, dict) or set(doc) != set(ATTACHMENT_KEYS):
            raise ItemFormatError(f"an attachment must be an object with exactly the keys "
                                  f"{', '.join(ATTACHMENT_KEYS)}")
        return cls(doc["id"], doc["name"], doc["size"], doc["sha256"], doc["key"])

"""Items: the decrypted item document, its history, three-way merge, search, password
generation and strength, and one-time codes.

Pure code: no files (except the bundled word list, read as package data), no network, no keys.
"""

from vault_client.items.model import (
    CONCEALED_FIELDS,
    ITEM_TYPES,
    STANDARD_FIELDS,
    AttachmentRef,
    Conflict,
    CustomField,
    FieldNotFoundError,
    Item,
    ItemFormatError,
    is_concealed_field,
    new_item,
)

__all__ = [
    "CONCEALED_FIELDS",
    "ITEM_TYPES",
    "STANDARD_FIELDS",
    "AttachmentRef",
    "Conflict",
    "CustomField",
    "FieldNotFoundError",
    "Item",
    "ItemFormatError",
    "is_concealed_field",
    "new_item",
]

"""Attached files: sealed on this device, stored on the server as blobs, recorded in the item.

Attaching a file makes a random file key, seals the file with it (``crypto.seal_attachment``,
envelope kind 0x09), uploads the blob under a new attachment id, and returns the item with a record
of the file (id, name, size, SHA-256 of the blob, file key). The caller then saves the item as any
other edit, so the record is encrypted, synced and covered by the manifest like the rest of it.

Fetching checks the downloaded blob's SHA-256 against the record before opening it, and the opened
size against the record after: a server that swaps, truncates or rolls back a blob is caught.

Files are at most ``max_attachment_bytes()``: ``BV_MAX_ATTACHMENT_BYTES`` if set, else 10 MiB.
"""

from __future__ import annotations

import os
from pathlib import Path
from uuid import UUID, uuid4

from vault_client import crypto
from vault_client.crypto.attachment import padded_size
from vault_client.crypto.envelope import AEAD_OVERHEAD
from vault_client.encoding import b64d, b64e
from vault_client.errors import IntegrityFailure, UsageError
from vault_client.items.model import AttachmentRef, Item
from vault_client.transport import Api

DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENT_ENV = "BV_MAX_ATTACHMENT_BYTES"


def max_attachment_bytes() -> int:
    """The largest file this client attaches (``BV_MAX_ATTACHMENT_BYTES``, default 10 MiB)."""
    text = os.environ.get(MAX_ATTACHMENT_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_ATTACHMENT_BYTES
    if not text.isdigit() or not 0 < int(text) <= crypto.MAX_ATTACHMENT_PLAINTEXT:
        raise UsageError(f"{MAX_ATTACHMENT_ENV} must be a positive number of bytes")
    return int(text)


def read_file(path: Path) -> bytes:
    """The bytes of a file to attach, refusing one above the limit before reading it."""
    limit = max_attachment_bytes()
    try:
        size = path.stat().st_size
        if size > limit:
            raise UsageError(f"{path.name} is {size} bytes; attachments are at most {limit} bytes",
                             hint=f"set {MAX_ATTACHMENT_ENV} to allow larger files")
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {path.name} ({exc.strerror or type(exc).__name__})") from None
    if len(data) > limit:
        raise UsageError(f"{path.name} grew past {limit} bytes while it was read")
    return data


def find_attachment(item: Item, ref: str) -> AttachmentRef:
    """The attachment ``ref`` names: its exact file name, the name ignoring case, or an id prefix
    (at least 4 characters). Raises ``UsageError`` when none or several match."""
    tiers = (
        [a for a in item.attachments if a.name == ref],
        [a for a in item.attachments if a.name.casefold() == ref.casefold()],
        [a for a in item.attachments if len(ref) >= 4 and a.id.startswith(ref.lower())],
    )
    for found in tiers:
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            ids = ", ".join(f"{a.name} ({a.id[:8]})" for a in found)
            raise UsageError(f"several attachments match {ref!r}: {ids}", hint="name it by its id")
    names = ", ".join(a.name for a in item.attachments) or "none"
    raise UsageError(f"{item.name!r} has no attachment {ref!r}", hint=f"its attachments: {names}")


def attach(api: Api, vault_id: str, item: Item, name: str, data: bytes, *,
           replace: bool = False) -> tuple[Item, AttachmentRef]:
    """Seal and upload ``data``; return the item to save (with the record added) and the record.

    A file of the same name is refused unless ``replace``, which drops the old record (its blob
    stays on the server for the item's history until deleted with ``detach(..., purge=True)``).
    """
    if len(data) > max_attachment_bytes():
        raise UsageError(f"the file is {len(data)} bytes; attachments are at most {max_attachment_bytes()}")
    if not replace and any(a.name == name for a in item.attachments):
        raise UsageError(f"{item.name!r} already has an attachment called {name!r}",
                         hint="use --replace to put the new file in its place, or --name to rename it")
    attachment_id = uuid4()
    file_key = crypto.new_symmetric_key()
    blob = crypto.seal_attachment(file_key, UUID(vault_id), attachment_id, data)
    ref = AttachmentRef(str(attachment_id), name, len(data), crypto.blob_hash(blob).hex(),
                        b64e(file_key.reveal()))
    api.put_attachment(vault_id, ref.id, blob)
    new = item.copy()
    new.attachments = [a for a in new.attachments if a.name != name] + [ref]
    new.touch()
    return new, ref


def fetch(api: Api, vault_id: str, ref: AttachmentRef) -> bytes:
    """Download, check and open one attachment. ``IntegrityFailure`` if the blob is not the one
    the item records."""
    expected = AEAD_OVERHEAD + padded_size(ref.size)
    blob = api.get_attachment(vault_id, ref.id, expected)
    if len(blob) != expected or crypto.blob_hash(blob).hex() != ref.sha256:
        raise IntegrityFailure(f"attachment {ref.id} is not the file the item records")
    try:
        data = crypto.open_attachment(crypto.SecretBytes(b64d(ref.key)), UUID(vault_id), UUID(ref.id), blob)
    except (crypto.CryptoError, ValueError):
        raise IntegrityFailure(f"attachment {ref.id} does not open") from None
    if len(data) != ref.size:
        raise IntegrityFailure(f"attachment {ref.id} has another size than the item records")
    return data


def detach(api: Api, vault_id: str, item: Item, ref: AttachmentRef, *, purge: bool = False) -> Item:
    """The item without ``ref``. With ``purge`` the blob is deleted from the server too, so no
    earlier version of the item can bring the file back."""
    if purge:
        api.delete_attachment(vault_id, ref.id)
    new = item.copy()
    new.attachments = [a for a in new.attachments if a.id != ref.id]
    new.touch()
    return new

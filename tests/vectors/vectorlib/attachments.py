"""Vectors for attachments (kind 0x09)."""

from __future__ import annotations

import hashlib

from vault_client.crypto import SecretBytes, envelope
from vault_client.crypto.attachment import (
    _seal_attachment_with_nonce,
    attachment_context,
    attachment_key,
    padded_size,
)

from .common import aead_tampers, bad, det, det_uuid, document, ok

_FULL_HEX_LIMIT = 1100


def _data(size: int) -> bytes:
    pattern = det(f"attachment data {size}", 16) if size else b""
    return (pattern * (size // 16 + 1))[:size]


def _case(comment: str, file_key: SecretBytes, size: int) -> dict:
    vault_id, attachment_id = det_uuid("vault"), det_uuid(f"attachment {size}")
    nonce = det(f"attachment nonce {size}", 12)
    data = _data(size)
    blob = _seal_attachment_with_nonce(file_key, vault_id, attachment_id, data, nonce)
    fields = {
        "file_key": file_key.reveal().hex(), "vault_id": str(vault_id),
        "attachment_id": str(attachment_id), "nonce": nonce.hex(),
        "attachment_key": attachment_key(file_key, vault_id, attachment_id).hex(),
        "padded_length": padded_size(size), "blob_sha256": hashlib.sha256(blob).hexdigest(),
    }
    if size <= _FULL_HEX_LIMIT:
        fields.update(plaintext=data.hex(), blob=blob.hex())
    else:
        fields.update(plaintext_repeat={"pattern": data[:16].hex(), "length": size}, blob_length=len(blob))
    return ok(comment, **fields)


def attachment_vectors() -> dict:
    file_key = SecretBytes(det("file key", 32))
    sizes = [
        (0, "an empty file: one 256-byte padded plaintext"),
        (248, "248 bytes + 8-byte prefix fill 256 exactly"),
        (249, "249 bytes: rounded up to a multiple of 16 (264)"),
        (1000, "1000 bytes: rounded up to a multiple of 32"),
        (100_000, "about 100 KB: rounded up to a multiple of 4 KiB"),
        (3 * 1024 * 1024 + 5, "3 MiB and 5 bytes: the rounding step is capped at 32 KiB"),
    ]
    cases = [_case(comment, file_key, size) for size, comment in sizes]
    base = cases[3]
    blob = bytes.fromhex(base["blob"])
    common = {k: base[k] for k in ("file_key", "vault_id", "attachment_id")}
    cases += [bad(c, **common, blob=b.hex()) for c, b in aead_tampers(blob, envelope.KIND_ITEM)]
    other = bytes.fromhex(cases[2]["blob"])
    moved = [
        ("moved to another attachment id", {"attachment_id": str(det_uuid("attachment 0"))}, blob),
        ("moved to another vault id", {"vault_id": str(det_uuid("other vault"))}, blob),
        ("wrong file key", {"file_key": det("other file key", 32).hex()}, blob),
        ("another attachment's blob swapped in", {}, other),
    ]
    cases += [bad(c, **dict(common, **changes), blob=b.hex()) for c, changes, b in moved]
    vault_id, attachment_id = det_uuid("vault"), det_uuid("attachment 1000")
    key = attachment_key(file_key, vault_id, attachment_id)
    context = attachment_context(vault_id, attachment_id)
    nonce = det("attachment padding nonce", 12)
    content = b"y" * 10
    malformed = [
        ("authentic, but the length prefix claims more than the padded plaintext holds",
         (300).to_bytes(8, "big") + bytes(248)),
        ("authentic, but a padding byte is not zero", (10).to_bytes(8, "big") + content + b"\x01" + bytes(237)),
        ("authentic, but padded to 512 where 256 would do (not canonical)",
         (10).to_bytes(8, "big") + content + bytes(494)),
        ("authentic, but shorter than 256 bytes", (10).to_bytes(8, "big") + content),
    ]
    for comment, padded in malformed:
        data = envelope.seal(key, envelope.KIND_ATTACHMENT, context, padded, nonce)
        cases.append(bad(comment, **common, blob=data.hex()))
    return document("Attachment (kind 0x09)", "attachment-kind-0x09", cases)

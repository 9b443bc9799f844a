"""Attachments: one sealed blob per attached file, under a random key of its own.

    attachment key = HKDF-Expand(file key, "blindvault/v1/attachment-key" || vault id || attachment id)
    padded         = u64 plaintext length || plaintext || zero bytes, to padded_size(length)
    blob           = envelope kind 0x09, associated data context = vault id || attachment id

The file key is 32 random bytes made for this one file and recorded, with the blob's SHA-256, in
the item document that carries the file. The item document is itself sealed and covered by the
vault manifest, so the file survives a vault key rotation (only item documents are re-sealed) and
the server can neither read, swap nor roll back the blob.

Padding hides the exact size: the padded length is rounded up as in Padmé (at most about 12 %
more; the step is capped at 32 KiB), and is never below 256 bytes.
"""

from __future__ import annotations

import struct
from uuid import UUID

from . import envelope, labels
from .derive import subkey
from .errors import CryptoError
from .layout import check_blob
from .secret import SecretBytes, key_bytes

MIN_PADDED = 256
MAX_STEP_BITS = 15  # a 32 KiB rounding step at most
LENGTH_PREFIX = 8
MAX_ATTACHMENT_PLAINTEXT = 2**32 - 1

_KIND = envelope.KIND_ATTACHMENT
_PREFIX = struct.Struct(">Q")


def padded_size(length: int) -> int:
    """The padded size for a file of ``length`` bytes (length prefix included)."""
    total = length + LENGTH_PREFIX
    if total <= MIN_PADDED:
        return MIN_PADDED
    exponent = total.bit_length() - 1
    step_bits = min(exponent - exponent.bit_length(), MAX_STEP_BITS)
    mask = (1 << step_bits) - 1
    return (total + mask) & ~mask


def _pad(data: bytes) -> bytes:
    if len(data) > MAX_ATTACHMENT_PLAINTEXT:
        raise ValueError(f"an attachment holds at most {MAX_ATTACHMENT_PLAINTEXT} bytes")
    size = len(data)
    return b"".join((_PREFIX.pack(size), data, bytes(padded_size(size) - size - LENGTH_PREFIX)))


def _unpad(padded: bytes) -> bytes:
    if len(padded) < MIN_PADDED:
        raise CryptoError()
    size = _PREFIX.unpack_from(padded)[0]
    if size > MAX_ATTACHMENT_PLAINTEXT or padded_size(size) != len(padded):
        raise CryptoError()
    end = LENGTH_PREFIX + size
    tail = padded[end:]
    if tail.count(0) != len(tail):
        raise CryptoError()
    return padded[LENGTH_PREFIX:end]


def attachment_context(vault_id: UUID, attachment_id: UUID) -> bytes:
    """The associated-data context ``vault id || attachment id``."""
    if not isinstance(vault_id, UUID) or not isinstance(attachment_id, UUID):
        raise TypeError("vault_id and attachment_id must be uuid.UUID")
    return vault_id.bytes + attachment_id.bytes


def attachment_key(file_key: SecretBytes, vault_id: UUID, attachment_id: UUID) -> bytes:
    """The 32-byte key that seals one attachment (exposed for vectors; never stored)."""
    context = attachment_context(vault_id, attachment_id)
    return subkey(key_bytes(file_key, "file_key"), labels.ATTACHMENT_KEY + context)


def _seal_attachment_with_nonce(file_key: SecretBytes, vault_id: UUID, attachment_id: UUID,
                                data: bytes, nonce: bytes) -> bytes:
    """Deterministic seam of :func:`seal_attachment` (tests and vectors only)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("data must be bytes")
    key = attachment_key(file_key, vault_id, attachment_id)
    return envelope.seal(key, _KIND, attachment_context(vault_id, attachment_id), _pad(bytes(data)), nonce)


def seal_attachment(file_key: SecretBytes, vault_id: UUID, attachment_id: UUID, data: bytes) -> bytes:
    """Seal one file (envelope kind 0x09) under its own random ``file_key``."""
    return _seal_attachment_with_nonce(file_key, vault_id, attachment_id, data, envelope.new_nonce())


def open_attachment(file_key: SecretBytes, vault_id: UUID, attachment_id: UUID, blob: bytes) -> bytes:
    """Open one file; ``CryptoError`` if it was changed, moved to another id or vault, or the key
    is wrong."""
    blob = check_blob(blob)
    key = attachment_key(file_key, vault_id, attachment_id)
    padded = envelope.open_(key, _KIND, attachment_context(vault_id, attachment_id), blob)
    return _unpad(padded)

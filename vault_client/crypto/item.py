"""Items: one padded, AEAD-sealed blob per item revision.

    item key  = HKDF-Expand(vault key, "blindvault/v1/item-key" || vault id || item id)
    padded    = u32 plaintext length || plaintext || zero bytes, to the size bucket
    blob      = envelope kind 0x04, associated data context = vault id || item id || revision (u64)

Size buckets (of the padded plaintext, length prefix included): 256 bytes, then powers of two up
to 64 KiB, then multiples of 64 KiB up to 960 KiB, so a blob stays under the server's 1 MiB.
"""

from __future__ import annotations

import hashlib
import struct
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import envelope, labels
from .derive import subkey
from .errors import CryptoError
from .layout import U64_MAX, check_blob
from .secret import SecretBytes, key_bytes

MIN_BUCKET = 256
POWER_OF_TWO_LIMIT = 64 * 1024
MAX_PADDED = 15 * 64 * 1024
LENGTH_PREFIX = 4
MAX_ITEM_PLAINTEXT = MAX_PADDED - LENGTH_PREFIX

_KIND = envelope.KIND_ITEM
_HEADER = envelope.header(_KIND)
_PREFIX = struct.Struct(">I")
_REVISION = struct.Struct(">Q")
_MIN_BLOB = envelope.AEAD_OVERHEAD + MIN_BUCKET


def bucket_size(plaintext_len: int) -> int:
    """The padded size for a plaintext of ``plaintext_len`` bytes (length prefix included)."""
    need = plaintext_len + LENGTH_PREFIX
    if need <= MIN_BUCKET:
        return MIN_BUCKET
    if need <= POWER_OF_TWO_LIMIT:
        return 1 << (need - 1).bit_length()
    return -(-need // POWER_OF_TWO_LIMIT) * POWER_OF_TWO_LIMIT


def pad(plaintext: bytes) -> bytes:
    """Length prefix, plaintext, zeros up to the bucket."""
    size = len(plaintext)
    if size > MAX_ITEM_PLAINTEXT:
        raise ValueError(f"an item holds at most {MAX_ITEM_PLAINTEXT} bytes")
    return b"".join((_PREFIX.pack(size), plaintext, bytes(bucket_size(size) - size - LENGTH_PREFIX)))


def unpad(padded: bytes) -> bytes:
    """Undo :func:`pad`; anything a sealer could not have made is a ``CryptoError``."""
    if len(padded) < MIN_BUCKET:
        raise CryptoError()
    size = _PREFIX.unpack_from(padded)[0]
    end = LENGTH_PREFIX + size
    if size > MAX_ITEM_PLAINTEXT or bucket_size(size) != len(padded):
        raise CryptoError()
    tail = padded[end:]
    if tail.count(0) != len(tail):
        raise CryptoError()
    return padded[LENGTH_PREFIX:end]


def _revision(revision: int) -> bytes:
    if not isinstance(revision, int) or isinstance(revision, bool):
        raise TypeError("revision must be an int")
    if not 1 <= revision <= U64_MAX:
        raise ValueError(f"revision must be between 1 and {U64_MAX}")
    return _REVISION.pack(revision)


def _ids(vault_id: UUID, item_id: UUID) -> bytes:
    if not isinstance(vault_id, UUID) or not isinstance(item_id, UUID):
        raise TypeError("vault_id and item_id must be uuid.UUID")
    return vault_id.bytes + item_id.bytes


def item_context(vault_id: UUID, item_id: UUID, revision: int) -> bytes:
    """The associated-data context ``vault id || item id || revision``; revisions start at 1."""
    return _ids(vault_id, item_id) + _revision(revision)


def item_key(vault_key: SecretBytes, vault_id: UUID, item_id: UUID) -> bytes:
    """The 32-byte item key (exposed for vectors; it is never stored)."""
    return subkey(key_bytes(vault_key, "vault_key"), labels.ITEM_KEY + _ids(vault_id, item_id))


# The item path builds the envelope inline rather than through envelope.seal/open_: the same
# layout (header, nonce, AES-256-GCM, associated data = header || context), but the ids are
# serialised once and shared by the key derivation and the associated data. It is the hot path
# (see docs/performance.md).


def _item_aead(vault_key: SecretBytes, ids: bytes) -> AESGCM:
    return AESGCM(subkey(key_bytes(vault_key, "vault_key"), labels.ITEM_KEY + ids))


def _seal_item_with_nonce(
    vault_key: SecretBytes,
    vault_id: UUID,
    item_id: UUID,
    revision: int,
    plaintext: bytes,
    nonce: bytes,
) -> bytes:
    """Deterministic seam of :func:`seal_item` (tests and vectors only)."""
    if not isinstance(plaintext, (bytes, bytearray, memoryview)):
        raise TypeError("plaintext must be bytes")
    if len(nonce) != envelope.NONCE_LEN:
        raise ValueError("the nonce must be 12 bytes")
    ids = _ids(vault_id, item_id)
    aad = _HEADER + ids + _revision(revision)
    return _HEADER + nonce + _item_aead(vault_key, ids).encrypt(nonce, pad(plaintext), aad)


def seal_item(
    vault_key: SecretBytes, vault_id: UUID, item_id: UUID, revision: int, plaintext: bytes
) -> bytes:
    """Seal one item revision (envelope kind 0x04)."""
    return _seal_item_with_nonce(
        vault_key, vault_id, item_id, revision, plaintext, envelope.new_nonce()
    )


def open_item(
    vault_key: SecretBytes, vault_id: UUID, item_id: UUID, revision: int, blob: bytes
) -> bytes:
    """Open one item revision; ``CryptoError`` if it was changed, moved to another item, vault or
    revision, or the key is wrong."""
    blob = check_blob(blob)
    ids = _ids(vault_id, item_id)
    try:
        aad = _HEADER + ids + _revision(revision)
    except ValueError:
        raise CryptoError() from None
    aead = _item_aead(vault_key, ids)
    if len(blob) < _MIN_BLOB or blob[:2] != _HEADER:
        raise CryptoError()
    try:
        padded = aead.decrypt(blob[2:14], blob[14:], aad)
    except InvalidTag:
        raise CryptoError() from None
    return unpad(padded)


def blob_hash(blob: bytes) -> bytes:
    """SHA-256 of a blob as stored (32 bytes): what the manifest lists."""
    return hashlib.sha256(check_blob(blob)).digest()

"""The envelope: the one container format of every ciphertext.

    envelope = version (1 byte, 0x01) || kind (1 byte) || body
    body     = nonce (12 bytes) || AES-256-GCM ciphertext || tag (16 bytes)    for AEAD kinds

The associated data of every AEAD kind is ``version || kind || context``, where the context is a
fixed layout per kind (ids, revision, generation; see docs/protocol.md). Kinds 0x06 (grant) and
0x07 (export) have their own bodies, described in their modules and in the spec.
"""

from __future__ import annotations

from secrets import token_bytes

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import CryptoError
from .layout import check_blob

VERSION = 0x01

KIND_ACCOUNT_KEY = 0x01
KIND_PRIVATE_KEYS = 0x02
KIND_VAULT_KEY = 0x03
KIND_ITEM = 0x04
KIND_RECOVERY = 0x05
KIND_GRANT = 0x06
KIND_EXPORT = 0x07
KIND_ATTACHMENT = 0x09

KIND_NAMES = {
    KIND_ACCOUNT_KEY: "account key wrap",
    KIND_PRIVATE_KEYS: "private keys wrap",
    KIND_VAULT_KEY: "vault key wrap",
    KIND_ITEM: "item",
    KIND_RECOVERY: "recovery wrap",
    KIND_GRANT: "grant",
    KIND_EXPORT: "encrypted export",
    KIND_ATTACHMENT: "attachment",
}

HEADER_LEN = 2
NONCE_LEN = 12
TAG_LEN = 16
AEAD_OVERHEAD = HEADER_LEN + NONCE_LEN + TAG_LEN

# Smallest body of each kind (bodies of the fixed-size kinds must match exactly).
_WRAPPED_KEY_BODY = NONCE_LEN + 32 + TAG_LEN
_BODY_EXACT = {
    KIND_ACCOUNT_KEY: _WRAPPED_KEY_BODY,
    KIND_VAULT_KEY: _WRAPPED_KEY_BODY,
    KIND_RECOVERY: _WRAPPED_KEY_BODY,
    KIND_PRIVATE_KEYS: NONCE_LEN + 128 + TAG_LEN,
    KIND_GRANT: 1120 + 32 + TAG_LEN + 64,  # HPKE enc, sealed key, tag, signature (grant.py)
}
_BODY_MIN = {KIND_ITEM: NONCE_LEN + 256 + TAG_LEN, KIND_EXPORT: 28 + NONCE_LEN + TAG_LEN,
             KIND_ATTACHMENT: NONCE_LEN + 256 + TAG_LEN}


def parse_envelope(blob: bytes) -> tuple[int, int, bytes]:
    """Split an envelope into ``(version, kind, body)`` after checking header and length.

    Raises ``CryptoError`` for an unknown version or kind or an impossible length. This checks the
    shape only: it proves nothing about authenticity. Auditors use it to classify stored blobs.
    """
    blob = check_blob(blob)
    if len(blob) < HEADER_LEN or blob[0] != VERSION or blob[1] not in KIND_NAMES:
        raise CryptoError()
    kind, body = blob[1], blob[HEADER_LEN:]
    exact = _BODY_EXACT.get(kind)
    if exact is not None and len(body) != exact:
        raise CryptoError()
    if len(body) < _BODY_MIN.get(kind, 0):
        raise CryptoError()
    return blob[0], kind, body


def header(kind: int) -> bytes:
    """The two header bytes ``version || kind``."""
    return bytes((VERSION, kind))


def seal(key: bytes, kind: int, context: bytes, plaintext: bytes, nonce: bytes) -> bytes:
    """AES-256-GCM seal with associated data ``version || kind || context`` and the given nonce."""
    if len(nonce) != NONCE_LEN:
        raise ValueError("the nonce must be 12 bytes")
    head = header(kind)
    return head + nonce + AESGCM(key).encrypt(nonce, plaintext, head + context)


def open_(key: bytes, kind: int, context: bytes, blob: bytes) -> bytes:
    """Open an AEAD envelope of ``kind``; every failure is the one ``CryptoError``."""
    blob = check_blob(blob)
    if len(blob) < AEAD_OVERHEAD or blob[0] != VERSION or blob[1] != kind:
        raise CryptoError()
    nonce, sealed = blob[HEADER_LEN : HEADER_LEN + NONCE_LEN], blob[HEADER_LEN + NONCE_LEN :]
    try:
        return AESGCM(key).decrypt(nonce, sealed, blob[:HEADER_LEN] + context)
    except InvalidTag:
        raise CryptoError() from None


def new_nonce() -> bytes:
    """A fresh random 96-bit nonce (keys here encrypt few enough messages for random nonces)."""
    return token_bytes(NONCE_LEN)


def open_key(key: bytes, kind: int, context: bytes, blob: bytes) -> bytes:
    """Open an envelope whose plaintext must be a 32-byte key."""
    raw = open_(key, kind, context, blob)
    if len(raw) != 32:
        raise CryptoError()
    return raw

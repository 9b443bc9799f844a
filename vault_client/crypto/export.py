"""Encrypted export: a whole export sealed under a password of the user's choice.

    export = 0x01 || 0x07 || salt (16) || memory_kib (u32) || iterations (u32) || parallelism (u32)
             || nonce (12) || AES-256-GCM ciphertext || tag (16)
    key    = HKDF-Expand(Argon2id(NFKC(password), salt, params), "blindvault/v1/export")
    associated data = the first 30 bytes (header, salt and parameters)

Opening checks the stored parameters against floor and ceiling before any derivation, so a
crafted file cannot make the client hang or accept a trivially weak password hash.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import envelope, labels
from .derive import subkey
from .errors import CryptoError
from .kdf import DEFAULT_KDF, SALT_LEN, KdfParams, check_kdf_params, new_salt, password_key
from .layout import check_blob, read_u32, u32

_HEAD = envelope.header(envelope.KIND_EXPORT)
_PREAMBLE_LEN = envelope.HEADER_LEN + SALT_LEN + 12
_MIN_LEN = _PREAMBLE_LEN + envelope.NONCE_LEN + envelope.TAG_LEN


def _export_key(password: str, salt: bytes, params: KdfParams) -> AESGCM:
    return AESGCM(subkey(password_key(password, salt, params, None), labels.EXPORT))


def _seal_export_with(
    password: str, plaintext: bytes, params: KdfParams, salt: bytes, nonce: bytes
) -> bytes:
    """Deterministic seam of :func:`seal_export` (tests and vectors only)."""
    if not isinstance(plaintext, bytes):
        raise TypeError("plaintext must be bytes")
    if len(nonce) != envelope.NONCE_LEN:
        raise ValueError("the nonce must be 12 bytes")
    aead = _export_key(password, salt, params)
    preamble = _HEAD + salt + u32(params.memory_kib) + u32(params.iterations) + u32(params.parallelism)
    return preamble + nonce + aead.encrypt(nonce, plaintext, preamble)


def seal_export(password: str, plaintext: bytes, params: KdfParams = DEFAULT_KDF) -> bytes:
    """Seal an export under ``password`` (envelope kind 0x07) with a fresh salt and nonce."""
    return _seal_export_with(password, plaintext, params, new_salt(), envelope.new_nonce())


def open_export(password: str, blob: bytes) -> bytes:
    """Open an export. ``KdfParamsError`` (before any derivation) for out-of-bounds parameters;
    ``CryptoError`` for anything else: wrong password, changed or truncated file."""
    blob = check_blob(blob)
    if len(blob) < _MIN_LEN or blob[:2] != _HEAD:
        raise CryptoError()
    salt = blob[2 : 2 + SALT_LEN]
    params = KdfParams(*(read_u32(blob, 2 + SALT_LEN + 4 * i) for i in range(3)))
    check_kdf_params(params)
    aead = _export_key(password, salt, params)
    nonce = blob[_PREAMBLE_LEN : _PREAMBLE_LEN + envelope.NONCE_LEN]
    try:
        return aead.decrypt(nonce, blob[_PREAMBLE_LEN + envelope.NONCE_LEN :], blob[:_PREAMBLE_LEN])
    except InvalidTag:
        raise CryptoError() from None

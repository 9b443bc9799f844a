"""Unlocking: two-secret key derivation, and the account key wrapped under the KEK.

    password key = Argon2id(NFKC(password), salt, params)            32 bytes
    master       = HKDF-SHA256(ikm = password key || Secret Key,
                               salt = account salt, info = "blindvault/v1/master")
    auth key     = HKDF-Expand(master, "blindvault/v1/auth")         sent to the server
    KEK          = HKDF-Expand(master, "blindvault/v1/kek")          never leaves the client
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from . import envelope, labels
from .derive import hkdf, subkey
from .kdf import KdfParams, password_key
from .layout import uuid_bytes
from .secret import REDACTED, SecretBytes, key_bytes
from .secret_key import SecretKey


@dataclass(frozen=True, repr=False)
class AccountKeys:
    """The result of unlocking. Both keys are 32 bytes."""

    auth_key: SecretBytes  # sent to the server at register/login; it stores an Argon2id hash
    kek: SecretBytes  # key-encryption key: wraps the account key; never leaves the client

    def __repr__(self) -> str:
        return f"AccountKeys(auth_key={REDACTED}, kek={REDACTED})"

    __str__ = __repr__


def derive_account_keys(
    password: str,
    secret_key: SecretKey,
    salt: bytes,
    params: KdfParams,
    pinned: KdfParams | None = None,
) -> AccountKeys:
    """Derive the auth key and KEK from password and Secret Key.

    Raises ``KdfParamsError`` before any derivation when ``params`` (or the salt) are out of bounds
    or below ``pinned``, the parameters this device last used successfully.
    """
    if not isinstance(secret_key, SecretKey):
        raise TypeError("secret_key must be a SecretKey")
    pkey = password_key(password, salt, params, pinned)
    master = hkdf(pkey + secret_key.secret.reveal(), salt, labels.MASTER)
    return AccountKeys(
        auth_key=SecretBytes(subkey(master, labels.AUTH)),
        kek=SecretBytes(subkey(master, labels.KEK)),
    )


def _account_context(account_id: UUID) -> bytes:
    return uuid_bytes(account_id, "account_id")


def _wrap_account_key_with_nonce(
    kek: SecretBytes, account_key: SecretBytes, account_id: UUID, nonce: bytes
) -> bytes:
    """Deterministic seam of :func:`wrap_account_key` (tests and vectors only)."""
    return envelope.seal(
        key_bytes(kek, "kek"),
        envelope.KIND_ACCOUNT_KEY,
        _account_context(account_id),
        key_bytes(account_key, "account_key"),
        nonce,
    )


def wrap_account_key(kek: SecretBytes, account_key: SecretBytes, account_id: UUID) -> bytes:
    """Wrap the account key under the KEK (envelope kind 0x01, bound to the account id)."""
    return _wrap_account_key_with_nonce(kek, account_key, account_id, envelope.new_nonce())


def unwrap_account_key(kek: SecretBytes, blob: bytes, account_id: UUID) -> SecretBytes:
    """Unwrap the account key; ``CryptoError`` if anything is wrong."""
    raw = envelope.open_key(
        key_bytes(kek, "kek"), envelope.KIND_ACCOUNT_KEY, _account_context(account_id), blob
    )
    return SecretBytes(raw)

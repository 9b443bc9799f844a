"""The recovery code: 256 random bits, made only when the user asks, shown once.

    wrap key = HKDF-Expand(code, "blindvault/v1/recovery-wrap" || account id)
    verifier = HKDF-Expand(code, "blindvault/v1/recovery-verifier" || account id)   sent to the server
    blob     = envelope kind 0x05 of the account key, associated data context = account id

The code is a full-strength random key, so no password hashing is needed; the server stores only
the wrapped account key and (a hash of) the verifier, which reveal nothing about the wrap key.
"""

from __future__ import annotations

from uuid import UUID

from . import envelope, labels
from .derive import subkey
from .humanform import HumanKey
from .layout import uuid_bytes
from .secret import SecretBytes, key_bytes


class RecoveryCode(HumanKey):
    """A 256-bit recovery code; ``format()`` gives ``BVR1-XXXXXX-...`` (54 symbols in 9 groups)."""

    LENGTH = 32
    PREFIX = "BVR1"
    CHECK_LABEL = labels.RECOVERY_CODE_CHECK
    GROUP = 6
    NOUN = "recovery code"
    __slots__ = ()


def recovery_keys(code: RecoveryCode, account_id: UUID) -> tuple[SecretBytes, SecretBytes]:
    """``(wrap key, verifier)`` of a recovery code for one account. Only the verifier is sent."""
    if not isinstance(code, RecoveryCode):
        raise TypeError("code must be a RecoveryCode")
    raw, aid = code.secret.reveal(), uuid_bytes(account_id, "account_id")
    return (
        SecretBytes(subkey(raw, labels.RECOVERY_WRAP + aid)),
        SecretBytes(subkey(raw, labels.RECOVERY_VERIFIER + aid)),
    )


def _wrap_account_key_for_recovery_with_nonce(
    code: RecoveryCode, account_key: SecretBytes, account_id: UUID, nonce: bytes
) -> bytes:
    """Deterministic seam of :func:`wrap_account_key_for_recovery` (tests and vectors only)."""
    wrap_key, _ = recovery_keys(code, account_id)
    return envelope.seal(
        wrap_key.reveal(),
        envelope.KIND_RECOVERY,
        account_id.bytes,
        key_bytes(account_key, "account_key"),
        nonce,
    )


def wrap_account_key_for_recovery(
    code: RecoveryCode, account_key: SecretBytes, account_id: UUID
) -> bytes:
    """Wrap the account key under the recovery code (envelope kind 0x05)."""
    return _wrap_account_key_for_recovery_with_nonce(
        code, account_key, account_id, envelope.new_nonce()
    )


def unwrap_account_key_for_recovery(
    code: RecoveryCode, blob: bytes, account_id: UUID
) -> SecretBytes:
    """Unwrap the account key with the recovery code; ``CryptoError`` if anything is wrong."""
    wrap_key, _ = recovery_keys(code, account_id)
    return SecretBytes(
        envelope.open_key(wrap_key.reveal(), envelope.KIND_RECOVERY, account_id.bytes, blob)
    )

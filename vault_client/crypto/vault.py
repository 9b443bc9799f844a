"""A member's own copy of a vault key, wrapped under a sub-key of the member's account key.

    wrap key = HKDF-Expand(account key, "blindvault/v1/vault-key-wrap")
    blob     = envelope kind 0x03, associated data context = vault id (16) || generation (u32)
"""

from __future__ import annotations

from uuid import UUID

from . import envelope, labels
from .derive import subkey
from .layout import opened_context, u32, uuid_bytes
from .secret import SecretBytes, key_bytes


def vault_key_context(vault_id: UUID, generation: int) -> bytes:
    """``vault id || generation``; a generation starts at 1."""
    return uuid_bytes(vault_id, "vault_id") + u32(generation, "generation", low=1)


def _wrap_key(account_key: SecretBytes) -> bytes:
    return subkey(key_bytes(account_key, "account_key"), labels.VAULT_KEY_WRAP)


def _wrap_vault_key_with_nonce(
    account_key: SecretBytes, vault_key: SecretBytes, vault_id: UUID, generation: int, nonce: bytes
) -> bytes:
    """Deterministic seam of :func:`wrap_vault_key` (tests and vectors only)."""
    return envelope.seal(
        _wrap_key(account_key),
        envelope.KIND_VAULT_KEY,
        vault_key_context(vault_id, generation),
        key_bytes(vault_key, "vault_key"),
        nonce,
    )


def wrap_vault_key(
    account_key: SecretBytes, vault_key: SecretBytes, vault_id: UUID, generation: int
) -> bytes:
    """Wrap a vault key of one generation under the account key (envelope kind 0x03)."""
    return _wrap_vault_key_with_nonce(account_key, vault_key, vault_id, generation, envelope.new_nonce())


def unwrap_vault_key(
    account_key: SecretBytes, blob: bytes, vault_id: UUID, generation: int
) -> SecretBytes:
    """Unwrap a vault key; ``CryptoError`` if it was changed, moved or the key is wrong."""
    context = opened_context(vault_key_context, vault_id, generation)
    return SecretBytes(envelope.open_key(_wrap_key(account_key), envelope.KIND_VAULT_KEY, context, blob))

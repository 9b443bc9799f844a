"""Grants: a vault key HPKE-sealed to a member's sharing key and signed by the inviter.

    suite     = HPKE base mode, KEM ML-KEM-768+X25519, KDF HKDF-SHA256, AEAD AES-256-GCM
    info      = "blindvault/v1/grant-seal" || vault id || recipient id || generation (u32) || role (u8)
    sealed    = HPKE single-shot seal of the 32-byte vault key: enc (1120) || ct (32) || tag (16)
    message   = "blindvault/v1/grant-signature" || vault id || recipient id || generation (u32)
                || role (u8) || SHA-256(sealed) || inviter id
    grant     = 0x01 || 0x06 || sealed (1168) || Ed25519 signature over message (64)
"""

from __future__ import annotations

import hashlib
from uuid import UUID

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hpke

from . import envelope, labels
from .errors import CryptoError
from .identity import KeyPairs, PublicBundle, identity_key, sharing_key
from .layout import check_blob, opened_context, u32, uuid_bytes
from .secret import SecretBytes, key_bytes

ROLES = {"owner": 0x01, "editor": 0x02, "viewer": 0x03}
SEALED_LEN = 1120 + 32 + 16
GRANT_LEN = envelope.HEADER_LEN + SEALED_LEN + 64

_SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def _role_byte(role: str) -> bytes:
    if role not in ROLES:
        raise ValueError("role must be one of: " + ", ".join(ROLES))
    return bytes((ROLES[role],))


def _grant_context(vault_id: UUID, recipient_id: UUID, generation: int, role: str) -> bytes:
    return (
        uuid_bytes(vault_id, "vault_id")
        + uuid_bytes(recipient_id, "recipient_id")
        + u32(generation, "generation", low=1)
        + _role_byte(role)
    )


def grant_info(vault_id: UUID, recipient_id: UUID, generation: int, role: str) -> bytes:
    """The HPKE ``info`` of a grant."""
    return labels.GRANT_SEAL + _grant_context(vault_id, recipient_id, generation, role)


def _signed_message(context: bytes, sealed: bytes, inviter_id: UUID) -> bytes:
    return (
        labels.GRANT_SIGNATURE
        + context
        + hashlib.sha256(sealed).digest()
        + uuid_bytes(inviter_id, "inviter_id")
    )


def _sign_grant(
    sealed: bytes,
    vault_id: UUID,
    generation: int,
    role: str,
    recipient_id: UUID,
    inviter_keys: KeyPairs,
    inviter_id: UUID,
) -> bytes:
    """Assemble a grant around an HPKE ciphertext (seam: HPKE sealing itself is randomised)."""
    if not isinstance(inviter_keys, KeyPairs):
        raise TypeError("inviter_keys must be KeyPairs")
    if len(sealed) != SEALED_LEN:
        raise ValueError(f"the sealed key must be {SEALED_LEN} bytes")
    context = _grant_context(vault_id, recipient_id, generation, role)
    signature = inviter_keys._sign(_signed_message(context, sealed, inviter_id))
    return envelope.header(envelope.KIND_GRANT) + sealed + signature


def seal_grant(
    vault_key: SecretBytes,
    vault_id: UUID,
    generation: int,
    role: str,
    recipient: PublicBundle,
    inviter_keys: KeyPairs,
    inviter_id: UUID,
) -> bytes:
    """Seal ``vault_key`` to ``recipient`` and sign the grant with the inviter's identity key.

    The caller must have checked ``recipient`` against a pinned or verified fingerprint first.
    """
    info = grant_info(vault_id, recipient.account_id, generation, role)
    sealed = _SUITE.encrypt(key_bytes(vault_key, "vault_key"), sharing_key(recipient), info=info)
    return _sign_grant(sealed, vault_id, generation, role, recipient.account_id, inviter_keys, inviter_id)


def open_grant(
    blob: bytes,
    my_keys: KeyPairs,
    my_id: UUID,
    inviter: PublicBundle,
    vault_id: UUID,
    generation: int,
    role: str,
) -> SecretBytes:
    """Verify the inviter's signature, then open the grant; ``CryptoError`` on any failure.

    ``inviter`` must be a bundle the caller already trusts (pinned or verified); its account id
    is the inviter id bound into the signature.
    """
    if not isinstance(my_keys, KeyPairs):
        raise TypeError("my_keys must be KeyPairs")
    blob = check_blob(blob)
    context = opened_context(_grant_context, vault_id, my_id, generation, role)
    public = identity_key(inviter)
    if len(blob) != GRANT_LEN or blob[:2] != envelope.header(envelope.KIND_GRANT):
        raise CryptoError()
    sealed, signature = blob[2 : 2 + SEALED_LEN], blob[2 + SEALED_LEN :]
    try:
        public.verify(signature, _signed_message(context, sealed, inviter.account_id))
        raw = _SUITE.decrypt(sealed, my_keys._hpke_private(), info=labels.GRANT_SEAL + context)
    except (InvalidSignature, InvalidTag, ValueError):
        raise CryptoError() from None
    # SEALED_LEN fixes the plaintext at 32 bytes: AES-GCM ciphertext length = plaintext length.
    return SecretBytes(raw)

"""The Blindvault crypto core: pure functions, no I/O. docs/protocol.md is its specification.

Every failed open, unwrap or verification raises the one :class:`CryptoError`. Callers never pass
nonces or choose algorithms; secrets travel as :class:`SecretBytes`, which never print.
"""

from __future__ import annotations

from .account import AccountKeys, derive_account_keys, unwrap_account_key, wrap_account_key
from .attachment import MAX_ATTACHMENT_PLAINTEXT, open_attachment, seal_attachment
from .envelope import parse_envelope
from .errors import CryptoError, KdfParamsError, SecretKeyFormatError
from .export import open_export, seal_export
from .grant import ROLES, open_grant, seal_grant
from .identity import (
    KeyPairs,
    PublicBundle,
    fingerprint,
    make_public_bundle,
    safety_number,
    unwrap_private_keys,
    verify_public_bundle,
    wrap_private_keys,
)
from .item import MAX_ITEM_PLAINTEXT, blob_hash, open_item, seal_item
from .kdf import DEFAULT_KDF, KDF_CEILING, KDF_FLOOR, KdfParams, check_kdf_params, new_salt
from .manifest import (
    bucket_digest,
    bucket_of,
    manifest_mac,
    manifest_mac_from_buckets,
    verify_manifest,
    verify_manifest_from_buckets,
)
from .recovery import (
    RecoveryCode,
    recovery_keys,
    unwrap_account_key_for_recovery,
    wrap_account_key_for_recovery,
)
from .secret import SecretBytes, new_symmetric_key
from .secret_key import SecretKey
from .vault import unwrap_vault_key, wrap_vault_key

__all__ = [
    "AccountKeys",
    "CryptoError",
    "DEFAULT_KDF",
    "KDF_CEILING",
    "KDF_FLOOR",
    "KdfParams",
    "KdfParamsError",
    "KeyPairs",
    "MAX_ATTACHMENT_PLAINTEXT",
    "MAX_ITEM_PLAINTEXT",
    "PublicBundle",
    "ROLES",
    "RecoveryCode",
    "SecretBytes",
    "SecretKey",
    "SecretKeyFormatError",
    "blob_hash",
    "bucket_digest",
    "bucket_of",
    "check_kdf_params",
    "derive_account_keys",
    "fingerprint",
    "make_public_bundle",
    "manifest_mac",
    "manifest_mac_from_buckets",
    "new_salt",
    "new_symmetric_key",
    "open_attachment",
    "open_export",
    "open_grant",
    "open_item",
    "parse_envelope",
    "recovery_keys",
    "safety_number",
    "seal_attachment",
    "seal_export",
    "seal_grant",
    "seal_item",
    "unwrap_account_key",
    "unwrap_account_key_for_recovery",
    "unwrap_private_keys",
    "unwrap_vault_key",
    "verify_manifest",
    "verify_manifest_from_buckets",
    "verify_public_bundle",
    "wrap_account_key",
    "wrap_account_key_for_recovery",
    "wrap_private_keys",
    "wrap_vault_key",
]

"""Every label string of the protocol, named once.

docs/protocol.md quotes each of these byte strings exactly. A label never changes once published:
a new label means a new protocol version. No label is a prefix of another (a test checks this).
"""

from __future__ import annotations

# Two-secret key derivation (HKDF-SHA256 info strings).
MASTER = b"blindvault/v1/master"
AUTH = b"blindvault/v1/auth"
KEK = b"blindvault/v1/kek"

# Sub-keys of the account key (HKDF-SHA256 info strings).
PRIVATE_KEYS_WRAP = b"blindvault/v1/private-keys-wrap"
VAULT_KEY_WRAP = b"blindvault/v1/vault-key-wrap"

# Sub-keys of a vault key (HKDF-SHA256 info prefixes, followed by ids).
ITEM_KEY = b"blindvault/v1/item-key"
MANIFEST_KEY = b"blindvault/v1/manifest-key"

# Manifest MAC input prefix (HMAC-SHA256 message).
MANIFEST_MAC = b"blindvault/v1/manifest-mac"

# Public identity.
PUBLIC_BUNDLE = b"blindvault/v1/public-bundle"
FINGERPRINT = b"blindvault/v1/fingerprint"

# Grants (HPKE info prefix and Ed25519 signed-message prefix).
GRANT_SEAL = b"blindvault/v1/grant-seal"
GRANT_SIGNATURE = b"blindvault/v1/grant-signature"

# Recovery code sub-keys (HKDF-SHA256 info prefixes, followed by the account id).
RECOVERY_WRAP = b"blindvault/v1/recovery-wrap"
RECOVERY_VERIFIER = b"blindvault/v1/recovery-verifier"

# Human forms: inputs of the hash check symbol.
SECRET_KEY_CHECK = b"blindvault/v1/secret-key-check"
RECOVERY_CODE_CHECK = b"blindvault/v1/recovery-code-check"

# Encrypted export (HKDF-SHA256 info string over the Argon2id output).
EXPORT = b"blindvault/v1/export"

# Attachments (HKDF-SHA256 info prefix over a file key, followed by vault id and attachment id).
ATTACHMENT_KEY = b"blindvault/v1/attachment-key"

ALL: dict[str, bytes] = {
    name: value for name, value in globals().items() if name.isupper() and isinstance(value, bytes)
}

"""The server's few cryptographic chores: session tokens, keyed HMACs (auth keys: ``hashing.py``).

None of this touches vault data: the server holds no key that opens a ciphertext.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from vault_server.models.wire import b64decode, b64encode

TOKEN_BYTES = 32

# Labels for the server's keyed hashes; each names one purpose.
LABEL_DECOY_SALT = b"blindvault server v1 prelogin decoy salt"
LABEL_DECOY_ACCOUNT_ID = b"blindvault server v1 recovery decoy account id"
LABEL_THROTTLE_ACCOUNT = b"blindvault server v1 throttle account"
LABEL_THROTTLE_ADDRESS = b"blindvault server v1 throttle address"


def new_session_token() -> tuple[str, bytes]:
    """A fresh bearer token (base64url of 32 random bytes) and the SHA-256 the server stores."""
    raw = secrets.token_bytes(TOKEN_BYTES)
    return b64encode(raw), hashlib.sha256(raw).digest()


def token_hash(token: str) -> bytes | None:
    """SHA-256 of a presented bearer token, or None when it is not a well-formed token."""
    try:
        raw = b64decode(token)
    except ValueError:
        return None
    if len(raw) != TOKEN_BYTES:
        return None
    return hashlib.sha256(raw).digest()


def keyed_hash(secret: bytes, label: bytes, value: str) -> bytes:
    """HMAC-SHA256 of ``value`` under ``secret``, separated by purpose ``label``."""
    return hmac.new(secret, label + b"\x00" + value.encode("utf-8"), hashlib.sha256).digest()


def decoy_salt(secret: bytes, email: str) -> bytes:
    """The stable fake salt an unknown email gets at prelogin (16 bytes, like a real one)."""
    return keyed_hash(secret, LABEL_DECOY_SALT, email)[:16]


def decoy_account_id(secret: bytes, email: str) -> uuid.UUID:
    """The stable fake account id an unknown email gets from ``/recovery/account-id``: 128 bits
    of an HMAC with the version and variant bits set, so it is shaped like any UUIDv4."""
    return uuid.UUID(bytes=keyed_hash(secret, LABEL_DECOY_ACCOUNT_ID, email)[:16], version=4)


def reset_token_hash(token: str) -> bytes | None:
    """SHA-256 of a presented reset token, or None when it is not a well-formed token."""
    return token_hash(token)

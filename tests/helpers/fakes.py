"""Fake client data with the right shapes: the server only checks envelope headers and lengths.

Nothing here is real cryptography; the server cannot tell, which is the point.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import Any

ENVELOPE_VERSION = 0x01
KIND_ACCOUNT_KEY, KIND_PRIVATE_KEYS, KIND_VAULT_KEY, KIND_ITEM = 0x01, 0x02, 0x03, 0x04
KIND_RECOVERY, KIND_GRANT, KIND_ATTACHMENT = 0x05, 0x06, 0x09
GRANT_LEN = 1234  # docs/protocol.md: a grant is always this long
FLOOR_KDF = {"memory_kib": 19456, "iterations": 2, "parallelism": 1}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def envelope(kind: int, body_len: int = 48) -> bytes:
    """``0x01 || kind || random``: a header-valid ciphertext of ``2 + body_len`` bytes."""
    return bytes([ENVELOPE_VERSION, kind]) + secrets.token_bytes(body_len)


def new_id() -> str:
    return str(uuid.uuid4())


def fake_email(prefix: str = "user") -> str:
    return f"{prefix}-{secrets.token_hex(4)}@example.test"


def vault_body(vault_id: str | None = None) -> dict[str, Any]:
    return {
        "vault_id": vault_id or new_id(),
        "wrapped_vault_key": b64(envelope(KIND_VAULT_KEY, 60)),
        "key_generation": 1,
        "manifest": {"version": 0, "mac": b64(secrets.token_bytes(32))},
    }


def bundle() -> dict[str, str]:
    return {
        "identity_public": b64(secrets.token_bytes(32)),
        "sharing_public": b64(secrets.token_bytes(1216)),
        "signature": b64(secrets.token_bytes(64)),
    }


def new_keys() -> tuple[dict[str, Any], bytes]:
    """Fresh password material and key wraps, as a register or reset sends them; and the auth key."""
    auth_key = secrets.token_bytes(32)
    return {
        "salt": b64(secrets.token_bytes(16)),
        "kdf": dict(FLOOR_KDF),
        "auth_key": b64(auth_key),
        "wrapped_account_key": b64(envelope(KIND_ACCOUNT_KEY, 60)),
        "wrapped_private_keys": b64(envelope(KIND_PRIVATE_KEYS, 200)),
        "bundle": bundle(),
    }, auth_key


def registration(email: str | None = None, device_name: str = "test device") -> tuple[dict[str, Any], bytes]:
    """A register request body and the raw auth key it carries."""
    keys, auth_key = new_keys()
    body = {
        "email": email or fake_email(),
        "account_id": new_id(),
        **keys,
        "vault": vault_body(),
        "device_name": device_name,
    }
    return body, auth_key


def grant() -> str:
    """A header-valid grant (kind 0x06) of the protocol's length."""
    return b64(envelope(KIND_GRANT, GRANT_LEN - 2))


def wrapped_vault_key() -> str:
    return b64(envelope(KIND_VAULT_KEY, 60))


def attachment(size: int) -> bytes:
    """A header-valid sealed attachment of exactly ``size`` bytes."""
    return envelope(KIND_ATTACHMENT, size - 2)


def password_material() -> tuple[dict[str, Any], bytes]:
    """Salt, KDF, auth key and wrapped account key of a new password; and the raw auth key."""
    keys, auth_key = new_keys()
    return {k: keys[k] for k in ("salt", "kdf", "auth_key", "wrapped_account_key")}, auth_key


def item_change(item_id: str | None = None, base_revision: int = 0, tombstone: bool = False,
                size: int = 100) -> dict[str, Any]:
    return {
        "item_id": item_id or new_id(),
        "base_revision": base_revision,
        "revision": base_revision + 1,
        "blob": None if tombstone else b64(envelope(KIND_ITEM, size)),
    }


def batch(base_manifest_version: int, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "base_manifest_version": base_manifest_version,
        "manifest": {"version": base_manifest_version + 1, "mac": b64(secrets.token_bytes(32))},
        "items": items,
    }


def rotation(base_manifest_version: int, new_generation: int, items: list[tuple[str, int, bool]],
             grants: list[str], remove: list[str] | None = None) -> dict[str, Any]:
    """A rotate body: ``items`` are (item id, current revision, is tombstone) of every item."""
    return {
        "remove": list(remove or []),
        "new_generation": new_generation,
        "base_manifest_version": base_manifest_version,
        "manifest": {"version": base_manifest_version + 1, "mac": b64(secrets.token_bytes(32))},
        "items": [item_change(item_id, revision, tombstone) for item_id, revision, tombstone in items],
        "own_wrapped_vault_key": wrapped_vault_key(),
        "grants": [{"account_id": account_id, "grant": grant()} for account_id in grants],
    }

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


def registration(email: str | None = None, device_name: str = "test device") -> tuple[dict[str, Any], bytes]:
    """A register request body and the raw auth key it carries."""
    auth_key = secrets.token_bytes(32)
    body = {
        "email": email or fake_email(),
        "account_id": new_id(),
        "salt": b64(secrets.token_bytes(16)),
        "kdf": dict(FLOOR_KDF),
        "auth_key": b64(auth_key),
        "wrapped_account_key": b64(envelope(KIND_ACCOUNT_KEY, 60)),
        "wrapped_private_keys": b64(envelope(KIND_PRIVATE_KEYS, 200)),
        "bundle": {
            "identity_public": b64(secrets.token_bytes(32)),
            "sharing_public": b64(secrets.token_bytes(1216)),
            "signature": b64(secrets.token_bytes(64)),
        },
        "vault": vault_body(),
        "device_name": device_name,
    }
    return body, auth_key


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

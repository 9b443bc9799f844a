"""Wire types: how bytes, ids, emails and names look in JSON, with their bounds.

Bytes travel as base64url without padding; ids as canonical lowercase UUID strings. Ciphertext
fields must be an envelope of the one format version: ``0x01 || kind || nonce(12) || ct+tag(16+)``.
The server checks only that header and the length; it never holds a key that could open one.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, StringConstraints, WithJsonSchema

ENVELOPE_VERSION = 0x01
ENVELOPE_MIN_LEN = 2 + 12 + 16


class EnvelopeKind:
    """Envelope kind bytes (second byte of every ciphertext), as in docs/protocol.md."""

    ACCOUNT_KEY = 0x01
    PRIVATE_KEYS = 0x02
    VAULT_KEY = 0x03
    ITEM = 0x04
    RECOVERY = 0x05
    GRANT = 0x06
    EXPORT = 0x07
    ATTACHMENT = 0x09


KIB = 1024
MIB = 1024 * 1024
MAX_ITEM_BLOB = 1 * MIB
MAX_WRAP = 4 * KIB
MAX_GRANT = 4 * KIB
MAX_PRIVATE_KEYS_WRAP = 16 * KIB
MAX_SHARING_PUBLIC = 4 * KIB
MAX_INT = 2**62

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: Any) -> bytes:
    """Strict base64url without padding (canonical: no stray trailing bits)."""
    if isinstance(text, bytes):  # already decoded (built server-side from a stored row)
        return text
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("must be base64url without padding")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("must be base64url without padding") from None
    if b64encode(data) != text:
        raise ValueError("must be canonical base64url without padding")
    return data


def _length_check(min_len: int, max_len: int):
    def check(data: bytes) -> bytes:
        if not min_len <= len(data) <= max_len:
            if min_len == max_len:
                raise ValueError(f"must be exactly {min_len} bytes")
            raise ValueError(f"must be {min_len} to {max_len} bytes")
        return data

    return check


def _envelope_check(kind: int):
    def check(data: bytes) -> bytes:
        if data[0] != ENVELOPE_VERSION:
            raise ValueError("not a ciphertext of the supported format version")
        if data[1] != kind:
            raise ValueError("ciphertext of the wrong kind for this field")
        return data

    return check


def B64(min_len: int, max_len: int, description: str) -> Any:  # noqa: N802 - type factory
    """Bytes as base64url, ``min_len``..``max_len`` bytes once decoded."""
    return Annotated[
        bytes,
        BeforeValidator(b64decode),
        AfterValidator(_length_check(min_len, max_len)),
        PlainSerializer(b64encode, return_type=str),
        WithJsonSchema(
            {
                "type": "string",
                "contentEncoding": "base64url",
                "description": f"{description} ({min_len}..{max_len} bytes, base64url, no padding)"
                if min_len != max_len
                else f"{description} ({min_len} bytes, base64url, no padding)",
                "pattern": "^[A-Za-z0-9_-]*$",
                "maxLength": (max_len * 4 + 2) // 3,
            }
        ),
    ]


def Envelope(kind: int, max_len: int, description: str) -> Any:  # noqa: N802 - type factory
    """A ciphertext envelope of ``kind`` as base64url; only its header and length are checked."""
    return Annotated[
        bytes,
        BeforeValidator(b64decode),
        AfterValidator(_length_check(ENVELOPE_MIN_LEN, max_len)),
        AfterValidator(_envelope_check(kind)),
        PlainSerializer(b64encode, return_type=str),
        WithJsonSchema(
            {
                "type": "string",
                "contentEncoding": "base64url",
                "description": f"{description}: envelope 0x01 kind 0x{kind:02x}, "
                f"{ENVELOPE_MIN_LEN}..{max_len} bytes, base64url, no padding",
                "pattern": "^[A-Za-z0-9_-]*$",
                "maxLength": (max_len * 4 + 2) // 3,
            }
        ),
    ]


def _canonical_uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise ValueError("must be a canonical lowercase UUID")
    return uuid.UUID(value)


Id = Annotated[
    uuid.UUID,
    BeforeValidator(_canonical_uuid),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "format": "uuid", "description": "canonical lowercase UUID"}),
]


def _normalise_email(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    value = unicodedata.normalize("NFKC", value).strip().casefold()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in value) or "@" in domain:
        raise ValueError("must be an email address")
    return value


Email = Annotated[
    str,
    StringConstraints(min_length=3, max_length=254),
    AfterValidator(_normalise_email),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 254,
            "description": "email address; compared and stored NFKC-normalised, trimmed and case-folded",
        }
    ),
]

DeviceName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True, pattern=r"^[^\x00-\x1f\x7f]+$")
]

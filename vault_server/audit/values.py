"""Checks of single column values, one factory per class of data.

A check takes the value exactly as the database driver returns it (SQLite gives text for ids and
timestamps, PostgreSQL gives ``uuid.UUID`` and ``datetime``) and returns ``None`` when it fits,
or the reason it does not. Text where bytes belong, a number stored as text (SQLite allows it),
or a string that reads as words where an opaque token belongs are all reasons.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable, Collection
from datetime import datetime

from vault_server.audit import formats
from vault_server.audit.text import excerpt, is_text

Check = Callable[[object], "str | None"]


def _kind_of(value: object) -> str:
    if isinstance(value, str):
        return f"text {excerpt(value)!r}" + (" (reads as words)" if is_text(value) else "")
    if isinstance(value, (bytes, memoryview)):
        return f"{len(value)} bytes"
    return type(value).__name__


def _bytes(value: object) -> bytes | None:
    if isinstance(value, memoryview):
        return value.tobytes()
    return value if isinstance(value, bytes) else None


def ciphertext(*kinds: int) -> Check:
    def check(value: object) -> str | None:
        blob = _bytes(value)
        if blob is None:
            return f"{_kind_of(value)} where an envelope belongs"
        return formats.envelope_problem(blob, kinds)

    return check


def random_bytes(length: int) -> Check:
    """Key material, salts, MACs and SHA-256 digests: ``length`` bytes that look uniformly random."""

    def check(value: object) -> str | None:
        data = _bytes(value)
        if data is None:
            return f"{_kind_of(value)} where {length} random bytes belong"
        return formats.fixed_random_problem(data, length)

    return check


def mlkem_public(value: object) -> str | None:
    data = _bytes(value)
    if data is None:
        return f"{_kind_of(value)} where a public key belongs"
    return formats.mlkem_x25519_public_problem(data)


def argon2id(value: object) -> str | None:
    if not isinstance(value, str):
        return f"{_kind_of(value)} where an Argon2id hash belongs"
    problem = formats.argon2_problem(value)
    return f"{problem}: {_kind_of(value)}" if problem else None


def pattern(regex: str, what: str) -> Check:
    compiled = re.compile(regex)

    def check(value: object) -> str | None:
        if not isinstance(value, str) or not compiled.fullmatch(value):
            return f"{_kind_of(value)} is not {what}"
        return None

    return check


_HEX_UUID = re.compile(r"[0-9a-f]{32}")
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def opaque_id(value: object) -> str | None:
    if isinstance(value, uuid.UUID):
        return None
    if isinstance(value, str) and (_HEX_UUID.fullmatch(value) or _CANONICAL_UUID.fullmatch(value)):
        return None
    return f"{_kind_of(value)} is not a UUID"


def counter(minimum: int = 0, maximum: int = 2**62) -> Check:
    def check(value: object) -> str | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return f"{_kind_of(value)} where a number belongs"
        if not minimum <= value <= maximum:
            return f"{value} is outside {minimum}..{maximum}"
        return None

    return check


_SQLITE_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?")


def timestamp(value: object) -> str | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, str) and _SQLITE_TIMESTAMP.fullmatch(value):
        try:
            datetime.fromisoformat(value)
            return None
        except ValueError:
            pass
    return f"{_kind_of(value)} is not a timestamp"


def email(value: object) -> str | None:
    if not isinstance(value, str) or not 3 <= len(value) <= 254:
        return f"{_kind_of(value)} is not an email address"
    normal = unicodedata.normalize("NFKC", value).strip().casefold()
    local, at, domain = value.partition("@")
    if normal != value or not at or not local or "." not in domain or "@" in domain or any(
            c.isspace() for c in value):
        return f"{_kind_of(value)} is not a normalised email address"
    return None


def label(max_length: int) -> Check:
    """A short name the client chose (a device name): shown to the operator by design."""

    def check(value: object) -> str | None:
        if not isinstance(value, str) or not 1 <= len(value) <= max_length:
            return f"{_kind_of(value)} is not a name of 1..{max_length} characters"
        if any(unicodedata.category(c) == "Cc" for c in value):
            return f"{_kind_of(value)} holds control characters"
        return None

    return check


def one_of(allowed: Collection[str], what: str) -> Check:
    def check(value: object) -> str | None:
        if value not in allowed:
            return f"{_kind_of(value)} is not {what} ({', '.join(sorted(allowed))})"
        return None

    return check

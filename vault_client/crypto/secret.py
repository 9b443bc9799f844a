"""Secret-holding bytes that never print themselves, and fresh randomness."""

from __future__ import annotations

import hmac
import secrets

REDACTED = "<redacted>"


class SecretBytes:
    """Bytes that must not leak: repr and str are ``<redacted>``; equality is constant-time.

    Call :meth:`reveal` to get the raw bytes at the point where a primitive needs them.
    """

    __slots__ = ("_value",)

    def __init__(self, value: bytes | bytearray | memoryview) -> None:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError("SecretBytes wraps bytes")
        self._value = bytes(value)

    def reveal(self) -> bytes:
        """The raw secret bytes."""
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretBytes):
            return NotImplemented
        return hmac.compare_digest(self._value, other._value)

    __hash__ = None  # type: ignore[assignment]  # secrets are not dictionary keys

    def __repr__(self) -> str:
        return REDACTED

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("SecretBytes cannot be pickled; call reveal() deliberately")


def random_bytes(n: int) -> bytes:
    """``n`` bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(n)


def new_symmetric_key() -> SecretBytes:
    """A fresh random 256-bit key (account key, vault key)."""
    return SecretBytes(random_bytes(32))


def key_bytes(key: SecretBytes, name: str = "key") -> bytes:
    """The 32 raw bytes of a symmetric key, checking its type and length."""
    if not isinstance(key, SecretBytes):
        raise TypeError(f"{name} must be SecretBytes")
    raw = key.reveal()
    if len(raw) != 32:
        raise ValueError(f"{name} must be 32 bytes")
    return raw

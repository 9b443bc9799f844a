"""Byte-layout helpers: fixed-width big-endian integers and 16-byte UUIDs.

Two flavours of every check: ``*_arg`` raises ``ValueError``/``TypeError`` for a caller's mistake
when sealing; the open side uses :func:`opened_context` so a value that no honest sealer could have
produced (an out-of-range revision from a hostile server) becomes the single ``CryptoError``.
"""

from __future__ import annotations

import struct
from uuid import UUID

from .errors import CryptoError

U32_MAX = 2**32 - 1
U64_MAX = 2**64 - 1

_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")


def uuid_bytes(value: UUID, name: str = "id") -> bytes:
    """The 16 raw bytes of a UUID."""
    if not isinstance(value, UUID):
        raise TypeError(f"{name} must be a uuid.UUID")
    return value.bytes


def _int_in(value: int, low: int, high: int, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}")
    return value


def u32(value: int, name: str = "value", low: int = 0) -> bytes:
    """``value`` as 4 big-endian bytes, checking its range."""
    return _U32.pack(_int_in(value, low, U32_MAX, name))


def u64(value: int, name: str = "value", low: int = 0) -> bytes:
    """``value`` as 8 big-endian bytes, checking its range."""
    return _U64.pack(_int_in(value, low, U64_MAX, name))


def read_u32(data: bytes, offset: int = 0) -> int:
    """The big-endian u32 at ``offset``."""
    return _U32.unpack_from(data, offset)[0]


def opened_context(build, *args) -> bytes:
    """Build associated data on the open side: an impossible value is a ``CryptoError``.

    Type errors (a str where a UUID belongs) are programming mistakes and propagate; a value out
    of range can only come from tampered input, so it fails like any other forged blob.
    """
    try:
        return build(*args)
    except ValueError:
        raise CryptoError() from None


def check_blob(blob: object) -> bytes:
    """A blob handed to an open function must be bytes."""
    if isinstance(blob, (bytearray, memoryview)):
        return bytes(blob)
    if not isinstance(blob, bytes):
        raise TypeError("blob must be bytes")
    return blob

"""HKDF-SHA256 helpers (RFC 5869), all through ``cryptography``."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

_SHA256 = hashes.SHA256()


def hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    """HKDF-SHA256 extract-then-expand to 32 bytes."""
    return HKDF(algorithm=_SHA256, length=32, salt=salt, info=info).derive(ikm)


def subkey(key: bytes, info: bytes) -> bytes:
    """A 32-byte sub-key of a uniformly random 32-byte key: HKDF-Expand-SHA256(key, info, 32).

    The extract step is skipped because ``key`` is already a uniformly random pseudorandom key
    (RFC 5869, section 3.3): the master secret, an account key, a vault key, a recovery code.
    """
    return HKDFExpand(algorithm=_SHA256, length=32, info=info).derive(key)

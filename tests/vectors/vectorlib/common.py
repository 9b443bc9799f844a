"""Deterministic inputs and case helpers shared by the vector builders."""

from __future__ import annotations

import hashlib
from uuid import UUID

from vault_client.crypto import envelope

SPEC = "docs/protocol.md"


def det(label: str, n: int) -> bytes:
    """``n`` fixed pseudo-random bytes for ``label`` (SHAKE-256; test inputs only)."""
    return hashlib.shake_256(b"blindvault test vector: " + label.encode()).digest(n)


def det_uuid(label: str) -> UUID:
    """A fixed UUIDv4 for ``label``."""
    return UUID(bytes=det("uuid " + label, 16), version=4)


def flip(blob: bytes, index: int, mask: int = 0x01) -> bytes:
    """``blob`` with the bits of ``mask`` flipped in byte ``index``."""
    out = bytearray(blob)
    out[index] ^= mask
    return bytes(out)


def put(blob: bytes, index: int, value: int) -> bytes:
    """``blob`` with byte ``index`` set to ``value``."""
    out = bytearray(blob)
    out[index] = value
    return bytes(out)


def ok(comment: str, **fields) -> dict:
    return {"comment": comment, "expect": "success", **fields}


def bad(comment: str, error: str = "CryptoError", **fields) -> dict:
    return {"comment": comment, "expect": "failure", "error": error, **fields}


def document(construction: str, section: str, cases: list[dict]) -> dict:
    return {
        "construction": construction,
        "spec": f"{SPEC}#{section}",
        "encoding": "bytes as lowercase hex, UUIDs as canonical strings",
        "cases": cases,
    }


def aead_tampers(blob: bytes, other_kind: int) -> list[tuple[str, bytes]]:
    """The generic tampering of an AEAD envelope: (comment, tampered blob)."""
    body = envelope.HEADER_LEN + envelope.NONCE_LEN
    return [
        ("unknown version byte 0x02", put(blob, 0, 0x02)),
        ("version byte 0x00", put(blob, 0, 0x00)),
        (f"kind byte changed to 0x{other_kind:02x}", put(blob, 1, other_kind)),
        ("unknown kind byte 0xff", put(blob, 1, 0xFF)),
        ("one bit flipped in the nonce", flip(blob, envelope.HEADER_LEN)),
        ("one bit flipped in the ciphertext", flip(blob, body)),
        ("one bit flipped in the last byte of the tag", flip(blob, len(blob) - 1, 0x80)),
        ("truncated by one byte", blob[:-1]),
        ("extended by one zero byte", blob + b"\x00"),
        ("tag removed", blob[:-envelope.TAG_LEN]),
        ("header only", blob[: envelope.HEADER_LEN]),
        ("empty", b""),
    ]

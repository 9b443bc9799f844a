"""Wire encodings shared by the client's modules: base64url without padding."""

from __future__ import annotations

import base64
import binascii


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64d(text: str) -> bytes:
    """Decode base64url with or without padding; ValueError on anything else."""
    if not isinstance(text, str):
        raise ValueError("expected a base64url string")
    if any(c in text for c in "+/= \n\r\t"):
        raise ValueError("not base64url without padding")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc

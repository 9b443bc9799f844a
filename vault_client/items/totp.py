"""One-time codes (TOTP, RFC 6238) from a login's ``totp`` field.

The field holds one of:

- an ``otpauth://totp/LABEL?secret=...`` URI (Key URI Format: ``algorithm`` SHA1/SHA256/SHA512,
  ``digits`` 6 to 8, ``period`` in seconds, ``issuer``);
- a bare base32 secret (case, spaces and missing padding forgiven): SHA-1, 6 digits, 30 s;
- ``steam://SECRET``, or an otpauth URI with issuer ``Steam`` or ``encoder=steam``: Steam Guard
  codes, 5 characters from Steam's 26-letter alphabet.

Codes come from ``cryptography``'s ``TOTP`` (Steam's: its HMAC, with RFC 4226's dynamic
truncation). Pure: the time is always passed in, so tests can check RFC 6238's vectors through the
same call ``bv totp`` makes.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.twofactor.totp import TOTP

__all__ = ["STEAM_ALPHABET", "TotpCode", "TotpFormatError", "TotpSpec", "parse_totp", "totp_code"]

STEAM_ALPHABET = "23456789BCDFGHJKMNPQRTVWXY"
STEAM_DIGITS = 5
ALGORITHMS = {"SHA1": hashes.SHA1, "SHA256": hashes.SHA256, "SHA512": hashes.SHA512}
MAX_SECRET_BYTES = 1024
MAX_PERIOD = 86400
_BASE32 = re.compile(r"[A-Z2-7]+=*")


class TotpFormatError(ValueError):
    """The totp field is not an otpauth:// URI or a base32 secret."""


@dataclass(frozen=True, repr=False)
class TotpSpec:
    """How to make codes: the shared secret and the parameters."""

    secret: bytes
    digits: int = 6
    period: int = 30
    algorithm: str = "SHA1"
    steam: bool = False
    issuer: str | None = None
    account: str | None = None

    def __repr__(self) -> str:
        return (f"TotpSpec(secret=<redacted>, digits={self.digits}, period={self.period}, "
                f"algorithm={self.algorithm!r}, steam={self.steam})")


@dataclass(frozen=True, repr=False)
class TotpCode:
    """A code, the seconds it stays valid, and its period."""

    code: str
    seconds_left: int
    period: int

    def __repr__(self) -> str:
        return f"TotpCode(code=<redacted>, seconds_left={self.seconds_left})"


def _base32(text: str) -> bytes:
    cleaned = re.sub(r"[\s-]", "", text).upper().rstrip("=")
    if not cleaned or not _BASE32.fullmatch(cleaned):
        raise TotpFormatError("the TOTP secret is not base32 (letters A-Z and digits 2-7)")
    try:
        secret = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        raise TotpFormatError("the TOTP secret is not valid base32") from None
    if not secret or len(secret) > MAX_SECRET_BYTES:
        raise TotpFormatError("the TOTP secret has an impossible length")
    return secret


def _int_param(params: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    values = params.get(name)
    if not values:
        return default
    text = values[-1].strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise TotpFormatError(f"the otpauth {name!r} must be a whole number from {low} to {high}")
    return int(text)


def _parse_uri(value: str) -> TotpSpec:
    parts = urlsplit(value)
    if parts.netloc.lower() != "totp":
        raise TotpFormatError("only time-based otpauth://totp/ URIs are supported")
    params = {k.lower(): v for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    secret = _base32((params.get("secret") or [""])[-1])
    label = unquote(parts.path.lstrip("/"))
    issuer_in_label, _, account = label.rpartition(":")
    issuer = (params.get("issuer") or [issuer_in_label or ""])[-1].strip() or None
    algorithm = (params.get("algorithm") or ["SHA1"])[-1].strip().upper().replace("-", "")
    if algorithm not in ALGORITHMS:
        raise TotpFormatError("the otpauth algorithm must be SHA1, SHA256 or SHA512")
    steam = ((params.get("encoder") or [""])[-1].lower() == "steam"
             or (issuer or "").casefold() == "steam")
    digits = STEAM_DIGITS if steam else _int_param(params, "digits", 6, 6, 8)
    period = _int_param(params, "period", 30, 1, MAX_PERIOD)
    return TotpSpec(secret, digits, period, algorithm, steam, issuer, account.strip() or None)


def parse_totp(value: str) -> TotpSpec:
    """Read a ``totp`` field. Raises ``TotpFormatError`` (never quoting the value)."""
    if not isinstance(value, str) or not value.strip():
        raise TotpFormatError("the totp field is empty")
    text = value.strip()
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme == "otpauth":
        return _parse_uri(text)
    if scheme == "steam":
        return TotpSpec(_base32(text.split(":", 1)[1].lstrip("/")), STEAM_DIGITS, steam=True,
                        issuer="Steam")
    return TotpSpec(_base32(text))


def _steam_code(spec: TotpSpec, counter: int) -> str:
    mac = hmac.HMAC(spec.secret, hashes.SHA1())
    mac.update(struct.pack(">Q", counter))
    digest = mac.finalize()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    chars = []
    for _ in range(STEAM_DIGITS):
        value, index = divmod(value, len(STEAM_ALPHABET))
        chars.append(STEAM_ALPHABET[index])
    return "".join(chars)


def totp_code(spec: TotpSpec, at: float) -> TotpCode:
    """The code for time ``at`` (seconds since the Unix epoch) and the seconds it has left."""
    if at < 0:
        raise TotpFormatError("the time must not be before 1970")
    step = int(at) // spec.period
    left = spec.period - int(at) % spec.period
    if spec.steam:
        return TotpCode(_steam_code(spec, step), left, spec.period)
    totp = TOTP(spec.secret, spec.digits, ALGORITHMS[spec.algorithm](), spec.period,
                enforce_key_length=False)
    return TotpCode(totp.generate(int(at)).decode("ascii"), left, spec.period)

"""RFC 6238, appendix B: the test vectors (8 digits, period 30), and a Steam Guard vector."""

from __future__ import annotations

import base64

SEEDS = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}

# (time, algorithm, code)
RFC6238 = [
    (59, "SHA1", "94287082"), (59, "SHA256", "46119246"), (59, "SHA512", "90693936"),
    (1111111109, "SHA1", "07081804"), (1111111109, "SHA256", "68084774"), (1111111109, "SHA512", "25091201"),
    (1111111111, "SHA1", "14050471"), (1111111111, "SHA256", "67062674"), (1111111111, "SHA512", "99943326"),
    (1234567890, "SHA1", "89005924"), (1234567890, "SHA256", "91819424"), (1234567890, "SHA512", "93441116"),
    (2000000000, "SHA1", "69279037"), (2000000000, "SHA256", "90698825"), (2000000000, "SHA512", "38618901"),
    (20000000000, "SHA1", "65353130"), (20000000000, "SHA256", "77737706"), (20000000000, "SHA512", "47863826"),
]

# The shared secret b"superdupersecret" at two times (from the ValvePython steam library's tests).
STEAM_SECRET = b"superdupersecret"
STEAM = [(3000029, "94R9D"), (3000030, "YRGQJ")]


def otpauth(algorithm: str) -> str:
    secret = base64.b32encode(SEEDS[algorithm]).decode().rstrip("=")
    return f"otpauth://totp/Example:alice@example.org?secret={secret}&issuer=Example&algorithm={algorithm}&digits=8"


def steam_uri() -> str:
    return "steam://" + base64.b32encode(STEAM_SECRET).decode()

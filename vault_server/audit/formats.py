"""What stored bytes must look like: envelopes, randomness, Argon2id strings, ML-KEM public keys.

Each check returns ``None`` when the value fits, or a short reason when it does not. The envelope
layout and lengths are those of docs/protocol.md (re-stated here: the server never imports the
client). None of these checks needs or has a key: they prove the *shape* of ciphertext, not that
it opens.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from operator import mul

from vault_server.audit.text import excerpt, readable_text
from vault_server.models.wire import ENVELOPE_VERSION, EnvelopeKind

HEADER, NONCE, TAG = 2, 12, 16
AEAD_OVERHEAD = HEADER + NONCE + TAG  # 30

KIND_NAMES = {
    EnvelopeKind.ACCOUNT_KEY: "account key wrap",
    EnvelopeKind.PRIVATE_KEYS: "private keys wrap",
    EnvelopeKind.VAULT_KEY: "vault key wrap",
    EnvelopeKind.ITEM: "item",
    EnvelopeKind.RECOVERY: "recovery wrap",
    EnvelopeKind.GRANT: "grant",
    EnvelopeKind.EXPORT: "encrypted export",
    EnvelopeKind.ATTACHMENT: "attachment",
}
# Kinds whose blobs have one exact length (protocol.md, "Envelope").
FIXED_LENGTH = {
    EnvelopeKind.ACCOUNT_KEY: AEAD_OVERHEAD + 32,
    EnvelopeKind.PRIVATE_KEYS: AEAD_OVERHEAD + 128,
    EnvelopeKind.VAULT_KEY: AEAD_OVERHEAD + 32,
    EnvelopeKind.RECOVERY: AEAD_OVERHEAD + 32,
    EnvelopeKind.GRANT: HEADER + 1168 + 64,
}
MAX_ITEM_BUCKET = 983040


def item_bucket_ok(padded: int) -> bool:
    """An item's padded plaintext is 256, a power of two up to 64 KiB, or a multiple of 64 KiB."""
    if padded == 256:
        return True
    if 256 < padded <= 65536:
        return padded & (padded - 1) == 0
    return 65536 < padded <= MAX_ITEM_BUCKET and padded % 65536 == 0


def padme_ok(padded: int) -> bool:
    """An attachment's padded plaintext length is one Padmé can produce (at least 256)."""
    if padded == 256:
        return True
    if padded < 256:
        return False
    e = padded.bit_length() - 1
    s = min(e - (e.bit_length() - 1) - 1, 15)
    return padded % (1 << s) == 0


def envelope_problem(blob: bytes, kinds: tuple[int, ...]) -> str | None:
    """Why ``blob`` is not an envelope of one of ``kinds`` with a plausible length, or None."""
    if len(blob) < AEAD_OVERHEAD:
        return f"too short for an envelope ({len(blob)} bytes)"
    if blob[0] != ENVELOPE_VERSION:
        return f"version byte 0x{blob[0]:02x}, not 0x{ENVELOPE_VERSION:02x}"
    kind = blob[1]
    if kind not in kinds:
        expected = " or ".join(f"0x{k:02x}" for k in kinds)
        name = KIND_NAMES.get(kind, "unknown")
        return f"kind 0x{kind:02x} ({name}) where this column holds {expected}"
    if kind in FIXED_LENGTH:
        if len(blob) != FIXED_LENGTH[kind]:
            return f"{KIND_NAMES[kind]} of {len(blob)} bytes, not {FIXED_LENGTH[kind]}"
    elif kind == EnvelopeKind.ITEM:
        if not item_bucket_ok(len(blob) - AEAD_OVERHEAD):
            return f"item of {len(blob)} bytes: not 30 + a padding bucket"
    elif kind == EnvelopeKind.ATTACHMENT:
        if not padme_ok(len(blob) - AEAD_OVERHEAD):
            return f"attachment of {len(blob)} bytes: not 30 + a Padmé size"
    return randomness_problem(blob[HEADER:])


# -- randomness ------------------------------------------------------------------------------------

# Chi-square of the byte histogram of n uniformly random bytes has mean 255 and standard
# deviation sqrt(510 (1 - 1/n)) ~ 22.6 whatever n is; ten deviations above the mean is a bound
# random data does not reach in practice, and text, zeros or repetition go far past it.
CHI2_BOUND = 255 + 10 * math.sqrt(510)
PRINTABLE = bytes(range(0x20, 0x7F))
P_PRINTABLE = len(PRINTABLE) / 256


def chi_square(data: bytes) -> float:
    """Pearson's chi-square of ``data``'s byte histogram against uniform bytes."""
    n = len(data)
    if n == 0:
        return 0.0
    counts = list(Counter(data).values())
    return 256 / n * sum(map(mul, counts, counts)) - n


def shannon_entropy(data: bytes) -> float:
    """Bits per byte of ``data``'s byte histogram (8 for uniform bytes, in the limit)."""
    n = len(data)
    return -sum(c / n * math.log2(c / n) for c in Counter(data).values()) if n else 0.0


def randomness_problem(data: bytes) -> str | None:
    """Why ``data`` does not look like uniformly random bytes (key, nonce, ciphertext), or None."""
    text = readable_text(data)
    if text is not None:
        return f"readable text: {excerpt(text)!r}"
    n = len(data)
    printable = n - len(data.translate(None, PRINTABLE))
    # Seven standard deviations above the share of printable bytes in random data.
    if printable > n * P_PRINTABLE + 7 * math.sqrt(n * P_PRINTABLE * (1 - P_PRINTABLE)):
        return f"{printable} of {n} bytes printable: not random"
    chi2 = chi_square(data)
    if chi2 > CHI2_BOUND:
        return f"byte histogram far from uniform (chi-square {chi2:.0f} > {CHI2_BOUND:.0f}): not random"
    return None


def fixed_random_problem(value: bytes, length: int) -> str | None:
    if len(value) != length:
        return f"{len(value)} bytes, not {length}"
    return randomness_problem(value)


# -- hashes and public keys -----------------------------------------------------------------------

_ARGON2 = re.compile(r"\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)")


def _b64_unpadded(text: str) -> bytes | None:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def argon2_problem(encoded: str) -> str | None:
    """Why ``encoded`` is not an Argon2id PHC string ``$argon2id$v=19$m=..,t=..,p=..$salt$hash``."""
    m = _ARGON2.fullmatch(encoded)
    if m is None:
        return "not an Argon2id encoded hash ($argon2id$v=19$m=..,t=..,p=..$salt$hash)"
    version, memory, time_cost, lanes = (int(g) for g in m.group(1, 2, 3, 4))
    if version != 19:
        return f"Argon2 version {version}, not 19"
    if not (1 <= lanes <= 255 and memory >= 8 * lanes and 1 <= time_cost <= 1000 and memory <= 1 << 24):
        return f"implausible Argon2id parameters m={memory}, t={time_cost}, p={lanes}"
    salt, digest = _b64_unpadded(m.group(5)), _b64_unpadded(m.group(6))
    if salt is None or digest is None:
        return "salt or hash is not base64"
    if len(salt) < 8 or not 16 <= len(digest) <= 64:
        return f"salt of {len(salt)} bytes or hash of {len(digest)} bytes out of range"
    return None


ARGON2_PATTERN = _ARGON2.pattern

MLKEM768_EK = 1184
X25519_PUBLIC = 32
MLKEM_Q = 3329


def mlkem_x25519_public_problem(key: bytes) -> str | None:
    """Why ``key`` is not an ML-KEM-768 encapsulation key followed by an X25519 public key.

    The encapsulation key is 3 x 256 coefficients of 12 bits, each below q = 3329 (FIPS 203's
    modulus check), then a 32-byte seed: text or random bytes fail the check almost surely.
    """
    if len(key) != MLKEM768_EK + X25519_PUBLIC:
        return f"{len(key)} bytes, not {MLKEM768_EK + X25519_PUBLIC}"
    packed = key[: 3 * 384]
    for i in range(0, len(packed), 3):
        b0, b1, b2 = packed[i], packed[i + 1], packed[i + 2]
        if (b0 | (b1 & 0x0F) << 8) >= MLKEM_Q or (b1 >> 4 | b2 << 4) >= MLKEM_Q:
            return "an ML-KEM-768 coefficient is not below q: not an encapsulation key"
    return randomness_problem(key[3 * 384:])  # the seed rho and the X25519 key

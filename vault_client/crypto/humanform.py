"""Human forms of random keys (Secret Key, recovery code): prefix, base32 symbols, two checks.

Layout of the symbols after the prefix (docs/protocol.md, "Human forms"):

    body (the key as a big-endian integer in base 32, fixed width) || hash check || Luhn check

* Alphabet: Crockford's base 32, ``0123456789ABCDEFGHJKMNPQRSTVWXYZ`` (no I, L, O, U). When
  parsing, ``O`` reads as ``0`` and ``I``/``L`` as ``1``; case, spaces and dashes are ignored.
* Hash check: the top 5 bits of SHA-256(check label || prefix || body), one symbol. It catches
  most multi-symbol errors (a random change passes with probability 1/32).
* Luhn check: Luhn mod 32 over body and hash check. It catches every single mistyped symbol
  (the doubling step is a bijection on 0..31) and most swaps of adjacent symbols.

These checks are for typing mistakes only; they protect nothing against an attacker.
"""

from __future__ import annotations

import hashlib

from .errors import SecretKeyFormatError
from .secret import REDACTED, SecretBytes, random_bytes

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_VALUE.update({"O": 0, "I": 1, "L": 1})
_BASE = 32
_IGNORED = str.maketrans("", "", " \t\r\n-")


def _luhn_check(values: list[int]) -> int:
    """The Luhn mod 32 check value for ``values`` (rightmost value gets factor 2)."""
    total, factor = 0, 2
    for value in reversed(values):
        addend = factor * value
        total += addend // _BASE + addend % _BASE
        factor = 3 - factor
    return (_BASE - total % _BASE) % _BASE


def _hash_check(label: bytes, prefix: str, body: str) -> int:
    digest = hashlib.sha256(label + prefix.encode("ascii") + body.encode("ascii")).digest()
    return digest[0] >> 3


def body_symbols(nbytes: int) -> int:
    """How many base-32 symbols hold ``nbytes`` bytes."""
    return -(-nbytes * 8 // 5)


def encode(data: bytes, prefix: str, label: bytes, group: int) -> str:
    """The human form: ``PREFIX-XXXX-XXXX-...`` with both check symbols at the end."""
    width = body_symbols(len(data))
    number = int.from_bytes(data, "big")
    values = []
    for _ in range(width):
        number, digit = divmod(number, _BASE)
        values.append(digit)
    values.reverse()
    body = "".join(ALPHABET[v] for v in values)
    values.append(_hash_check(label, prefix, body))
    values.append(_luhn_check(values))
    symbols = "".join(ALPHABET[v] for v in values)
    groups = [symbols[i : i + group] for i in range(0, len(symbols), group)]
    return "-".join([prefix, *groups])


def decode(text: str, nbytes: int, prefix: str, label: bytes, noun: str) -> bytes:
    """Parse a human form back to ``nbytes`` bytes, or raise ``SecretKeyFormatError``."""
    if not isinstance(text, str):
        raise TypeError(f"{noun} must be str")
    compact = text.translate(_IGNORED).upper()
    if not compact.startswith(prefix):
        raise SecretKeyFormatError(f"This is not a {noun}: it should start with {prefix}-.")
    symbols = compact[len(prefix) :]
    width = body_symbols(nbytes)
    if len(symbols) != width + 2:
        raise SecretKeyFormatError(
            f"This {noun} has {len(symbols)} characters after {prefix}; it should have {width + 2}."
        )
    values = []
    for ch in symbols:
        if ch not in _VALUE:
            raise SecretKeyFormatError(f"The character {ch!r} does not appear in a {noun}.")
        values.append(_VALUE[ch])
    body = "".join(ALPHABET[v] for v in values[:width])
    if _luhn_check(values[:-1]) != values[-1] or _hash_check(label, prefix, body) != values[-2]:
        raise SecretKeyFormatError(f"This {noun} has a mistyped character (its checksum is wrong).")
    number = 0
    for value in values[:width]:
        number = number * _BASE + value
    if number >> (8 * nbytes):
        raise SecretKeyFormatError(f"This {noun} has a mistyped character (its checksum is wrong).")
    return number.to_bytes(nbytes, "big")


class HumanKey:
    """Base of random keys that people write down: fixed length, prefix, checked human form.

    Subclasses set ``LENGTH``, ``PREFIX``, ``CHECK_LABEL``, ``GROUP`` (symbols per group) and
    ``NOUN`` (for messages). repr and str never show the key.
    """

    LENGTH: int
    PREFIX: str
    CHECK_LABEL: bytes
    GROUP: int
    NOUN: str

    __slots__ = ("_secret",)

    def __init__(self, secret: SecretBytes) -> None:
        if not isinstance(secret, SecretBytes) or len(secret) != self.LENGTH:
            raise ValueError(f"a {self.NOUN} is {self.LENGTH} bytes of SecretBytes")
        self._secret = secret

    @classmethod
    def generate(cls):
        """A fresh random key."""
        return cls(SecretBytes(random_bytes(cls.LENGTH)))

    @classmethod
    def parse(cls, text: str):
        """Parse the human form; case, spaces and dashes do not matter.

        Raises ``SecretKeyFormatError`` when it does not parse or a character is mistyped.
        """
        return cls(SecretBytes(decode(text, cls.LENGTH, cls.PREFIX, cls.CHECK_LABEL, cls.NOUN)))

    def format(self) -> str:
        """The human form with its check symbols."""
        return encode(self._secret.reveal(), self.PREFIX, self.CHECK_LABEL, self.GROUP)

    @property
    def secret(self) -> SecretBytes:
        """The raw bytes, still wrapped."""
        return self._secret

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._secret == other._secret

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({REDACTED})"

    __str__ = __repr__

"""How guessable an existing password is: a conservative estimate in bits, for `bv health`.

The estimate is the cheapest way to spell the password out of pieces an attacker's guesser tries
first (in the spirit of zxcvbn, much smaller):

- one of the most common passwords (by rank), or a word of the bundled 7,776-word list, with
  capitals and the usual digit-for-letter substitutions costing a bit or two;
- a run of one repeated character, an alphabet, digit or keyboard-row sequence (``abcd``,
  ``4321``, ``qwerty``), a year from 1900 to 2099, or a repeat of the piece just before;
- otherwise single characters drawn from the classes the password uses (lower, upper, digits,
  symbols, anything else).

It is an estimate for ranking and warning, never a guarantee. For a password made by the
generator it comes close to the exact figure (``generate.entropy_bits``); for a passphrase it is
somewhat higher, because a separator counts as a character of its own.
"""

from __future__ import annotations

import math
import string
from functools import lru_cache

from vault_client.items.generate import strength_label, wordlist

__all__ = ["COMMON_PASSWORDS", "estimate_bits", "strength_label"]

#: The most common passwords of public breach lists, most common first (lowercase).
COMMON_PASSWORDS = (
    "123456 password 123456789 12345678 12345 qwerty 1234567 111111 1234567890 123123 abc123 "
    "1234 password1 iloveyou 1q2w3e4r 000000 qwerty123 zaq12wsx dragon sunshine princess "
    "letmein 654321 monkey 27653 1qaz2wsx 123321 qwertyuiop superman asdfghjkl 666666 football "
    "baseball welcome welcome1 admin admin123 master hello freedom whatever qazwsx trustno1 "
    "starwars passw0rd login shadow michael jennifer 7777777 121212 charlie donald batman "
    "access hunter2 hunter mustang killer jordan23 secret summer winter spring autumn "
    "changeme default letmein1 password123 p@ssw0rd pass1234 test test123 guest root toor "
    "google computer internet samsung apple pokemon naruto soccer hockey liverpool chelsea "
    "arsenal ginger flower cookie cheese pepper orange banana"
).split()

_RANK = {word: rank for rank, word in enumerate(COMMON_PASSWORDS, start=1)}
_LEET = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "!": "i"})
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890", string.ascii_lowercase)
_MAX_PIECE = 24
_MAX_ANALYSED = 128


@lru_cache(maxsize=1)
def _words() -> frozenset[str]:
    return frozenset(w for w in wordlist() if len(w) >= 3)


def _pool(password: str) -> int:
    size = 0
    size += 26 if any(c in string.ascii_lowercase for c in password) else 0
    size += 26 if any(c in string.ascii_uppercase for c in password) else 0
    size += 10 if any(c in string.digits for c in password) else 0
    size += 33 if any(c in string.punctuation or c == " " for c in password) else 0
    size += 100 if any(not c.isascii() for c in password) else 0
    return max(size, 1)


def _case_bits(piece: str) -> float:
    if piece.islower() or not any(c.isalpha() for c in piece):
        return 0.0
    if piece[0].isupper() and piece[1:].islower():
        return 1.0
    if piece.isupper():
        return 1.0
    return float(len(piece))  # mixed capitals: one bit per letter


def _word_bits(piece: str) -> float | None:
    lower = piece.lower()
    subs = sum(1 for a, b in zip(lower, lower.translate(_LEET)) if a != b)
    plain = lower.translate(_LEET)
    for candidate, extra in ((lower, 0.0), (plain, float(subs))):
        if candidate in _RANK:
            return math.log2(_RANK[candidate] + 1) + _case_bits(piece) + extra
        if len(candidate) >= 3 and candidate in _words():
            return math.log2(len(wordlist())) + _case_bits(piece) + extra
    return None


def _sequence_bits(piece: str) -> float | None:
    if len(piece) < 3:
        return None
    if len(set(piece)) == 1:
        return math.log2(95) + math.log2(len(piece))
    lower = piece.lower()
    for row in _ROWS:
        if lower in row or lower in row[::-1]:
            return math.log2(len(_ROWS) * 2 * len(row)) + math.log2(len(piece)) + _case_bits(piece)
    if piece.isdigit() and len(piece) == 4 and 1900 <= int(piece) <= 2099:
        return math.log2(200)
    return None


def estimate_bits(password: str) -> float:
    """Estimated bits of guessing work for ``password`` (0 for an empty one)."""
    if not password:
        return 0.0
    text = password[:_MAX_ANALYSED]
    per_char = math.log2(_pool(password))
    best = [0.0] + [math.inf] * len(text)
    for end in range(1, len(text) + 1):
        best[end] = best[end - 1] + per_char
        for start in range(max(0, end - _MAX_PIECE), end - 1):
            piece = text[start:end]
            cost = _word_bits(piece) if end - start >= 3 else None
            seq = _sequence_bits(piece)
            if seq is not None:
                cost = seq if cost is None else min(cost, seq)
            size = end - start
            if start >= size and text[start - size:start] == piece:
                repeat = 1 + math.log2(size)
                cost = repeat if cost is None else min(cost, repeat)
            if cost is not None:
                best[end] = min(best[end], best[start] + cost)
    return best[-1] + per_char * (len(password) - len(text))

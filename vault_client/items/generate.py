"""Password and passphrase generation with ``secrets``, and how strong the results are.

Passwords are drawn uniformly from every string of the requested length over the chosen
character classes that holds at least one character of each class (drawn, then redrawn until it
does), so ``password_entropy_bits`` is exact: log2 of the number of such strings, counted by
inclusion-exclusion.

Passphrases are words drawn uniformly from the bundled EFF large word list (7,776 words, about
12.9 bits each; see ``vault_client/data/WORDLIST-LICENSE.txt``). Capitalising adds nothing; a
digit appended to one random word adds at most log2(10 x words) bits.
"""

from __future__ import annotations

import math
import re
import secrets
import string
from functools import lru_cache
from importlib import resources
from itertools import combinations
from typing import Any

__all__ = [
    "AMBIGUOUS",
    "SYMBOLS",
    "entropy_bits",
    "generate_passphrase",
    "generate_password",
    "passphrase_entropy_bits",
    "password_entropy_bits",
    "strength_label",
    "wordlist",
]

SYMBOLS = "!#$%&()*+,-./:;<=>?@[]^_{|}~"  # no quotes, backslash, backtick or space: shell-safe
AMBIGUOUS = frozenset("Il1O0o|")  # characters easily misread for one another
MIN_LENGTH, MAX_LENGTH = 4, 1024
MIN_WORDS, MAX_WORDS = 1, 64
MAX_SEPARATOR_CHARS = 8
WORDLIST_SIZE = 7776
_WORD_SHAPE = re.compile(r"[a-z]+(?:-[a-z]+)*")


def _classes(lower: bool, upper: bool, digits: bool, symbols: bool,
             avoid_ambiguous: bool) -> list[str]:
    chosen = [chars for wanted, chars in ((lower, string.ascii_lowercase),
                                          (upper, string.ascii_uppercase),
                                          (digits, string.digits),
                                          (symbols, SYMBOLS)) if wanted]
    if avoid_ambiguous:
        chosen = ["".join(c for c in chars if c not in AMBIGUOUS) for chars in chosen]
    if not chosen:
        raise ValueError("choose at least one kind of character")
    return chosen


def _check_length(length: Any, classes: int) -> None:
    if type(length) is not int:
        raise ValueError("the password length must be a whole number")
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"the password length must be between {MIN_LENGTH} and {MAX_LENGTH}")
    if length < classes:
        raise ValueError(f"a password of {length} characters cannot hold one of each of the "
                         f"{classes} kinds of character asked for")


def generate_password(length: int = 20, lower: bool = True, upper: bool = True,
                      digits: bool = True, symbols: bool = True,
                      avoid_ambiguous: bool = False) -> str:
    """A random password with at least one character of each chosen class.

    Raises ``ValueError`` for no class, a length outside 4..1024, or fewer characters than
    classes.
    """
    classes = _classes(lower, upper, digits, symbols, avoid_ambiguous)
    _check_length(length, len(classes))
    alphabet = "".join(classes)
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(c in chars for c in password) for chars in classes):
            return password


def password_entropy_bits(length: int = 20, lower: bool = True, upper: bool = True,
                          digits: bool = True, symbols: bool = True,
                          avoid_ambiguous: bool = False) -> float:
    """Bits of entropy of ``generate_password`` with the same arguments (exact)."""
    classes = _classes(lower, upper, digits, symbols, avoid_ambiguous)
    _check_length(length, len(classes))
    sizes = [len(chars) for chars in classes]
    total = sum(sizes)
    count = 0
    for k in range(len(sizes) + 1):
        for left_out in combinations(sizes, k):
            count += (-1) ** k * (total - sum(left_out)) ** length
    return math.log2(count)


@lru_cache(maxsize=1)
def wordlist() -> tuple[str, ...]:
    """The bundled word list: 7,776 unique lowercase words (a few hyphenated, e.g. t-shirt)."""
    text = resources.files("vault_client").joinpath("data/wordlist.txt").read_text("ascii")
    words = tuple(text.split())
    if (len(words) != WORDLIST_SIZE or len(set(words)) != WORDLIST_SIZE
            or not all(_WORD_SHAPE.fullmatch(w) for w in words)):
        raise RuntimeError("the bundled word list is damaged; reinstall blindvault")
    return words


def _check_words(words: Any) -> None:
    if type(words) is not int or not MIN_WORDS <= words <= MAX_WORDS:
        raise ValueError(f"a passphrase has between {MIN_WORDS} and {MAX_WORDS} words")


def generate_passphrase(words: int = 5, separator: str = "-", capitalize: bool = False,
                        number: bool = False) -> str:
    """``words`` random words from the bundled list joined by ``separator``.

    ``capitalize`` capitalises each word; ``number`` appends one random digit to one random
    word. Raises ``ValueError`` for a word count outside 1..64 or a separator over 8 characters.
    """
    _check_words(words)
    if not isinstance(separator, str) or len(separator) > MAX_SEPARATOR_CHARS:
        raise ValueError(f"the separator must be text of at most {MAX_SEPARATOR_CHARS} "
                         "characters")
    source = wordlist()
    chosen = [secrets.choice(source) for _ in range(words)]
    if capitalize:
        chosen = [w.capitalize() for w in chosen]
    if number:
        chosen[secrets.randbelow(words)] += str(secrets.randbelow(10))
    return separator.join(chosen)


def passphrase_entropy_bits(words: int = 5, separator: str = "-", capitalize: bool = False,
                            number: bool = False) -> float:
    """Bits of entropy of ``generate_passphrase`` with the same arguments (the digit counted
    at its most)."""
    _check_words(words)
    bits = words * math.log2(WORDLIST_SIZE)
    return bits + math.log2(10 * words) if number else bits


def entropy_bits(words: int | None = None, **options: Any) -> float:
    """Entropy of a passphrase (``words`` given) or else of a password, for the same keyword
    arguments as the generator: ``entropy_bits(length=16, symbols=False)``,
    ``entropy_bits(words=6, number=True)``."""
    if words is not None:
        return passphrase_entropy_bits(words, **options)
    return password_entropy_bits(**options)


def strength_label(bits: float) -> str:
    """A word for the strength of ``bits`` of entropy: weak, fair, good or strong."""
    if bits < 40:
        return "weak"
    if bits < 60:
        return "fair"
    if bits < 80:
        return "good"
    return "strong"

"""Password and passphrase generation, entropy figures, and the bundled word list."""

from __future__ import annotations

import itertools
import math
import re
import string
from importlib import resources

import pytest

from vault_client.items.generate import (
    AMBIGUOUS,
    SYMBOLS,
    entropy_bits,
    generate_passphrase,
    generate_password,
    passphrase_entropy_bits,
    password_entropy_bits,
    strength_label,
    wordlist,
)

CLASSES = {"lower": string.ascii_lowercase, "upper": string.ascii_uppercase,
           "digits": string.digits, "symbols": SYMBOLS}


# -- passwords ---------------------------------------------------------------------------------

@pytest.mark.parametrize("chosen", [
    ("lower", "upper", "digits", "symbols"),
    ("lower", "digits"),
    ("upper",),
    ("digits", "symbols"),
])
@pytest.mark.parametrize("length", [4, 5, 20])
def test_every_chosen_class_appears_and_no_other(chosen, length) -> None:
    flags = {name: name in chosen for name in CLASSES}
    for _ in range(200):
        password = generate_password(length, **flags)
        assert len(password) == length
        for name, chars in CLASSES.items():
            assert any(c in chars for c in password) == (name in chosen), (name, length)
        assert set(password) <= set("".join(CLASSES[n] for n in chosen))


def test_avoid_ambiguous() -> None:
    for _ in range(300):
        assert not set(generate_password(30, avoid_ambiguous=True)) & AMBIGUOUS


def test_every_character_can_appear() -> None:
    seen = set("".join(generate_password(64) for _ in range(200)))
    assert seen == set("".join(CLASSES.values()))


def test_symbols_leave_out_quotes_backslash_and_space() -> None:
    assert not set(SYMBOLS) & set("\"'`\\ ")


def test_default_password() -> None:
    password = generate_password()
    assert len(password) == 20
    assert generate_password() != password


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"length": 3}, "between 4 and 1024"),
    ({"length": 1025}, "between 4 and 1024"),
    ({"length": 0}, "between 4 and 1024"),
    ({"length": -5}, "between 4 and 1024"),
    ({"length": 12.0}, "whole number"),
    ({"length": True}, "whole number"),              # a bool is not a length
    ({"length": "12"}, "whole number"),
    ({"lower": False, "upper": False, "digits": False, "symbols": False}, "at least one"),
])
def test_impossible_password_requests(kwargs, words) -> None:
    with pytest.raises(ValueError, match=words):
        generate_password(**kwargs)
    with pytest.raises(ValueError, match=words):
        password_entropy_bits(**kwargs)


def test_password_entropy_is_exact() -> None:
    # digits (10) and symbols (28), length 5: strings with at least one of each
    expected = math.log2(38 ** 5 - 10 ** 5 - 28 ** 5)
    assert password_entropy_bits(5, lower=False, upper=False) == pytest.approx(expected)
    # one class: no constraint
    assert password_entropy_bits(16, upper=False, digits=False, symbols=False) == \
        pytest.approx(16 * math.log2(26))
    # all four classes, length 20: just under 20 * log2(90)
    bits = password_entropy_bits()
    assert 20 * math.log2(90) - 1 < bits < 20 * math.log2(90)
    assert password_entropy_bits(20, avoid_ambiguous=True) < bits


@pytest.mark.parametrize("avoid", [False, True])
def test_password_entropy_by_counting_class_patterns(avoid) -> None:
    # Count another way: every assignment of a class to each of the 5 positions that uses all
    # four classes, times the ways to fill it.
    sizes = [len([c for c in chars if not (avoid and c in AMBIGUOUS)])
             for chars in CLASSES.values()]
    count = sum(math.prod(sizes[k] for k in pattern)
                for pattern in itertools.product(range(4), repeat=5) if len(set(pattern)) == 4)
    assert password_entropy_bits(5, avoid_ambiguous=avoid) == pytest.approx(math.log2(count))


# -- passphrases -------------------------------------------------------------------------------

def test_passphrase_words_come_from_the_list() -> None:
    words = set(wordlist())
    for count in (1, 3, 5, 12):
        phrase = generate_passphrase(count, separator=" ")
        parts = phrase.split(" ")
        assert len(parts) == count
        assert all(p in words for p in parts)


def test_default_passphrase_has_five_words() -> None:
    phrase = generate_passphrase()
    assert len(phrase.split("-")) >= 5                 # a few list words hold a hyphen
    assert len(generate_passphrase(separator="_").split("_")) == 5


def test_capitalize_and_number() -> None:
    words = set(wordlist())
    for _ in range(50):
        parts = generate_passphrase(6, separator=" ", capitalize=True, number=True).split(" ")
        assert len(parts) == 6
        assert all(p[0].isupper() for p in parts)
        with_digit = [p for p in parts if p[-1].isdigit()]
        assert len(with_digit) == 1
        stripped = [p.rstrip(string.digits).lower() for p in parts]
        assert all(w in words for w in stripped)


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"words": 0}, "between 1 and 64"),
    ({"words": 65}, "between 1 and 64"),
    ({"words": 2.5}, "between 1 and 64"),
    ({"words": True}, "between 1 and 64"),
    ({"separator": "-" * 9}, "at most 8"),
    ({"separator": None}, "at most 8"),
])
def test_bad_passphrase_requests(kwargs, words) -> None:
    with pytest.raises(ValueError, match=words):
        generate_passphrase(**kwargs)


def test_passphrase_entropy() -> None:
    assert passphrase_entropy_bits(5) == pytest.approx(5 * math.log2(7776))
    assert passphrase_entropy_bits(6, capitalize=True) == pytest.approx(6 * math.log2(7776))
    assert passphrase_entropy_bits(4, number=True) == pytest.approx(
        4 * math.log2(7776) + math.log2(40))


def test_entropy_bits_dispatches_on_words() -> None:
    assert entropy_bits(words=6, number=True) == passphrase_entropy_bits(6, number=True)
    assert entropy_bits(length=12, symbols=False) == password_entropy_bits(12, symbols=False)
    assert entropy_bits() == password_entropy_bits()


@pytest.mark.parametrize(("bits", "label"), [
    (10, "weak"), (39.9, "weak"), (40, "fair"), (64.6, "good"), (80, "strong"), (130, "strong")])
def test_strength_label(bits, label) -> None:
    assert strength_label(bits) == label


# -- the word list -----------------------------------------------------------------------------

def test_word_list_integrity() -> None:
    words = wordlist()
    assert len(words) == 7776
    assert len(set(words)) == 7776
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)?", w) for w in words)
    assert list(words) == sorted(words)
    assert words[0] == "abacus" and words[-1] == "zoom"


def test_word_list_file_is_one_word_a_line() -> None:
    data = resources.files("vault_client").joinpath("data/wordlist.txt").read_bytes()
    lines = data.decode("ascii").split("\n")
    assert lines[-1] == "" and len(lines) == 7777
    assert all(line == line.strip() and line for line in lines[:-1])


def test_word_list_attribution_is_bundled() -> None:
    text = resources.files("vault_client").joinpath("data/WORDLIST-LICENSE.txt").read_text()
    assert "Electronic Frontier Foundation" in text
    assert "CC BY 3.0" in text
    assert "https://www.eff.org/" in text

"""Human forms of the Secret Key and recovery code: round trips and mistyping detection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vault_client.crypto import RecoveryCode, SecretBytes, SecretKey, SecretKeyFormatError
from vault_client.crypto.humanform import ALPHABET

KINDS = [pytest.param(SecretKey, id="secret key"), pytest.param(RecoveryCode, id="recovery code")]


def _noisy(text: str, data) -> str:
    """The same form as a person might type it: random case, spacing and dashes."""
    out = []
    for ch in text.replace("-", ""):
        out.append(ch.lower() if data.draw(st.booleans()) else ch)
        out.append(data.draw(st.sampled_from(["", "", "-", " ", "--", " - "])))
    return "".join(out)


@pytest.mark.parametrize("cls", KINDS)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_round_trip_through_sloppy_typing(cls, data):
    raw = data.draw(st.binary(min_size=cls.LENGTH, max_size=cls.LENGTH))
    key = cls(SecretBytes(raw))
    text = key.format()
    assert text.startswith(cls.PREFIX + "-")
    assert cls.parse(text) == key
    assert cls.parse(_noisy(text, data)).secret.reveal() == raw


@pytest.mark.parametrize("cls", KINDS)
@pytest.mark.parametrize("raw_byte", [0x00, 0xFF, 0x5A])
def test_every_single_mistyped_symbol_is_detected(cls, raw_byte):
    """Exhaustive: every position, every other symbol of the alphabet."""
    compact = cls(SecretBytes(bytes([raw_byte]) * cls.LENGTH)).format().replace("-", "")
    start = len(cls.PREFIX)
    for index in range(start, len(compact)):
        for symbol in ALPHABET:
            if symbol == compact[index]:
                continue
            with pytest.raises(SecretKeyFormatError):
                cls.parse(compact[:index] + symbol + compact[index + 1 :])


@pytest.mark.parametrize("cls", KINDS)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_random_single_substitution_is_detected(cls, data):
    raw = data.draw(st.binary(min_size=cls.LENGTH, max_size=cls.LENGTH))
    compact = cls(SecretBytes(raw)).format().replace("-", "")
    index = data.draw(st.integers(len(cls.PREFIX), len(compact) - 1))
    symbol = data.draw(st.sampled_from([s for s in ALPHABET if s != compact[index]]))
    with pytest.raises(SecretKeyFormatError):
        cls.parse(compact[:index] + symbol + compact[index + 1 :])


def test_known_shapes():
    assert len(SecretKey.generate().format()) == len("BV1-") + 28 + 6
    assert len(RecoveryCode.generate().format()) == len("BVR1-") + 54 + 8

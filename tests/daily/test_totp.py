"""TOTP codes from a login's totp field: RFC 6238 vectors, Steam codes, the accepted forms."""

from __future__ import annotations

import base64

import pytest

from tests.daily.totp_vectors import RFC6238, SEEDS, STEAM, STEAM_SECRET, otpauth, steam_uri
from vault_client.items.totp import STEAM_ALPHABET, TotpFormatError, parse_totp, totp_code


@pytest.mark.parametrize(("when", "algorithm", "code"), RFC6238)
def test_rfc6238_vectors(when: int, algorithm: str, code: str) -> None:
    result = totp_code(parse_totp(otpauth(algorithm)), when)
    assert result.code == code
    assert result.seconds_left == 30 - when % 30


@pytest.mark.parametrize(("when", "code"), STEAM)
def test_steam_codes(when: int, code: str) -> None:
    secret = base64.b32encode(STEAM_SECRET).decode()
    for value in (steam_uri(), f"otpauth://totp/Steam:me?secret={secret}&issuer=Steam",
                  f"otpauth://totp/me?secret={secret}&encoder=steam"):
        result = totp_code(parse_totp(value), when)
        assert result.code == code and set(result.code) <= set(STEAM_ALPHABET)


def test_a_bare_secret_is_forgiven_its_spelling() -> None:
    secret = base64.b32encode(SEEDS["SHA1"]).decode()
    spaced = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)).lower()
    for value in (secret, secret.rstrip("="), spaced, f"  {secret}\n"):
        spec = parse_totp(value)
        assert (spec.digits, spec.period, spec.algorithm) == (6, 30, "SHA1")
        assert totp_code(spec, 59).code == "287082"  # the 6-digit form of the RFC's 94287082


def test_otpauth_parameters() -> None:
    secret = base64.b32encode(SEEDS["SHA1"]).decode()
    spec = parse_totp(f"otpauth://totp/ACME%20Co:jo%40example.org?secret={secret}&period=60&digits=7")
    assert (spec.issuer, spec.account, spec.period, spec.digits) == ("ACME Co", "jo@example.org", 60, 7)
    code = totp_code(spec, 119)
    assert len(code.code) == 7 and code.seconds_left == 1 and code.period == 60
    assert totp_code(spec, 60).code == code.code != totp_code(spec, 120).code


@pytest.mark.parametrize(("value", "words"), [
    ("", "empty"),
    ("otpauth://hotp/x?secret=GEZDGNBV&counter=1", "time-based"),     # counter-based codes are not supported
    ("otpauth://totp/x?issuer=Nobody", "base32"),                     # no secret at all
    ("otpauth://totp/x?secret=GEZDGNBV&algorithm=MD5", "algorithm"),
    ("otpauth://totp/x?secret=GEZDGNBV&digits=9", "digits"),
    ("otpauth://totp/x?secret=GEZDGNBV&digits=five", "digits"),
    ("otpauth://totp/x?secret=GEZDGNBV&period=0", "period"),
    ("not base32 at all!", "base32"),
    ("GEZD1", "base32"),                                              # 1 is not a base32 digit
])
def test_refused_values_say_why_without_quoting(value: str, words: str) -> None:
    with pytest.raises(TotpFormatError) as info:
        parse_totp(value)
    assert words in str(info.value)
    if len(value) > 8:
        assert value not in str(info.value)


def test_secrets_never_print() -> None:
    spec = parse_totp(otpauth("SHA1"))
    assert SEEDS["SHA1"].hex() not in repr(spec) and "12345678901234567890" not in repr(spec)
    assert "94287082" not in repr(totp_code(spec, 59))

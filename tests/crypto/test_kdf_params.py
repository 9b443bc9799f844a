"""KDF parameters: every bad set is refused before Argon2id runs (pyca-style table)."""

from __future__ import annotations

import struct

import pytest
from argon2 import low_level

from vault_client import crypto
from vault_client.crypto import DEFAULT_KDF, KDF_CEILING, KDF_FLOOR, KdfParams, KdfParamsError

P = KdfParams
PIN = P(65536, 3, 4)

BAD_PARAMS = [
    # (params, pinned, why it is refused)
    pytest.param(P(19455, 2, 1), None, id="memory one KiB below the OWASP floor"),
    pytest.param(P(1024, 2, 1), None, id="memory 1 MiB: a hostile server's weakening"),
    pytest.param(P(0, 2, 1), None, id="memory zero"),
    pytest.param(P(-1, 2, 1), None, id="memory negative"),
    pytest.param(P(19456, 1, 1), None, id="iterations below the floor"),
    pytest.param(P(19456, 0, 1), None, id="iterations zero"),
    pytest.param(P(19456, 2, 0), None, id="parallelism zero"),
    pytest.param(P(1048577, 2, 1), None, id="memory above the 1 GiB ceiling (would hang the client)"),
    pytest.param(P(2**40, 2, 1), None, id="memory absurdly large"),
    pytest.param(P(19456, 11, 1), None, id="iterations above the ceiling"),
    pytest.param(P(19456, 2, 17), None, id="parallelism above the ceiling"),
    pytest.param(P(32768, 3, 4), PIN, id="memory below this device's pin"),
    pytest.param(P(65536, 2, 4), PIN, id="iterations below this device's pin"),
    pytest.param(KDF_FLOOR, PIN, id="the floor itself, once the device used the defaults"),
    pytest.param(P(19456.0, 2, 1), None, id="memory as a float"),
    pytest.param(P(19456, True, 1), None, id="iterations as a bool"),
    pytest.param(P("65536", 3, 4), None, id="memory as a string"),
]


@pytest.fixture
def argon2_must_not_run(monkeypatch):
    def refuse(*args, **kwargs):
        pytest.fail("Argon2id ran before the parameters were checked")

    monkeypatch.setattr(low_level, "hash_secret_raw", refuse)


@pytest.mark.parametrize(("params", "pinned"), BAD_PARAMS)
def test_bad_params_are_refused_before_derivation(params, pinned, argon2_must_not_run):
    with pytest.raises(KdfParamsError):
        crypto.check_kdf_params(params, pinned)
    with pytest.raises(KdfParamsError):
        crypto.derive_account_keys("password", crypto.SecretKey.generate(), bytes(16), params, pinned)


def _fits_an_export(row) -> bool:
    params, pinned = row.values
    values = params.to_dict().values()
    return pinned is None and all(type(v) is int and 0 <= v < 2**32 for v in values)


@pytest.mark.parametrize(("params", "pinned"), [row for row in BAD_PARAMS if _fits_an_export(row)])
def test_bad_params_in_an_export_file_are_refused_before_derivation(params, pinned, argon2_must_not_run):
    preamble = bytes((1, 7)) + bytes(16) + struct.pack(">III", *params.to_dict().values())
    with pytest.raises(KdfParamsError):
        crypto.open_export("password", preamble + bytes(12 + 16))


@pytest.mark.parametrize(
    "salt",
    [
        pytest.param(bytes(15), id="15-byte salt"),
        pytest.param(bytes(17), id="17-byte salt"),
        pytest.param(b"", id="empty salt"),
        pytest.param("0" * 16, id="salt as str"),
    ],
)
def test_bad_salt_is_refused_before_derivation(salt, argon2_must_not_run):
    with pytest.raises(KdfParamsError):
        crypto.derive_account_keys("pw", crypto.SecretKey.generate(), salt, KDF_FLOOR)


@pytest.mark.parametrize(
    ("params", "pinned"),
    [
        pytest.param(KDF_FLOOR, None, id="the floor"),
        pytest.param(DEFAULT_KDF, None, id="the defaults"),
        pytest.param(KDF_CEILING, None, id="the ceiling"),
        pytest.param(DEFAULT_KDF, PIN, id="equal to the pin"),
        pytest.param(P(131072, 4, 4), PIN, id="stronger than the pin"),
        pytest.param(P(65536, 3, 1), PIN, id="parallelism below the pin (same work)"),
        pytest.param(P(65536, 3, 16), PIN, id="parallelism above the pin, within the ceiling"),
    ],
)
def test_good_params_pass(params, pinned):
    crypto.check_kdf_params(params, pinned)


def test_good_params_reach_argon2id_with_exactly_those_values(monkeypatch):
    seen = []
    real = low_level.hash_secret_raw

    def spy(**kwargs):
        seen.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(low_level, "hash_secret_raw", spy)
    crypto.derive_account_keys("pw", crypto.SecretKey.generate(), bytes(16), KDF_FLOOR)
    (call,) = seen
    assert (call["memory_cost"], call["time_cost"], call["parallelism"]) == (19456, 2, 1)
    assert call["type"] is low_level.Type.ID and call["hash_len"] == 32 and call["version"] == 19


def test_pinned_must_be_params():
    with pytest.raises(KdfParamsError):
        crypto.check_kdf_params(DEFAULT_KDF, {"memory_kib": 1})
    with pytest.raises(KdfParamsError):
        crypto.check_kdf_params({"memory_kib": 65536, "iterations": 3, "parallelism": 4})
    with pytest.raises(KdfParamsError):
        crypto.check_kdf_params(DEFAULT_KDF, P("65536", 3, 4))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(None, id="null"),
        pytest.param([65536, 3, 4], id="a list"),
        pytest.param({"memory_kib": 65536, "iterations": 3}, id="parallelism missing"),
        pytest.param({"memory_kib": 65536, "iterations": 3, "parallelism": 4, "salt": "x"}, id="unknown key"),
        pytest.param({"memory_kib": "65536", "iterations": 3, "parallelism": 4}, id="string value"),
        pytest.param({"memory_kib": 65536.0, "iterations": 3, "parallelism": 4}, id="float value"),
        pytest.param({"memory_kib": 65536, "iterations": True, "parallelism": 4}, id="bool value"),
        pytest.param({"memory_kib": 65536, "iterations": 3, "parallelism": None}, id="null value"),
    ],
)
def test_from_dict_rejects_malformed_wire_params(data):
    with pytest.raises(KdfParamsError):
        KdfParams.from_dict(data)


def test_wire_round_trip():
    assert KdfParams.from_dict(DEFAULT_KDF.to_dict()) == DEFAULT_KDF
    assert DEFAULT_KDF.to_dict() == {"memory_kib": 65536, "iterations": 3, "parallelism": 4}


def test_bounds_are_the_design_values():
    assert DEFAULT_KDF == P(65536, 3, 4)
    assert KDF_FLOOR == P(19456, 2, 1)
    assert KDF_CEILING == P(1048576, 10, 16)


def test_salts_are_fresh_16_bytes():
    a, b = crypto.new_salt(), crypto.new_salt()
    assert len(a) == len(b) == 16 and a != b


def test_password_is_nfkc_normalised_and_both_secrets_matter():
    sk, salt = crypto.SecretKey.generate(), crypto.new_salt()
    composed = crypto.derive_account_keys("caf\u00e9", sk, salt, KDF_FLOOR)
    decomposed = crypto.derive_account_keys("cafe\u0301", sk, salt, KDF_FLOOR)
    assert composed.auth_key == decomposed.auth_key and composed.kek == decomposed.kek
    other_sk = crypto.derive_account_keys("caf\u00e9", crypto.SecretKey.generate(), salt, KDF_FLOOR)
    other_pw = crypto.derive_account_keys("cafe", sk, salt, KDF_FLOOR)
    for other in (other_sk, other_pw):
        assert other.auth_key != composed.auth_key and other.kek != composed.kek
    assert composed.auth_key != composed.kek


def test_derive_needs_a_secret_key_object():
    with pytest.raises(TypeError):
        crypto.derive_account_keys("pw", "BV1-...", bytes(16), KDF_FLOOR)
    with pytest.raises(TypeError):
        crypto.derive_account_keys(b"pw", crypto.SecretKey.generate(), bytes(16), KDF_FLOOR)

"""Secrets never print themselves, and failures say nothing about which check failed."""

from __future__ import annotations

import pickle
import uuid

import pytest

from vault_client import crypto
from vault_client.crypto import KDF_FLOOR, CryptoError, SecretBytes


@pytest.fixture(scope="module")
def secrets_on_display():
    """Every secret-holding value of the API, with the raw bytes it must never show."""
    sk = crypto.SecretKey.generate()
    code = crypto.RecoveryCode.generate()
    keys = crypto.derive_account_keys("pw", sk, bytes(16), KDF_FLOOR)
    pairs = crypto.KeyPairs.generate()
    raw = SecretBytes(bytes(range(32)))
    return [
        (raw, raw.reveal()),
        (sk, sk.secret.reveal()),
        (code, code.secret.reveal()),
        (keys, keys.kek.reveal()),
        (keys, keys.auth_key.reveal()),
        (pairs, pairs._private_bytes()),
    ]


def test_reprs_and_strs_are_redacted(secrets_on_display):
    for value, raw in secrets_on_display:
        for text in (repr(value), str(value), f"{value}", f"{value!r}", repr([value]), repr({"k": value})):
            assert "<redacted>" in text
            for form in (raw.hex(), raw.hex().upper(), repr(raw), str(list(raw))):
                assert form not in text
    sk = secrets_on_display[1][0]
    assert sk.format()[4:] not in repr(sk)


def test_secret_bytes_behaviour():
    a, b, c = SecretBytes(b"k" * 32), SecretBytes(b"k" * 32), SecretBytes(b"j" * 32)
    assert a == b and a != c and len(a) == 32 and a.reveal() == b"k" * 32
    assert (a == b"k" * 32) is False  # never equal to raw bytes by accident
    assert SecretBytes(bytearray(b"x")).reveal() == b"x"
    with pytest.raises(TypeError):
        hash(a)
    with pytest.raises(TypeError):
        pickle.dumps(a)
    with pytest.raises(TypeError):
        SecretBytes("text")


def test_human_keys_compare_and_refuse_bad_construction():
    sk = crypto.SecretKey.generate()
    assert sk == crypto.SecretKey(SecretBytes(sk.secret.reveal()))
    assert sk != crypto.SecretKey.generate()
    assert (sk == crypto.RecoveryCode.generate()) is False
    with pytest.raises(ValueError):
        crypto.SecretKey(SecretBytes(bytes(32)))
    with pytest.raises(ValueError):
        crypto.RecoveryCode(bytes(32))
    with pytest.raises(TypeError):
        crypto.SecretKey.parse(b"BV1-0000")
    with pytest.raises(TypeError):
        hash(sk)


def test_crypto_error_is_one_fixed_message():
    account_id = uuid.uuid4()
    kek, other = crypto.new_symmetric_key(), crypto.new_symmetric_key()
    blob = crypto.wrap_account_key(kek, crypto.new_symmetric_key(), account_id)
    failures = []
    for attempt in (
        lambda: crypto.unwrap_account_key(other, blob, account_id),  # wrong key: tag check
        lambda: crypto.unwrap_account_key(kek, blob[:-1], account_id),  # bad length
        lambda: crypto.unwrap_account_key(kek, b"\x02" + blob[1:], account_id),  # version
        lambda: crypto.unwrap_account_key(kek, blob, uuid.uuid4()),  # context
    ):
        with pytest.raises(CryptoError) as info:
            attempt()
        failures.append(info.value)
    messages = {str(e) for e in failures}
    assert messages == {"This data could not be decrypted or verified: it was changed, or the key is wrong."}
    # nothing chained to show in a traceback: no hint of which check failed
    assert all(e.args == () and e.__cause__ is None for e in failures)
    assert all(e.__context__ is None or e.__suppress_context__ for e in failures)
    assert not issubclass(CryptoError, ValueError)


def test_kdf_and_format_errors_are_value_errors_with_their_own_message():
    assert issubclass(crypto.KdfParamsError, ValueError)
    assert issubclass(crypto.SecretKeyFormatError, ValueError)
    assert str(crypto.KdfParamsError()) == crypto.KdfParamsError.__doc__
    with pytest.raises(crypto.SecretKeyFormatError) as info:
        crypto.SecretKey.parse("BV1-0000")
    assert "Secret Key" in str(info.value)


def test_wrong_key_types_are_programming_errors_not_crypto_errors():
    vid, iid = uuid.uuid4(), uuid.uuid4()
    with pytest.raises(TypeError):
        crypto.seal_item(b"k" * 32, vid, iid, 1, b"x")  # raw bytes instead of SecretBytes
    with pytest.raises(ValueError):
        crypto.seal_item(SecretBytes(b"short"), vid, iid, 1, b"x")
    with pytest.raises(TypeError):
        crypto.seal_item(crypto.new_symmetric_key(), str(vid), iid, 1, b"x")
    with pytest.raises(TypeError):
        crypto.open_item(crypto.new_symmetric_key(), vid, iid, 1, "blob")
    with pytest.raises(TypeError):
        crypto.open_item(crypto.new_symmetric_key(), vid, iid, "1", b"blob")


def test_fresh_keys_are_random():
    assert crypto.new_symmetric_key() != crypto.new_symmetric_key()
    assert len(crypto.new_symmetric_key()) == 32
    assert crypto.SecretKey.generate() != crypto.SecretKey.generate()
    assert crypto.RecoveryCode.generate() != crypto.RecoveryCode.generate()

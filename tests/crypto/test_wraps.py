"""Key wraps (account key, private keys, vault key, recovery) and the encrypted export."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vault_client import crypto
from vault_client.crypto import KDF_FLOOR, CryptoError, SecretBytes, envelope

FAST = settings(max_examples=40, deadline=None)
keys32 = st.binary(min_size=32, max_size=32).map(SecretBytes)
generations = st.integers(min_value=1, max_value=2**32 - 1)
PAIRS = crypto.KeyPairs.generate()
CODE = crypto.RecoveryCode.generate()


def _constructions():
    """(name, wrap(key, secret, ctx) -> blob, unwrap(key, blob, ctx) -> secret, other context)."""
    return [
        ("account key", crypto.wrap_account_key, crypto.unwrap_account_key),
        (
            "vault key",
            lambda k, s, ctx: crypto.wrap_vault_key(k, s, ctx, 5),
            lambda k, b, ctx: crypto.unwrap_vault_key(k, b, ctx, 5),
        ),
        (
            "recovery",
            lambda k, s, ctx: crypto.wrap_account_key_for_recovery(CODE, s, ctx),
            lambda k, b, ctx: crypto.unwrap_account_key_for_recovery(CODE, b, ctx),
        ),
    ]


@pytest.mark.parametrize(("name", "wrap", "unwrap"), _constructions(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_single_byte_change_of_a_key_wrap_is_detected(name, wrap, unwrap):
    key, secret, ctx = crypto.new_symmetric_key(), crypto.new_symmetric_key(), uuid.uuid4()
    blob = wrap(key, secret, ctx)
    assert unwrap(key, blob, ctx) == secret
    for index in range(len(blob)):
        for mask in (0x01, 0x40):
            with pytest.raises(CryptoError):
                unwrap(key, blob[:index] + bytes([blob[index] ^ mask]) + blob[index + 1 :], ctx)
    for cut in range(len(blob)):
        with pytest.raises(CryptoError):
            unwrap(key, blob[:cut], ctx)
    with pytest.raises(CryptoError):
        unwrap(key, blob, uuid.uuid4())


@FAST
@given(kek=keys32, account_key=keys32, account_id=st.uuids())
def test_account_key_round_trip(kek, account_key, account_id):
    blob = crypto.wrap_account_key(kek, account_key, account_id)
    assert crypto.parse_envelope(blob)[:2] == (1, envelope.KIND_ACCOUNT_KEY)
    assert crypto.unwrap_account_key(kek, blob, account_id) == account_key


@FAST
@given(account_key=keys32, vault_key=keys32, vault_id=st.uuids(), generation=generations, other=generations)
def test_vault_key_round_trip_and_generation_binding(account_key, vault_key, vault_id, generation, other):
    blob = crypto.wrap_vault_key(account_key, vault_key, vault_id, generation)
    assert crypto.unwrap_vault_key(account_key, blob, vault_id, generation) == vault_key
    if other != generation:
        with pytest.raises(CryptoError):
            crypto.unwrap_vault_key(account_key, blob, vault_id, other)


def test_vault_key_wrap_refuses_generation_zero():
    with pytest.raises(ValueError):
        crypto.wrap_vault_key(crypto.new_symmetric_key(), crypto.new_symmetric_key(), uuid.uuid4(), 0)


def test_private_keys_round_trip_and_every_byte_change_is_detected():
    account_key, account_id = crypto.new_symmetric_key(), uuid.uuid4()
    blob = crypto.wrap_private_keys(account_key, PAIRS, account_id)
    assert crypto.parse_envelope(blob)[:2] == (1, envelope.KIND_PRIVATE_KEYS)
    opened = crypto.unwrap_private_keys(account_key, blob, account_id)
    assert (opened.identity_public, opened.sharing_public) == (PAIRS.identity_public, PAIRS.sharing_public)
    for index in range(len(blob)):
        with pytest.raises(CryptoError):
            crypto.unwrap_private_keys(account_key, blob[:index] + bytes([blob[index] ^ 4]) + blob[index + 1 :],
                                       account_id)
    with pytest.raises(CryptoError):
        crypto.unwrap_private_keys(crypto.new_symmetric_key(), blob, account_id)
    with pytest.raises(TypeError):
        crypto.wrap_private_keys(account_key, "keys", account_id)


def test_authentic_envelopes_with_a_wrong_plaintext_length_are_refused():
    """A correctly keyed envelope whose content has the wrong size is still refused."""
    from vault_client.crypto.identity import _private_keys_wrap_key

    kek, account_id = crypto.new_symmetric_key(), uuid.uuid4()
    short = envelope.seal(kek.reveal(), envelope.KIND_ACCOUNT_KEY, account_id.bytes, bytes(31), bytes(12))
    with pytest.raises(CryptoError):
        crypto.unwrap_account_key(kek, short, account_id)
    wrap_key = _private_keys_wrap_key(kek)
    short = envelope.seal(wrap_key, envelope.KIND_PRIVATE_KEYS, account_id.bytes, bytes(127), bytes(12))
    with pytest.raises(CryptoError):
        crypto.unwrap_private_keys(kek, short, account_id)


def test_recovery_keys_are_per_account_and_distinct():
    a, b = uuid.uuid4(), uuid.uuid4()
    wrap_a, verifier_a = crypto.recovery_keys(CODE, a)
    wrap_b, _ = crypto.recovery_keys(CODE, b)
    assert wrap_a != verifier_a and wrap_a != wrap_b
    other_wrap, _ = crypto.recovery_keys(crypto.RecoveryCode.generate(), a)
    assert other_wrap != wrap_a
    with pytest.raises(TypeError):
        crypto.recovery_keys(crypto.SecretKey.generate(), a)
    blob = crypto.wrap_account_key_for_recovery(CODE, crypto.new_symmetric_key(), a)
    with pytest.raises(CryptoError):
        crypto.unwrap_account_key_for_recovery(crypto.RecoveryCode.generate(), blob, a)


def test_export_round_trip_and_tamper():
    blob = crypto.seal_export("hunter2 ✓", b"[1, 2, 3]", KDF_FLOOR)
    assert crypto.parse_envelope(blob)[:2] == (1, envelope.KIND_EXPORT)
    assert crypto.open_export("hunter2 ✓", blob) == b"[1, 2, 3]"
    for index in (2, 20, 31, 40, len(blob) - 1):  # salt, params, nonce, ciphertext, tag
        tampered = blob[:index] + bytes([blob[index] ^ 1]) + blob[index + 1 :]
        with pytest.raises((CryptoError, crypto.KdfParamsError)):
            crypto.open_export("hunter2 ✓", tampered)
    with pytest.raises(CryptoError):
        crypto.open_export("hunter3", blob)
    with pytest.raises(TypeError):
        crypto.seal_export("pw", "text", KDF_FLOOR)
    with pytest.raises(crypto.KdfParamsError):
        crypto.seal_export("pw", b"x", crypto.KdfParams(1024, 1, 1))


def test_export_seam_checks_the_nonce():
    from vault_client.crypto.export import _seal_export_with

    with pytest.raises(ValueError):
        _seal_export_with("pw", b"x", KDF_FLOOR, bytes(16), bytes(8))


def test_envelope_seal_checks_the_nonce():
    with pytest.raises(ValueError):
        envelope.seal(bytes(32), envelope.KIND_ACCOUNT_KEY, b"", b"x", bytes(13))


def test_context_values_of_the_wrong_type_are_programming_errors():
    key, vid = crypto.new_symmetric_key(), uuid.uuid4()
    with pytest.raises(TypeError):
        crypto.wrap_vault_key(key, key, vid, "1")
    with pytest.raises(TypeError):
        crypto.unwrap_vault_key(key, bytes(62), vid, 1.0)
    with pytest.raises(TypeError):
        crypto.manifest_mac(key, vid, True, 1, [])


def test_private_keys_layout_has_a_fixed_size():
    with pytest.raises(ValueError):
        crypto.KeyPairs._from_private_bytes(bytes(127))

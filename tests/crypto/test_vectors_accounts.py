"""Known-answer vectors: KDF, Secret Key, account key wrap, recovery code, export.

Success cases are reproduced exactly through the deterministic seams; every failure case raises
the exception class the vector names (for decryption, always the single CryptoError).
"""

from __future__ import annotations

import pytest

from vault_client import crypto
from vault_client.crypto import labels
from vault_client.crypto.account import _wrap_account_key_with_nonce
from vault_client.crypto.derive import hkdf
from vault_client.crypto.export import _seal_export_with
from vault_client.crypto.kdf import password_key
from vault_client.crypto.recovery import _wrap_account_key_for_recovery_with_nonce

from .vectors import cases, error, generator, key, params, uid


def test_committed_vectors_are_what_the_generator_writes():
    for name, text in generator().build_all().items():
        assert (generator().HERE / name).read_text() == text, f"{name} is stale: run tests/vectors/generate.py"


@pytest.mark.parametrize("case", cases("kdf.json"))
def test_kdf(case):
    sk = crypto.SecretKey.parse(case["secret_key"])
    salt = bytes.fromhex(case["salt"])
    args = (case["password"], sk, salt, params(case["params"]), params(case["pinned"]))
    if case["expect"] == "failure":
        with pytest.raises(error(case)):
            crypto.derive_account_keys(*args)
        return
    pkey = password_key(case["password"], salt, params(case["params"]), params(case["pinned"]))
    assert pkey.hex() == case["password_key"]
    assert hkdf(pkey + sk.secret.reveal(), salt, labels.MASTER).hex() == case["master"]
    keys = crypto.derive_account_keys(*args)
    assert keys.auth_key.reveal().hex() == case["auth_key"]
    assert keys.kek.reveal().hex() == case["kek"]


@pytest.mark.parametrize("case", cases("secret_key.json"))
def test_secret_key(case):
    if case["expect"] == "failure":
        with pytest.raises(error(case)):
            crypto.SecretKey.parse(case["text"])
        return
    sk = crypto.SecretKey.parse(case["text"])
    assert sk.secret.reveal().hex() == case["bytes"]
    canonical = crypto.SecretKey(key(case["bytes"])).format()
    assert crypto.SecretKey.parse(canonical) == sk
    if case.get("canonical"):
        assert canonical == case["text"]


@pytest.mark.parametrize("case", cases("account_key_wrap.json"))
def test_account_key_wrap(case):
    kek, account_id, blob = key(case["kek"]), uid(case["account_id"]), bytes.fromhex(case["blob"])
    if case["expect"] == "failure":
        with pytest.raises(error(case)):
            crypto.unwrap_account_key(kek, blob, account_id)
        return
    account_key = key(case["account_key"])
    assert _wrap_account_key_with_nonce(kek, account_key, account_id, bytes.fromhex(case["nonce"])) == blob
    assert crypto.unwrap_account_key(kek, blob, account_id) == account_key


@pytest.mark.parametrize("case", cases("recovery.json", op="parse"))
def test_recovery_code_parse(case):
    if case["expect"] == "failure":
        with pytest.raises(error(case)):
            crypto.RecoveryCode.parse(case["text"])
        return
    code = crypto.RecoveryCode.parse(case["text"])
    assert code.secret.reveal().hex() == case["bytes"]
    if case.get("canonical"):
        assert code.format() == case["text"]


@pytest.mark.parametrize("case", cases("recovery.json", op="wrap"))
def test_recovery_wrap(case):
    code, account_id = crypto.RecoveryCode.parse(case["code"]), uid(case["account_id"])
    wrap_key, verifier = crypto.recovery_keys(code, account_id)
    assert (wrap_key.reveal().hex(), verifier.reveal().hex()) == (case["wrap_key"], case["verifier"])
    account_key, blob = key(case["account_key"]), bytes.fromhex(case["blob"])
    nonce = bytes.fromhex(case["nonce"])
    assert _wrap_account_key_for_recovery_with_nonce(code, account_key, account_id, nonce) == blob
    assert crypto.unwrap_account_key_for_recovery(code, blob, account_id) == account_key


@pytest.mark.parametrize("case", cases("recovery.json", op="unwrap"))
def test_recovery_unwrap_failures(case):
    code = crypto.RecoveryCode.parse(case["code"])
    with pytest.raises(error(case)):
        crypto.unwrap_account_key_for_recovery(code, bytes.fromhex(case["blob"]), uid(case["account_id"]))


@pytest.mark.parametrize("case", cases("export.json"))
def test_export(case):
    blob = bytes.fromhex(case["blob"])
    if case["expect"] == "failure":
        with pytest.raises(error(case)):
            crypto.open_export(case["password"], blob)
        return
    sealed = _seal_export_with(
        case["password"], bytes.fromhex(case["plaintext"]), params(case["params"]),
        bytes.fromhex(case["salt"]), bytes.fromhex(case["nonce"]),
    )
    assert sealed == blob
    assert crypto.open_export(case["password"], blob).hex() == case["plaintext"]

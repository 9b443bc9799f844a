"""Known-answer vectors: public bundles, private keys wrap, vault key wrap, grants."""

from __future__ import annotations

import pytest

from vault_client import crypto
from vault_client.crypto.grant import _sign_grant, grant_info
from vault_client.crypto.identity import _wrap_private_keys_with_nonce
from vault_client.crypto.vault import _wrap_vault_key_with_nonce

from .vectors import bundle, cases, error, key, keypairs, uid


@pytest.mark.parametrize("case", cases("public_bundle.json"))
def test_public_bundle(case):
    b = bundle(case)
    if case["expect"] == "failure":
        with pytest.raises(error(case)):
            crypto.verify_public_bundle(b, case["email"])
        return
    crypto.verify_public_bundle(b, case["email"])
    if "private_keys" in case:
        made = crypto.make_public_bundle(keypairs(case["private_keys"]), b.account_id, case["email"])
        assert made == b
    if "fingerprint" in case:
        assert crypto.fingerprint(b).hex() == case["fingerprint"]
        assert crypto.safety_number(b) == case["safety_number"]


@pytest.mark.parametrize("case", cases("private_keys_wrap.json"))
def test_private_keys_wrap(case):
    account_key, account_id = key(case["account_key"]), uid(case["account_id"])
    blob = bytes.fromhex(case["blob"])
    if case["expect"] == "failure":
        with pytest.raises(error(case)):
            crypto.unwrap_private_keys(account_key, blob, account_id)
        return
    keys = keypairs(case["private_keys"])
    assert keys.identity_public.hex() == case["identity_public"]
    assert keys.sharing_public.hex() == case["sharing_public"]
    assert _wrap_private_keys_with_nonce(account_key, keys, account_id, bytes.fromhex(case["nonce"])) == blob
    opened = crypto.unwrap_private_keys(account_key, blob, account_id)
    assert opened._private_bytes().hex() == case["private_keys"]


@pytest.mark.parametrize("case", cases("vault_key_wrap.json"))
def test_vault_key_wrap(case):
    account_key, vault_id, generation = key(case["account_key"]), uid(case["vault_id"]), case["generation"]
    blob = bytes.fromhex(case["blob"])
    if case["expect"] == "failure":
        with pytest.raises(error(case)):
            crypto.unwrap_vault_key(account_key, blob, vault_id, generation)
        return
    vault_key = key(case["vault_key"])
    nonce = bytes.fromhex(case["nonce"])
    assert _wrap_vault_key_with_nonce(account_key, vault_key, vault_id, generation, nonce) == blob
    assert crypto.unwrap_vault_key(account_key, blob, vault_id, generation) == vault_key


@pytest.mark.parametrize("case", cases("grant.json"))
def test_grant(case):
    args = (
        bytes.fromhex(case["blob"]),
        keypairs(case["recipient_private_keys"]),
        uid(case["recipient_id"]),
        bundle(case["inviter_bundle"]),
        uid(case["vault_id"]),
        case["generation"],
        case["role"],
    )
    if case["expect"] == "failure":
        with pytest.raises(error(case)):
            crypto.open_grant(*args)
        return
    assert crypto.open_grant(*args).reveal().hex() == case["vault_key"]
    info = grant_info(args[4], args[2], args[5], args[6])
    assert info.hex() == case["hpke_info"]
    # HPKE sealing is randomised; everything around the sealed key is reproduced exactly.
    resigned = _sign_grant(bytes.fromhex(case["sealed"]), args[4], args[5], args[6], args[2],
                           keypairs(case["inviter_private_keys"]), args[3].account_id)
    assert resigned == args[0]

"""Public bundles, fingerprints, safety numbers and grants (live HPKE)."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vault_client import crypto
from vault_client.crypto import CryptoError
from vault_client.crypto.grant import GRANT_LEN

ALICE, BOB, MALLORY = (crypto.KeyPairs.generate() for _ in range(3))
ALICE_ID, BOB_ID = uuid.uuid4(), uuid.uuid4()
ALICE_BUNDLE = crypto.make_public_bundle(ALICE, ALICE_ID, "alice@example.org")
BOB_BUNDLE = crypto.make_public_bundle(BOB, BOB_ID, "bob@example.org")


def test_bundle_verifies_and_binds_email_and_keys():
    crypto.verify_public_bundle(ALICE_BUNDLE, "ALICE@example.org ")
    with pytest.raises(CryptoError):
        crypto.verify_public_bundle(ALICE_BUNDLE, "alice@example.com")
    swapped = replace(ALICE_BUNDLE, sharing_public=MALLORY.sharing_public)
    with pytest.raises(CryptoError):
        crypto.verify_public_bundle(swapped, "alice@example.org")
    with pytest.raises(CryptoError):
        crypto.verify_public_bundle(replace(ALICE_BUNDLE, signature=b""), "alice@example.org")
    with pytest.raises(CryptoError):
        crypto.fingerprint(replace(ALICE_BUNDLE, identity_public=bytes(31)))
    with pytest.raises(TypeError):
        crypto.verify_public_bundle({"account_id": str(ALICE_ID)}, "alice@example.org")
    with pytest.raises(TypeError):
        crypto.make_public_bundle("keys", ALICE_ID, "alice@example.org")
    with pytest.raises(TypeError):
        crypto.make_public_bundle(ALICE, ALICE_ID, b"alice@example.org")
    with pytest.raises(ValueError):
        crypto.make_public_bundle(ALICE, ALICE_ID, "a" * 70000)


def test_every_byte_of_the_bundle_is_covered_by_the_signature():
    for field in ("identity_public", "sharing_public", "signature"):
        value = getattr(ALICE_BUNDLE, field)
        for index in range(0, len(value), 7):
            changed = value[:index] + bytes([value[index] ^ 1]) + value[index + 1 :]
            with pytest.raises(CryptoError):
                crypto.verify_public_bundle(replace(ALICE_BUNDLE, **{field: changed}), "alice@example.org")


def test_safety_number_shape_and_dependence_on_every_key():
    number = crypto.safety_number(ALICE_BUNDLE)
    assert re.fullmatch(r"(\d{5} ){11}\d{5}", number)
    assert crypto.safety_number(ALICE_BUNDLE) == number
    assert len(crypto.fingerprint(ALICE_BUNDLE)) == 32
    for changed in (
        replace(ALICE_BUNDLE, sharing_public=MALLORY.sharing_public),
        replace(ALICE_BUNDLE, identity_public=MALLORY.identity_public),
        replace(ALICE_BUNDLE, account_id=BOB_ID),
    ):
        assert crypto.safety_number(changed) != number
        assert crypto.fingerprint(changed) != crypto.fingerprint(ALICE_BUNDLE)


@pytest.mark.parametrize("role", sorted(crypto.ROLES))
def test_grant_round_trip(role):
    vault_key, vault_id = crypto.new_symmetric_key(), uuid.uuid4()
    blob = crypto.seal_grant(vault_key, vault_id, 2, role, BOB_BUNDLE, ALICE, ALICE_ID)
    assert len(blob) == GRANT_LEN and crypto.parse_envelope(blob)[:2] == (1, 6)
    assert crypto.open_grant(blob, BOB, BOB_ID, ALICE_BUNDLE, vault_id, 2, role) == vault_key
    for other_role in set(crypto.ROLES) - {role}:
        with pytest.raises(CryptoError):
            crypto.open_grant(blob, BOB, BOB_ID, ALICE_BUNDLE, vault_id, 2, other_role)


def test_every_single_byte_change_of_a_grant_is_detected():
    vault_key, vault_id = crypto.new_symmetric_key(), uuid.uuid4()
    blob = crypto.seal_grant(vault_key, vault_id, 1, "viewer", BOB_BUNDLE, ALICE, ALICE_ID)
    for index in range(len(blob)):
        tampered = blob[:index] + bytes([blob[index] ^ 0x10]) + blob[index + 1 :]
        with pytest.raises(CryptoError):
            crypto.open_grant(tampered, BOB, BOB_ID, ALICE_BUNDLE, vault_id, 1, "viewer")


def test_grant_from_another_identity_or_for_another_recipient_fails():
    vault_key, vault_id = crypto.new_symmetric_key(), uuid.uuid4()
    forged = crypto.seal_grant(vault_key, vault_id, 1, "owner", BOB_BUNDLE, MALLORY, ALICE_ID)
    with pytest.raises(CryptoError):
        crypto.open_grant(forged, BOB, BOB_ID, ALICE_BUNDLE, vault_id, 1, "owner")
    blob = crypto.seal_grant(vault_key, vault_id, 1, "owner", BOB_BUNDLE, ALICE, ALICE_ID)
    with pytest.raises(CryptoError):
        crypto.open_grant(blob, MALLORY, BOB_ID, ALICE_BUNDLE, vault_id, 1, "owner")
    with pytest.raises(CryptoError):
        crypto.open_grant(blob, BOB, BOB_ID, ALICE_BUNDLE, vault_id, 0, "owner")


def test_grant_to_a_malformed_bundle_or_with_bad_arguments():
    vault_key, vault_id = crypto.new_symmetric_key(), uuid.uuid4()
    bad_bundle = replace(BOB_BUNDLE, sharing_public=b"\xff" * 1216)
    with pytest.raises(CryptoError):
        crypto.seal_grant(vault_key, vault_id, 1, "owner", bad_bundle, ALICE, ALICE_ID)
    with pytest.raises(ValueError):
        crypto.seal_grant(vault_key, vault_id, 1, "admin", BOB_BUNDLE, ALICE, ALICE_ID)
    with pytest.raises(TypeError):
        crypto.seal_grant(vault_key, vault_id, 1, "owner", BOB_BUNDLE, "alice", ALICE_ID)
    blob = crypto.seal_grant(vault_key, vault_id, 1, "owner", BOB_BUNDLE, ALICE, ALICE_ID)
    with pytest.raises(TypeError):
        crypto.open_grant(blob, "bob", BOB_ID, ALICE_BUNDLE, vault_id, 1, "owner")
    from vault_client.crypto.grant import _sign_grant

    with pytest.raises(ValueError):
        _sign_grant(bytes(10), vault_id, 1, "owner", BOB_ID, ALICE, ALICE_ID)


@settings(max_examples=10, deadline=None)
@given(vault_id=st.uuids(), generation=st.integers(1, 2**32 - 1), role=st.sampled_from(sorted(crypto.ROLES)))
def test_grant_round_trip_property(vault_id, generation, role):
    vault_key = crypto.new_symmetric_key()
    blob = crypto.seal_grant(vault_key, vault_id, generation, role, BOB_BUNDLE, ALICE, ALICE_ID)
    assert crypto.open_grant(blob, BOB, BOB_ID, ALICE_BUNDLE, vault_id, generation, role) == vault_key

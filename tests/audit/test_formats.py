"""The audit's shape checks against the real client's ciphertext, and against what must fail.

The client's crypto core makes the real thing (every envelope kind the server stores); the
audit must accept all of it and refuse text, zeros, wrong kinds and wrong lengths, whatever the
header claims.
"""

from __future__ import annotations

import os
import uuid

import pytest

from vault_client import crypto
from vault_server.audit import formats, text
from vault_server.audit.registry import REGISTRY
from vault_server.models.wire import EnvelopeKind as K

VAULT, ITEM, ACCOUNT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


@pytest.fixture(scope="module")
def keys() -> dict:
    account_key = crypto.new_symmetric_key()
    pairs = crypto.KeyPairs.generate()
    other = crypto.KeyPairs.generate()
    return {"account": account_key, "vault": crypto.new_symmetric_key(), "pairs": pairs,
            "bundle": crypto.make_public_bundle(pairs, ACCOUNT, "a@example.org"),
            "other_bundle": crypto.make_public_bundle(other, uuid.uuid4(), "b@example.org")}


def _real_blobs(keys: dict) -> list[tuple[str, bytes, int]]:
    vk, ak = keys["vault"], keys["account"]
    kek = crypto.new_symmetric_key()
    code = crypto.RecoveryCode.generate()
    out = [
        ("account key wrap", crypto.wrap_account_key(kek, ak, ACCOUNT), K.ACCOUNT_KEY),
        ("private keys wrap", crypto.wrap_private_keys(ak, keys["pairs"], ACCOUNT), K.PRIVATE_KEYS),
        ("vault key wrap", crypto.wrap_vault_key(ak, vk, VAULT, 1), K.VAULT_KEY),
        ("recovery wrap", crypto.wrap_account_key_for_recovery(code, ak, ACCOUNT), K.RECOVERY),
        ("grant", crypto.seal_grant(vk, VAULT, 1, "editor", keys["other_bundle"], keys["pairs"], ACCOUNT),
         K.GRANT),
    ]
    for size in (0, 200, 300, 5000, 70000, 200000):
        out.append((f"item of {size}", crypto.seal_item(vk, VAULT, ITEM, 1, b"x" * size), K.ITEM))
    for size in (0, 1, 1000, 12345, 300000):
        blob = crypto.seal_attachment(crypto.new_symmetric_key(), VAULT, ITEM, os.urandom(size))
        out.append((f"attachment of {size}", blob, K.ATTACHMENT))
    return out


def test_every_real_envelope_passes(keys: dict) -> None:
    for name, blob, kind in _real_blobs(keys):
        assert formats.envelope_problem(blob, (kind,)) is None, name


def test_public_keys_and_signatures_of_the_real_client_pass(keys: dict) -> None:
    bundle = keys["bundle"]
    assert formats.mlkem_x25519_public_problem(bundle.sharing_public) is None
    assert formats.fixed_random_problem(bundle.identity_public, 32) is None
    assert formats.fixed_random_problem(bundle.signature, 64) is None


def test_many_grants_stay_well_inside_the_randomness_bound(keys: dict) -> None:
    """ML-KEM ciphertext is compressed coefficients, not uniform bytes: check the margin."""
    worst = max(formats.chi_square(crypto.seal_grant(keys["vault"], VAULT, 1, "viewer", keys["other_bundle"],
                                                     keys["pairs"], ACCOUNT)[2:]) for _ in range(60))
    assert worst < formats.CHI2_BOUND - 3 * 22.6, worst


ITEM_LEN = 30 + 512


@pytest.mark.parametrize(("blob", "kinds", "expected"), [
    # plaintext JSON behind a valid header, padded with zeros to a valid item length
    (b"\x01\x04" + b'{"name": "Bank", "password": "hunter2"}'.ljust(ITEM_LEN - 2, b"\0"), (K.ITEM,), "readable"),
    # plaintext that fills the body: the header and length are right, the bytes are not random
    (b"\x01\x04" + (b"the quick brown fox " * 30)[: ITEM_LEN - 2], (K.ITEM,), "readable"),
    # all zeros after a valid header
    (b"\x01\x04" + bytes(ITEM_LEN - 2), (K.ITEM,), "not random"),
    # a repeating non-text pattern
    (b"\x01\x04" + (bytes(range(16)) * 34)[: ITEM_LEN - 2], (K.ITEM,), "not random"),
    # a legacy or future version byte
    (b"\x02\x04" + os.urandom(ITEM_LEN - 2), (K.ITEM,), "version"),
    # the right format, the wrong kind for the column (a vault key wrap where an item belongs)
    (b"\x01\x03" + os.urandom(60), (K.ITEM,), "kind 0x03"),
    # an item whose length is not 30 + a padding bucket
    (b"\x01\x04" + os.urandom(ITEM_LEN), (K.ITEM,), "bucket"),
    # a wrapped key one byte long
    (b"\x01\x01" + os.urandom(61), (K.ACCOUNT_KEY,), "not 62"),
    # a grant of the wrong size
    (b"\x01\x06" + os.urandom(1000), (K.GRANT,), "not 1234"),
    # an attachment whose padded length Padmé never produces
    (b"\x01\x09" + os.urandom(28 + 1001), (K.ATTACHMENT,), "Padmé"),
    # too short to be anything
    (b"\x01\x04" + os.urandom(10), (K.ITEM,), "too short"),
])
def test_what_is_not_an_envelope_is_refused(blob: bytes, kinds: tuple[int, ...], expected: str) -> None:
    problem = formats.envelope_problem(blob, kinds)
    assert problem is not None and expected in problem, problem


def test_bucket_and_padme_sizes() -> None:
    assert [n for n in range(200, 70000) if formats.item_bucket_ok(n)] == [256 * 2**i for i in range(9)]
    assert formats.item_bucket_ok(983040) and not formats.item_bucket_ok(983040 + 65536)
    assert formats.padme_ok(256) and not formats.padme_ok(255) and formats.padme_ok(1088)
    assert not formats.padme_ok(1033) and not formats.padme_ok(1090)


def test_argon2_strings() -> None:
    from argon2 import PasswordHasher

    good = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(b"k" * 32)
    assert formats.argon2_problem(good) is None
    for bad in ("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",  # argon2i, not argon2id
                good.replace("v=19", "v=16"),
                good.replace("m=8,", "m=1,"),
                "my password is hunter2",
                good[:40]):
        assert formats.argon2_problem(bad) is not None, bad


def test_mlkem_check_refuses_random_and_text() -> None:
    assert formats.mlkem_x25519_public_problem(os.urandom(1216)) is not None
    # 'A' (0x41) packs coefficients below q, but the seed and X25519 key are then not random
    assert formats.mlkem_x25519_public_problem(b"A" * 1216) is not None
    assert "readable" in formats.mlkem_x25519_public_problem(
        bytes(1152) + b"this is not a key, it is a sentence of plain words.." + bytes(12))


def test_random_bytes_never_read_as_text() -> None:
    """8 MB of random bytes: thousands of printable runs, not one scores as text."""
    data = os.urandom(8 * 1024 * 1024)
    runs = text.printable_runs(data)
    assert len(runs) > 1000
    assert not [r for _, r in runs if text.is_text(r)]


@pytest.mark.parametrize("phrase", [
    "the alarm code is 4417", "correct horse battery staple", "PASSPORT NUMBER X1234567",
    "kilowatt-Secret-7781", "пароль от банка 1234", "銀行のパスワード", "Mot de passe: été 2024",
])
def test_text_reads_as_text(phrase: str) -> None:
    assert text.is_text(phrase)
    assert text.readable_text(os.urandom(50) + b"\0" + phrase.encode() + b"\0" + os.urandom(50)) is not None


def test_the_text_models_are_probability_distributions() -> None:
    """Mass at most 1 is what makes the score a likelihood ratio with a known false-alarm bound."""
    assert all(0.9 < m.mass <= 1.0 for m in text.MODELS)


def test_runs_report_byte_offsets_across_non_ascii() -> None:
    data = "é".encode() * 5 + b"\xff\x00" + b"readable text here"
    assert text.printable_runs(data)[-1] == (12, "readable text here")


def test_registry_covers_every_table_and_column_of_the_models() -> None:
    from sqlmodel import SQLModel

    import vault_server.models  # noqa: F401 - registers every table

    schema = {t.name: {c.name for c in t.columns} for t in SQLModel.metadata.tables.values()}
    registry = {t: set(cols) for t, cols in REGISTRY.items() if t != "alembic_version"}
    assert schema == registry

"""Items: round trips, padding buckets and tamper detection (hypothesis and exhaustive)."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vault_client import crypto
from vault_client.crypto import CryptoError
from vault_client.crypto.item import MAX_PADDED, bucket_size, pad, unpad

FAST = settings(max_examples=60, deadline=None)
revisions = st.integers(min_value=1, max_value=2**64 - 1)
VAULT_KEY = crypto.new_symmetric_key()


@FAST
@given(plaintext=st.binary(max_size=5000), vault_id=st.uuids(), item_id=st.uuids(), revision=revisions)
def test_round_trip(plaintext, vault_id, item_id, revision):
    blob = crypto.seal_item(VAULT_KEY, vault_id, item_id, revision, plaintext)
    assert crypto.open_item(VAULT_KEY, vault_id, item_id, revision, blob) == plaintext
    assert len(blob) == bucket_size(len(plaintext)) + 30
    assert crypto.parse_envelope(blob)[:2] == (1, 4)


@FAST
@given(plaintext=st.binary(max_size=600), data=st.data())
def test_any_flipped_bit_is_detected(plaintext, data):
    vid, iid = uuid.uuid4(), uuid.uuid4()
    blob = bytearray(crypto.seal_item(VAULT_KEY, vid, iid, 7, plaintext))
    index = data.draw(st.integers(0, len(blob) - 1))
    blob[index] ^= data.draw(st.integers(1, 255))
    with pytest.raises(CryptoError):
        crypto.open_item(VAULT_KEY, vid, iid, 7, bytes(blob))


@FAST
@given(plaintext=st.binary(max_size=600), cut=st.integers(0, 2000), extra=st.binary(min_size=1, max_size=40))
def test_truncated_or_extended_blobs_fail(plaintext, cut, extra):
    vid, iid = uuid.uuid4(), uuid.uuid4()
    blob = crypto.seal_item(VAULT_KEY, vid, iid, 1, plaintext)
    with pytest.raises(CryptoError):
        crypto.open_item(VAULT_KEY, vid, iid, 1, blob[: min(cut, len(blob) - 1)])
    with pytest.raises(CryptoError):
        crypto.open_item(VAULT_KEY, vid, iid, 1, blob + extra)


@FAST
@given(vault_id=st.uuids(), item_id=st.uuids(), revision=revisions, other=st.uuids(), delta=st.integers(1, 5))
def test_blob_is_bound_to_vault_item_and_revision(vault_id, item_id, revision, other, delta):
    blob = crypto.seal_item(VAULT_KEY, vault_id, item_id, revision, b'{"name": "bank"}')
    moved_revision = revision + delta if revision + delta < 2**64 else revision - delta
    attempts = [(vault_id, item_id, moved_revision)]
    if other != item_id:
        attempts.append((vault_id, other, revision))
    if other != vault_id:
        attempts.append((other, item_id, revision))
    for vid, iid, rev in attempts:
        with pytest.raises(CryptoError):
            crypto.open_item(VAULT_KEY, vid, iid, rev, blob)
    with pytest.raises(CryptoError):
        crypto.open_item(crypto.new_symmetric_key(), vault_id, item_id, revision, blob)


def test_every_single_byte_change_of_one_item_is_detected():
    vid, iid = uuid.uuid4(), uuid.uuid4()
    blob = crypto.seal_item(VAULT_KEY, vid, iid, 3, b"p" * 500)
    for index in range(len(blob)):
        for mask in (0x01, 0x80):
            tampered = blob[:index] + bytes([blob[index] ^ mask]) + blob[index + 1 :]
            with pytest.raises(CryptoError):
                crypto.open_item(VAULT_KEY, vid, iid, 3, tampered)


def test_same_plaintext_seals_differently_each_time():
    vid, iid = uuid.uuid4(), uuid.uuid4()
    assert crypto.seal_item(VAULT_KEY, vid, iid, 1, b"x") != crypto.seal_item(VAULT_KEY, vid, iid, 1, b"x")


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, crypto.MAX_ITEM_PLAINTEXT))
def test_buckets(n):
    size = bucket_size(n)
    assert size >= n + 4 and size <= MAX_PADDED
    assert size == 256 or (size & (size - 1) == 0 and size <= 65536) or size % 65536 == 0
    assert bucket_size(max(n - 1, 0)) <= size  # monotonic


@FAST
@given(plaintext=st.binary(max_size=70000))
def test_pad_unpad(plaintext):
    padded = pad(plaintext)
    assert len(padded) == bucket_size(len(plaintext))
    assert unpad(padded) == plaintext


def test_bucket_sizes_hide_length_within_a_bucket():
    vid = uuid.uuid4()
    sizes = {len(crypto.seal_item(VAULT_KEY, vid, uuid.uuid4(), 1, b"a" * n)) for n in range(253, 509)}
    assert sizes == {512 + 30}


def test_largest_item_fits_and_one_more_byte_does_not():
    vid, iid = uuid.uuid4(), uuid.uuid4()
    blob = crypto.seal_item(VAULT_KEY, vid, iid, 1, bytes(crypto.MAX_ITEM_PLAINTEXT))
    assert len(blob) < 1024 * 1024
    with pytest.raises(ValueError):
        crypto.seal_item(VAULT_KEY, vid, iid, 1, bytes(crypto.MAX_ITEM_PLAINTEXT + 1))


@pytest.mark.parametrize(
    ("revision", "exc"),
    [
        pytest.param(0, ValueError, id="revision 0"),
        pytest.param(2**64, ValueError, id="revision 2**64"),
        pytest.param(-1, ValueError, id="negative revision"),
        pytest.param(True, TypeError, id="bool revision"),
        pytest.param(1.0, TypeError, id="float revision"),
    ],
)
def test_seal_refuses_impossible_revisions(revision, exc):
    with pytest.raises(exc):
        crypto.seal_item(VAULT_KEY, uuid.uuid4(), uuid.uuid4(), revision, b"x")


def test_seal_refuses_non_bytes_and_bad_nonce():
    from vault_client.crypto.item import _seal_item_with_nonce

    with pytest.raises(TypeError):
        crypto.seal_item(VAULT_KEY, uuid.uuid4(), uuid.uuid4(), 1, "text")
    with pytest.raises(ValueError):
        _seal_item_with_nonce(VAULT_KEY, uuid.uuid4(), uuid.uuid4(), 1, b"x", bytes(11))
    vid, iid = uuid.uuid4(), uuid.uuid4()
    blob = bytearray(crypto.seal_item(VAULT_KEY, vid, iid, 1, memoryview(b"mv")))
    assert crypto.open_item(VAULT_KEY, vid, iid, 1, blob) == b"mv"


def test_blob_hash():
    assert crypto.blob_hash(b"") == bytes.fromhex(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    with pytest.raises(TypeError):
        crypto.blob_hash(None)


@pytest.mark.parametrize(
    "padded",
    [
        pytest.param(bytes(100), id="shorter than the smallest bucket"),
        pytest.param(b"\xff\xff\xff\xff" + bytes(252), id="length prefix past the end"),
        pytest.param(b"\x00\x0f\x00\x00" + bytes(252), id="length prefix above the largest item"),
        pytest.param(b"\x00\x00\x00\x01" + b"a" + bytes(250) + b"\x01", id="non-zero last padding byte"),
        pytest.param(b"\x00\x00\x00\x01" + b"a" + bytes(507), id="bucket larger than needed"),
    ],
)
def test_unpad_accepts_only_the_canonical_padding(padded):
    with pytest.raises(CryptoError):
        unpad(padded)

"""Attachments in the crypto core: known-answer vectors (tests/vectors/attachment.json), padding
and the envelope header."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from tests.crypto.vectors import cases, error, key, plaintext, uid
from vault_client import crypto
from vault_client.crypto.attachment import (
    MAX_STEP_BITS,
    _seal_attachment_with_nonce,
    attachment_key,
    padded_size,
)


def _args(case):
    return key(case["file_key"]), uid(case["vault_id"]), uid(case["attachment_id"])


@pytest.mark.parametrize("case", cases("attachment.json", expect="success"))
def test_attachment_vectors_reproduce(case):
    file_key, vault_id, attachment_id = _args(case)
    data = plaintext(case)
    assert attachment_key(file_key, vault_id, attachment_id).hex() == case["attachment_key"]
    assert padded_size(len(data)) == case["padded_length"]
    blob = _seal_attachment_with_nonce(file_key, vault_id, attachment_id, data, bytes.fromhex(case["nonce"]))
    assert hashlib.sha256(blob).hexdigest() == case["blob_sha256"]
    if "blob" in case:
        assert blob.hex() == case["blob"]
    assert crypto.open_attachment(file_key, vault_id, attachment_id, blob) == data
    assert crypto.parse_envelope(blob)[1] == 0x09


@pytest.mark.parametrize("case", cases("attachment.json", expect="failure"))
def test_attachment_vectors_refuse(case):
    file_key, vault_id, attachment_id = _args(case)
    with pytest.raises(error(case)):
        crypto.open_attachment(file_key, vault_id, attachment_id, bytes.fromhex(case["blob"]))


@pytest.mark.parametrize("length", [0, 1, 247, 248, 249, 1000, 4096, 65_536, 999_999, 10 * 2**20, 10 * 2**20 + 1])
def test_padding_is_bounded_and_monotonic(length):
    size = padded_size(length)
    assert size >= max(256, length + 8)
    assert size - (length + 8) < 2**MAX_STEP_BITS  # never more than 32 KiB of padding
    if length + 8 > 256:
        assert size <= (length + 8) * 1.125 + 1  # at most 12.5 % more
    assert padded_size(length + 1) >= size


def test_seal_is_randomised_and_binds_ids():
    file_key = crypto.new_symmetric_key()
    vid, aid = uuid.uuid4(), uuid.uuid4()
    a = crypto.seal_attachment(file_key, vid, aid, b"same")
    b = crypto.seal_attachment(file_key, vid, aid, b"same")
    assert a != b
    assert crypto.open_attachment(file_key, vid, aid, a) == b"same"
    with pytest.raises(crypto.CryptoError):
        crypto.open_attachment(file_key, aid, vid, a)


def test_bad_arguments_are_programming_errors():
    file_key = crypto.new_symmetric_key()
    with pytest.raises(TypeError):
        crypto.seal_attachment(file_key, "not-a-uuid", uuid.uuid4(), b"x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        crypto.seal_attachment(file_key, uuid.uuid4(), uuid.uuid4(), "text")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        crypto.seal_attachment(crypto.SecretBytes(b"short"), uuid.uuid4(), uuid.uuid4(), b"x")

"""Manifest MAC: order-free over the entries, sensitive to every change that matters."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vault_client import crypto
from vault_client.crypto import CryptoError

KEY = crypto.new_symmetric_key()
VAULT = uuid.uuid4()

entry_lists = st.lists(
    st.tuples(
        st.uuids(),
        st.integers(1, 2**64 - 1),
        st.one_of(st.none(), st.binary(min_size=32, max_size=32)),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda e: e[0],
)
FAST = settings(max_examples=60, deadline=None)


@FAST
@given(entries=entry_lists, version=st.integers(0, 2**64 - 1), generation=st.integers(1, 2**32 - 1),
       data=st.data())
def test_mac_verifies_in_any_order(entries, version, generation, data):
    mac = crypto.manifest_mac(KEY, VAULT, version, generation, entries)
    assert len(mac) == 32
    crypto.verify_manifest(KEY, VAULT, version, generation, data.draw(st.permutations(entries)), mac)


@FAST
@given(entries=entry_lists, data=st.data())
def test_dropping_duplicating_or_changing_any_entry_fails(entries, data):
    mac = crypto.manifest_mac(KEY, VAULT, 9, 1, entries)
    index = data.draw(st.integers(0, len(entries) - 1))
    item_id, revision, digest = entries[index]
    variants = [
        entries[:index] + entries[index + 1 :],  # dropped
        entries + [entries[index]],  # duplicated
        entries + [(item_id, revision + 1 if revision < 2**64 - 1 else 1, digest)],  # same id twice
        entries[:index] + [(item_id, revision - 1 or 2, digest)] + entries[index + 1 :],  # other revision
        entries[:index] + [(item_id, revision, None if digest else b"\x01" * 32)] + entries[index + 1 :],
        entries + [(uuid.uuid4(), 1, None)],  # injected
    ]
    for variant in variants:
        if sorted(variant, key=lambda e: e[0].bytes) == sorted(entries, key=lambda e: e[0].bytes):
            continue
        with pytest.raises(CryptoError):
            crypto.verify_manifest(KEY, VAULT, 9, 1, variant, mac)


def test_swapping_revisions_and_hashes_between_items_fails():
    a, b = (uuid.uuid4(), 3, b"a" * 32), (uuid.uuid4(), 5, b"b" * 32)
    mac = crypto.manifest_mac(KEY, VAULT, 2, 1, [a, b])
    with pytest.raises(CryptoError):
        crypto.verify_manifest(KEY, VAULT, 2, 1, [(a[0], b[1], b[2]), (b[0], a[1], a[2])], mac)
    with pytest.raises(CryptoError):
        crypto.verify_manifest(KEY, VAULT, 2, 1, [(a[0], a[1], b[2]), (b[0], b[1], a[2])], mac)


def test_version_generation_vault_and_key_are_bound():
    entries = [(uuid.uuid4(), 1, b"h" * 32)]
    mac = crypto.manifest_mac(KEY, VAULT, 5, 2, entries)
    for args in ((KEY, VAULT, 4, 2), (KEY, VAULT, 5, 3), (KEY, uuid.uuid4(), 5, 2),
                 (crypto.new_symmetric_key(), VAULT, 5, 2), (KEY, VAULT, -1, 2), (KEY, VAULT, 5, 0)):
        with pytest.raises(CryptoError):
            crypto.verify_manifest(*args, entries, mac)
    for bad_mac in (mac[:-1], mac + b"\x00", b"", None, bytes(32)):
        with pytest.raises(CryptoError):
            crypto.verify_manifest(KEY, VAULT, 5, 2, entries, bad_mac)


def test_manifest_mac_refuses_malformed_entries():
    item = uuid.uuid4()
    with pytest.raises(ValueError):
        crypto.manifest_mac(KEY, VAULT, 1, 1, [(item, 1, None), (item, 2, None)])
    with pytest.raises(ValueError):
        crypto.manifest_mac(KEY, VAULT, 1, 1, [(item, 1, b"short")])
    with pytest.raises(ValueError):
        crypto.manifest_mac(KEY, VAULT, 1, 1, [(item, 0, None)])
    with pytest.raises(TypeError):
        crypto.manifest_mac(KEY, VAULT, 1, 1, [(item, 1)])
    with pytest.raises(TypeError):
        crypto.manifest_mac(KEY, VAULT, 1, 1, [(str(item), 1, None)])
    with pytest.raises(CryptoError):
        crypto.verify_manifest(KEY, VAULT, 1, 1, [(item, 1, b"short")], bytes(32))


def test_manifest_accepts_any_iterable():
    entries = [(uuid.uuid4(), 1, None), (uuid.uuid4(), 2, b"x" * 32)]
    mac = crypto.manifest_mac(KEY, VAULT, 1, 1, iter(entries))
    crypto.verify_manifest(KEY, VAULT, 1, 1, (e for e in reversed(entries)), mac)


# -- the two-level hash: bucket digests ----------------------------------------------------------

# Ids crowded into a few buckets (first bytes 0x00, 0x01, 0x7f, 0xff), so buckets hold several
# entries and the first and last buckets are exercised.
crowded_ids = st.builds(lambda first, rest: uuid.UUID(bytes=bytes([first]) + rest),
                        st.sampled_from([0x00, 0x01, 0x7F, 0xFF]), st.binary(min_size=15, max_size=15))
crowded_lists = st.lists(
    st.tuples(crowded_ids, st.integers(1, 2**64 - 1), st.one_of(st.none(), st.binary(min_size=32, max_size=32))),
    max_size=16,
    unique_by=lambda e: e[0],
)


def _by_bucket(entries):
    buckets: dict[int, list] = {}
    for entry in entries:
        buckets.setdefault(crypto.bucket_of(entry[0]), []).append(entry)
    return buckets


def _digests(entries) -> list[bytes]:
    buckets = _by_bucket(entries)
    return [crypto.bucket_digest(buckets.get(b, [])) for b in range(256)]


def test_bucket_is_the_first_byte_of_the_item_id():
    assert crypto.bucket_of(uuid.UUID("00000000-0000-4000-8000-000000000000")) == 0
    assert crypto.bucket_of(uuid.UUID("a7ffffff-ffff-4fff-bfff-ffffffffffff")) == 0xA7
    assert crypto.bucket_of(uuid.UUID("ff000000-0000-4000-8000-000000000000")) == 0xFF
    with pytest.raises(TypeError):
        crypto.bucket_of("ff000000-0000-4000-8000-000000000000")


def test_an_empty_bucket_digest_is_sha256_of_nothing():
    assert crypto.bucket_digest([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@FAST
@given(entries=st.one_of(crowded_lists, entry_lists), version=st.integers(0, 2**64 - 1),
       generation=st.integers(1, 2**32 - 1))
def test_bucket_path_equals_full_path(entries, version, generation):
    mac = crypto.manifest_mac(KEY, VAULT, version, generation, entries)
    digests = _digests(entries)
    assert crypto.manifest_mac_from_buckets(KEY, VAULT, version, generation, len(entries), digests) == mac
    crypto.verify_manifest_from_buckets(KEY, VAULT, version, generation, len(entries), digests, mac)


@FAST
@given(entries=crowded_lists, change=st.tuples(crowded_ids, st.integers(1, 2**64 - 1),
                                                st.one_of(st.none(), st.binary(min_size=32, max_size=32))))
def test_updating_one_bucket_equals_recomputing_everything(entries, change):
    """What a device does: keep the digests, apply a change, recompute only its bucket."""
    digests = _digests(entries)
    after = {e[0]: e for e in entries}
    after[change[0]] = change
    bucket = crypto.bucket_of(change[0])
    digests[bucket] = crypto.bucket_digest([e for e in after.values() if crypto.bucket_of(e[0]) == bucket])
    expected = crypto.manifest_mac(KEY, VAULT, 3, 1, list(after.values()))
    assert crypto.manifest_mac_from_buckets(KEY, VAULT, 3, 1, len(after), digests) == expected


@FAST
@given(entries=crowded_lists.filter(bool), data=st.data())
def test_bucket_path_refuses_dropped_duplicated_rolled_back_or_moved_entries(entries, data):
    mac = crypto.manifest_mac(KEY, VAULT, 9, 1, entries)
    index = data.draw(st.integers(0, len(entries) - 1))
    item_id, revision, digest = entries[index]
    others = entries[:index] + entries[index + 1:]
    moved_to = data.draw(st.integers(0, 255).filter(lambda b: b != item_id.bytes[0]))
    variants = [
        (len(others), _digests(others)),  # dropped
        (len(entries) - 1, _digests(entries)),  # dropped from the count only
        (len(entries) + 1, _digests(entries)),  # counted twice
        (len(entries), _digests(others + [(item_id, revision - 1 or 2, digest)])),  # other revision
        (len(entries), _digests(others + [(uuid.UUID(bytes=bytes([moved_to]) + item_id.bytes[1:]), revision,
                                           digest)])),  # moved to another bucket by its id
    ]
    # The right bucket digest presented in another bucket's place.
    shifted = _digests(entries)
    home = item_id.bytes[0]
    shifted[home], shifted[moved_to] = shifted[moved_to], shifted[home]
    variants.append((len(entries), shifted))
    # An entry given twice within its bucket.
    with pytest.raises(ValueError):
        crypto.bucket_digest([entries[index], entries[index]])
    for count, digests in variants:
        with pytest.raises(CryptoError):
            crypto.verify_manifest_from_buckets(KEY, VAULT, 9, 1, count, digests, mac)


def test_bucket_digest_refuses_entries_of_two_buckets():
    a = (uuid.UUID(bytes=b"\x10" + bytes(15)), 1, None)
    b = (uuid.UUID(bytes=b"\x11" + bytes(15)), 1, None)
    crypto.bucket_digest([a, (uuid.UUID(bytes=b"\x10" + b"\x01" * 15), 1, None)])
    with pytest.raises(ValueError):
        crypto.bucket_digest([a, b])
    with pytest.raises(ValueError):
        crypto.bucket_digest([(a[0], 0, None)])


EMPTY = [crypto.bucket_digest([])] * 256


@pytest.mark.parametrize("count,digests,error", [
    (0, EMPTY[:255], ValueError),  # one digest short
    (0, EMPTY + EMPTY[:1], ValueError),  # one digest too many
    (0, EMPTY[:255] + [bytes(31)], ValueError),  # a digest one byte short
    (0, EMPTY[:255] + [bytes(33)], ValueError),  # a digest one byte long
    (-1, EMPTY, ValueError),  # a negative count
    (2**64, EMPTY, ValueError),  # a count past u64
    (0, EMPTY[:255] + ["00" * 32], TypeError),  # a digest as text
    (0, b"".join(EMPTY), TypeError),  # the digests joined into one bytes value
    (0, iter(EMPTY), TypeError),  # an iterator, not a sequence of 256
])
def test_bucket_path_refuses_malformed_digests(count, digests, error):
    with pytest.raises(error):
        crypto.manifest_mac_from_buckets(KEY, VAULT, 1, 1, count, digests)
    if error is ValueError:  # on the verify side, a value out of range is the one CryptoError
        with pytest.raises(CryptoError):
            crypto.verify_manifest_from_buckets(KEY, VAULT, 1, 1, count, digests, bytes(32))


def test_empty_vault_from_buckets():
    mac = crypto.manifest_mac(KEY, VAULT, 0, 1, [])
    assert crypto.manifest_mac_from_buckets(KEY, VAULT, 0, 1, 0, EMPTY) == mac
    crypto.verify_manifest_from_buckets(KEY, VAULT, 0, 1, 0, tuple(EMPTY), mac)

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

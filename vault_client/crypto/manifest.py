"""The vault manifest MAC: one tag over the whole state of a vault, hashed as a two-level list.

    manifest key  = HKDF-Expand(vault key, "blindvault/v1/manifest-key" || vault id || generation (u32))
    entry         = item id (16) || revision (u64) || blob hash (32; 32 zero bytes for a tombstone)
    bucket        = first byte of the item id (0..255)
    bucket digest = SHA-256(entry || entry || ...) over the bucket's entries sorted by item id bytes
                    (an empty bucket: SHA-256 of the empty string)
    entries hash  = SHA-256(bucket digest 0 || bucket digest 1 || ... || bucket digest 255)
    MAC input     = "blindvault/v1/manifest-mac" || vault id || version (u64) || generation (u32)
                    || entry count (u64) || entries hash
    MAC           = HMAC-SHA256(manifest key, MAC input)                     32 bytes

The wire carries only (version, generation, MAC); each side recomputes the entry list from its own
state. Two entries for one item id never form a valid manifest. The bucket level lets a device that
keeps the digests of its verified state recompute only the buckets a change falls in:
:func:`manifest_mac` and :func:`verify_manifest` take a full entry list, the ``*_from_buckets``
twins take the 256 digests (each made by :func:`bucket_digest`) and the total entry count.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac

from . import labels
from .derive import subkey
from .errors import CryptoError
from .layout import u32, u64, uuid_bytes
from .secret import SecretBytes, key_bytes

MAC_LEN = 32
BUCKETS = 256
DIGEST_LEN = 32
EMPTY_BUCKET = hashlib.sha256(b"").digest()
_NO_BLOB = bytes(32)

Entry = tuple[UUID, int, "bytes | None"]


def _encode_all(entries: Iterable[Entry]) -> dict[bytes, bytes]:
    """Item id bytes -> entry encoding; ``ValueError`` on a duplicate id or a value out of range."""
    encoded: dict[bytes, bytes] = {}
    for entry in entries:
        if not isinstance(entry, tuple) or len(entry) != 3:
            raise TypeError("a manifest entry is (item_id, revision, blob_hash or None)")
        item_id, revision, digest = entry
        key = uuid_bytes(item_id, "item_id")
        if digest is None:
            digest = _NO_BLOB
        elif not isinstance(digest, bytes) or len(digest) != 32:
            raise ValueError("a blob hash is 32 bytes (or None for a tombstone)")
        if key in encoded:
            raise ValueError("duplicate item id in manifest entries")
        encoded[key] = key + u64(revision, "revision", low=1) + digest
    return encoded


def _sorted_digest(encoded: dict[bytes, bytes]) -> bytes:
    sha = hashlib.sha256()
    for key in sorted(encoded):
        sha.update(encoded[key])
    return sha.digest()


def bucket_of(item_id: UUID) -> int:
    """The bucket (0..255) of an item: the first byte of its 16-byte id."""
    return uuid_bytes(item_id, "item_id")[0]


def bucket_digest(entries: Iterable[Entry]) -> bytes:
    """The 32-byte digest of one bucket's entries, in any order. ``ValueError`` if two entries
    fall in different buckets, share an item id, or carry a value out of range."""
    encoded = _encode_all(entries)
    if len({key[0] for key in encoded}) > 1:
        raise ValueError("manifest entries of more than one bucket")
    return _sorted_digest(encoded)


def _bucket_digests(entries: Iterable[Entry]) -> tuple[int, list[bytes]]:
    """Entry count and the 256 bucket digests of a full entry list."""
    encoded = _encode_all(entries)
    buckets: list[dict[bytes, bytes]] = [{} for _ in range(BUCKETS)]
    for key, value in encoded.items():
        buckets[key[0]][key] = value
    return len(encoded), [_sorted_digest(b) if b else EMPTY_BUCKET for b in buckets]


def _entries_hash(digests: Sequence[bytes]) -> bytes:
    if isinstance(digests, (bytes, str)) or not isinstance(digests, Sequence):
        raise TypeError("bucket digests are a sequence of 256 bytes values")
    if len(digests) != BUCKETS:
        raise ValueError(f"a manifest has exactly {BUCKETS} bucket digests")
    for digest in digests:
        if not isinstance(digest, bytes):
            raise TypeError("a bucket digest is bytes")
        if len(digest) != DIGEST_LEN:
            raise ValueError(f"a bucket digest is {DIGEST_LEN} bytes")
    return hashlib.sha256(b"".join(digests)).digest()


def _mac_input(vault_id: UUID, version: int, generation: int, count: int, digests: Sequence[bytes]) -> bytes:
    return b"".join(
        (
            labels.MANIFEST_MAC,
            uuid_bytes(vault_id, "vault_id"),
            u64(version, "version"),
            u32(generation, "generation", low=1),
            u64(count, "count"),
            _entries_hash(digests),
        )
    )


def _hmac(raw_key: bytes, vault_id: UUID, generation: int) -> hmac.HMAC:
    info = labels.MANIFEST_KEY + uuid_bytes(vault_id, "vault_id") + u32(generation, "generation", low=1)
    return hmac.HMAC(subkey(raw_key, info), hashes.SHA256())


def manifest_mac_from_buckets(
    vault_key: SecretBytes,
    vault_id: UUID,
    version: int,
    generation: int,
    count: int,
    digests: Sequence[bytes],
) -> bytes:
    """The 32-byte manifest MAC from the total entry count and the 256 bucket digests (bucket 0
    first). A wrong number or length of digests is a ``ValueError``."""
    mac = _hmac(key_bytes(vault_key, "vault_key"), vault_id, generation)
    mac.update(_mac_input(vault_id, version, generation, count, digests))
    return mac.finalize()


def manifest_mac(
    vault_key: SecretBytes,
    vault_id: UUID,
    version: int,
    generation: int,
    entries: Iterable[Entry],
) -> bytes:
    """The 32-byte manifest MAC. ``entries`` are (item id, revision, blob hash or None for a
    tombstone) in any order; a repeated item id is a ``ValueError``."""
    count, digests = _bucket_digests(entries)
    return manifest_mac_from_buckets(vault_key, vault_id, version, generation, count, digests)


def verify_manifest_from_buckets(
    vault_key: SecretBytes,
    vault_id: UUID,
    version: int,
    generation: int,
    count: int,
    digests: Sequence[bytes],
    mac: bytes,
) -> None:
    """Check a manifest MAC against the caller's own entry count and 256 bucket digests;
    ``CryptoError`` if it does not match or if any value is out of range."""
    raw_key = key_bytes(vault_key, "vault_key")
    try:
        message = _mac_input(vault_id, version, generation, count, digests)
        check = _hmac(raw_key, vault_id, generation)
    except ValueError:
        raise CryptoError() from None
    if not isinstance(mac, bytes) or len(mac) != MAC_LEN:
        raise CryptoError()
    check.update(message)
    try:
        check.verify(mac)
    except InvalidSignature:
        raise CryptoError() from None


def verify_manifest(
    vault_key: SecretBytes,
    vault_id: UUID,
    version: int,
    generation: int,
    entries: Iterable[Entry],
    mac: bytes,
) -> None:
    """Check a manifest MAC against the caller's own entry list; ``CryptoError`` if it does not
    match, if an entry is duplicated, or if any value is out of range."""
    try:
        count, digests = _bucket_digests(entries)
    except ValueError:
        raise CryptoError() from None
    verify_manifest_from_buckets(vault_key, vault_id, version, generation, count, digests, mac)

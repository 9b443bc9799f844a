"""The vault manifest MAC: one tag over the whole state of a vault.

    manifest key = HKDF-Expand(vault key, "blindvault/v1/manifest-key" || vault id || generation (u32))
    entry        = item id (16) || revision (u64) || blob hash (32; 32 zero bytes for a tombstone)
    entries hash = SHA-256(entry || entry || ...), entries sorted by item id bytes
    MAC input    = "blindvault/v1/manifest-mac" || vault id || version (u64) || generation (u32)
                   || entry count (u64) || entries hash
    MAC          = HMAC-SHA256(manifest key, MAC input)                      32 bytes

The wire carries only (version, generation, MAC); each side recomputes the entry list from its own
state. Two entries for one item id never form a valid manifest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac

from . import labels
from .derive import subkey
from .errors import CryptoError
from .layout import u32, u64, uuid_bytes
from .secret import SecretBytes, key_bytes

MAC_LEN = 32
_NO_BLOB = bytes(32)

Entry = tuple[UUID, int, "bytes | None"]


def _entries_digest(entries: Iterable[Entry]) -> tuple[int, bytes]:
    """Count and SHA-256 of the sorted entry encodings; ``ValueError`` on a duplicate id."""
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
    sha = hashlib.sha256()
    for key in sorted(encoded):
        sha.update(encoded[key])
    return len(encoded), sha.digest()


def _mac_input(vault_id: UUID, version: int, generation: int, entries: Iterable[Entry]) -> bytes:
    count, digest = _entries_digest(entries)
    return b"".join(
        (
            labels.MANIFEST_MAC,
            uuid_bytes(vault_id, "vault_id"),
            u64(version, "version"),
            u32(generation, "generation", low=1),
            u64(count, "count"),
            digest,
        )
    )


def _hmac(raw_key: bytes, vault_id: UUID, generation: int) -> hmac.HMAC:
    info = labels.MANIFEST_KEY + uuid_bytes(vault_id, "vault_id") + u32(generation, "generation", low=1)
    return hmac.HMAC(subkey(raw_key, info), hashes.SHA256())


def manifest_mac(
    vault_key: SecretBytes,
    vault_id: UUID,
    version: int,
    generation: int,
    entries: Iterable[Entry],
) -> bytes:
    """The 32-byte manifest MAC. ``entries`` are (item id, revision, blob hash or None for a
    tombstone) in any order; a repeated item id is a ``ValueError``."""
    mac = _hmac(key_bytes(vault_key, "vault_key"), vault_id, generation)
    mac.update(_mac_input(vault_id, version, generation, entries))
    return mac.finalize()


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
    raw_key = key_bytes(vault_key, "vault_key")
    try:
        message = _mac_input(vault_id, version, generation, entries)
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

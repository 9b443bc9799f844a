"""Identity (Ed25519) and sharing (HPKE, ML-KEM-768+X25519) key pairs and the public bundle.

    sharing public   = ML-KEM-768 public key (1184) || X25519 public key (32)     1216 bytes
    private keys     = Ed25519 seed (32) || ML-KEM-768 seed (64) || X25519 private (32)
    bundle signature = Ed25519(identity, "blindvault/v1/public-bundle" || account id (16)
                               || u16 email length || email || identity public || sharing public)
    fingerprint      = SHA-256("blindvault/v1/fingerprint" || account id || identity public
                               || sharing public)
"""

from __future__ import annotations

import hashlib
import struct
import unicodedata
from dataclasses import dataclass
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519

from . import envelope, labels
from .derive import subkey
from .errors import CryptoError
from .layout import uuid_bytes
from .secret import REDACTED, SecretBytes, key_bytes, random_bytes

IDENTITY_SEED_LEN = 32
MLKEM_SEED_LEN = 64
X25519_PRIVATE_LEN = 32
PRIVATE_KEYS_LEN = IDENTITY_SEED_LEN + MLKEM_SEED_LEN + X25519_PRIVATE_LEN
IDENTITY_PUBLIC_LEN = 32
MLKEM_PUBLIC_LEN = 1184
SHARING_PUBLIC_LEN = MLKEM_PUBLIC_LEN + 32
SIGNATURE_LEN = 64
SAFETY_NUMBER_DIGITS = 60


class KeyPairs:
    """An account's private keys: Ed25519 identity and HPKE sharing (ML-KEM-768 + X25519)."""

    __slots__ = ("_identity", "_mlkem", "_x25519", "_hpke")

    def __init__(
        self,
        identity: ed25519.Ed25519PrivateKey,
        mlkem_key: mlkem.MLKEM768PrivateKey,
        x25519_key: x25519.X25519PrivateKey,
    ) -> None:
        self._identity = identity
        self._mlkem = mlkem_key
        self._x25519 = x25519_key
        self._hpke = hpke.MLKEM768X25519PrivateKey(mlkem_key, x25519_key)

    @classmethod
    def generate(cls) -> KeyPairs:
        """Fresh random key pairs."""
        return cls._from_private_bytes(random_bytes(PRIVATE_KEYS_LEN))

    @classmethod
    def _from_private_bytes(cls, raw: bytes) -> KeyPairs:
        """Rebuild from the 128-byte private layout (deterministic seam; also used to unwrap)."""
        if len(raw) != PRIVATE_KEYS_LEN:
            raise ValueError(f"private keys are {PRIVATE_KEYS_LEN} bytes")
        a, b = IDENTITY_SEED_LEN, IDENTITY_SEED_LEN + MLKEM_SEED_LEN
        return cls(
            ed25519.Ed25519PrivateKey.from_private_bytes(raw[:a]),
            mlkem.MLKEM768PrivateKey.from_seed_bytes(raw[a:b]),
            x25519.X25519PrivateKey.from_private_bytes(raw[b:]),
        )

    def _private_bytes(self) -> bytes:
        return (
            self._identity.private_bytes_raw()
            + self._mlkem.private_bytes_raw()
            + self._x25519.private_bytes_raw()
        )

    @property
    def identity_public(self) -> bytes:
        """The 32-byte Ed25519 public key."""
        return self._identity.public_key().public_bytes_raw()

    @property
    def sharing_public(self) -> bytes:
        """The 1216-byte HPKE public key: ML-KEM-768 public key || X25519 public key."""
        return self._mlkem.public_key().public_bytes_raw() + self._x25519.public_key().public_bytes_raw()

    def _sign(self, message: bytes) -> bytes:
        return self._identity.sign(message)

    def _hpke_private(self) -> hpke.MLKEM768X25519PrivateKey:
        return self._hpke

    def __repr__(self) -> str:
        return f"KeyPairs({REDACTED})"

    __str__ = __repr__


@dataclass(frozen=True)
class PublicBundle:
    """What the server publishes about an account: public keys and the self-signature."""

    account_id: UUID
    identity_public: bytes  # 32 bytes, Ed25519
    sharing_public: bytes  # 1216 bytes, ML-KEM-768 || X25519
    signature: bytes  # 64 bytes, Ed25519 over the bundle message


def normalize_email(email: str) -> bytes:
    """The email as signed: NFKC, surrounding whitespace removed, case-folded, UTF-8."""
    if not isinstance(email, str):
        raise TypeError("email must be str")
    return unicodedata.normalize("NFKC", email).strip().casefold().encode("utf-8")


def _bundle_message(account_id: UUID, email: str, identity_public: bytes, sharing_public: bytes) -> bytes:
    mail = normalize_email(email)
    if len(mail) > 0xFFFF:
        raise ValueError("email is too long")
    return b"".join(
        (
            labels.PUBLIC_BUNDLE,
            uuid_bytes(account_id, "account_id"),
            struct.pack(">H", len(mail)),
            mail,
            identity_public,
            sharing_public,
        )
    )


def _check_shape(bundle: PublicBundle) -> None:
    if not isinstance(bundle, PublicBundle):
        raise TypeError("bundle must be a PublicBundle")
    uuid_bytes(bundle.account_id, "account_id")
    for value, size in (
        (bundle.identity_public, IDENTITY_PUBLIC_LEN),
        (bundle.sharing_public, SHARING_PUBLIC_LEN),
        (bundle.signature, SIGNATURE_LEN),
    ):
        if not isinstance(value, bytes) or len(value) != size:
            raise CryptoError()


def make_public_bundle(keys: KeyPairs, account_id: UUID, email: str) -> PublicBundle:
    """The signed public bundle of ``keys`` for ``account_id`` and ``email``."""
    if not isinstance(keys, KeyPairs):
        raise TypeError("keys must be KeyPairs")
    identity_public, sharing_public = keys.identity_public, keys.sharing_public
    message = _bundle_message(account_id, email, identity_public, sharing_public)
    return PublicBundle(account_id, identity_public, sharing_public, keys._sign(message))


def identity_key(bundle: PublicBundle) -> ed25519.Ed25519PublicKey:
    """The bundle's Ed25519 public key, after a shape check (``CryptoError`` if malformed)."""
    _check_shape(bundle)
    return ed25519.Ed25519PublicKey.from_public_bytes(bundle.identity_public)


def sharing_key(bundle: PublicBundle) -> hpke.MLKEM768X25519PublicKey:
    """The bundle's HPKE public key (``CryptoError`` if malformed)."""
    _check_shape(bundle)
    raw = bundle.sharing_public
    try:
        mlkem_public = mlkem.MLKEM768PublicKey.from_public_bytes(raw[:MLKEM_PUBLIC_LEN])
    except ValueError:
        raise CryptoError() from None
    x25519_public = x25519.X25519PublicKey.from_public_bytes(raw[MLKEM_PUBLIC_LEN:])
    return hpke.MLKEM768X25519PublicKey(mlkem_public, x25519_public)


def verify_public_bundle(bundle: PublicBundle, email: str) -> None:
    """Check the bundle's self-signature for ``email``; ``CryptoError`` if it does not verify."""
    public = identity_key(bundle)
    sharing_key(bundle)
    try:
        message = _bundle_message(bundle.account_id, email, bundle.identity_public, bundle.sharing_public)
        public.verify(bundle.signature, message)
    except (InvalidSignature, ValueError):
        raise CryptoError() from None


def fingerprint(bundle: PublicBundle) -> bytes:
    """SHA-256 over label, account id and both public keys: what people compare (32 bytes)."""
    _check_shape(bundle)
    return hashlib.sha256(
        labels.FINGERPRINT
        + bundle.account_id.bytes
        + bundle.identity_public
        + bundle.sharing_public
    ).digest()


def safety_number(bundle: PublicBundle) -> str:
    """60 decimal digits in 12 groups of 5, to read aloud: the first 30 bytes of the fingerprint
    as a big-endian integer, modulo 10**60, zero-padded."""
    number = int.from_bytes(fingerprint(bundle)[:30], "big") % 10**SAFETY_NUMBER_DIGITS
    digits = f"{number:0{SAFETY_NUMBER_DIGITS}d}"
    return " ".join(digits[i : i + 5] for i in range(0, SAFETY_NUMBER_DIGITS, 5))


def _private_keys_wrap_key(account_key: SecretBytes) -> bytes:
    return subkey(key_bytes(account_key, "account_key"), labels.PRIVATE_KEYS_WRAP)


def _wrap_private_keys_with_nonce(
    account_key: SecretBytes, keys: KeyPairs, account_id: UUID, nonce: bytes
) -> bytes:
    """Deterministic seam of :func:`wrap_private_keys` (tests and vectors only)."""
    if not isinstance(keys, KeyPairs):
        raise TypeError("keys must be KeyPairs")
    return envelope.seal(
        _private_keys_wrap_key(account_key),
        envelope.KIND_PRIVATE_KEYS,
        uuid_bytes(account_id, "account_id"),
        keys._private_bytes(),
        nonce,
    )


def wrap_private_keys(account_key: SecretBytes, keys: KeyPairs, account_id: UUID) -> bytes:
    """Wrap both private keys under a sub-key of the account key (envelope kind 0x02)."""
    return _wrap_private_keys_with_nonce(account_key, keys, account_id, envelope.new_nonce())


def unwrap_private_keys(account_key: SecretBytes, blob: bytes, account_id: UUID) -> KeyPairs:
    """Unwrap the private keys; ``CryptoError`` if anything is wrong."""
    raw = envelope.open_(
        _private_keys_wrap_key(account_key),
        envelope.KIND_PRIVATE_KEYS,
        uuid_bytes(account_id, "account_id"),
        blob,
    )
    if len(raw) != PRIVATE_KEYS_LEN:
        raise CryptoError()
    return KeyPairs._from_private_bytes(raw)

"""The server's few cryptographic chores: hashing auth keys, session tokens, keyed HMACs.

None of this touches vault data: the server holds no key that opens a ciphertext.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from vault_server.models.wire import b64decode, b64encode
from vault_server.settings import Settings

TOKEN_BYTES = 32
# How much lower than request handling the Argon2 threads run (Linux nice steps; 19 is the lowest).
HASH_THREAD_NICE = 19

# Labels for the server's keyed hashes; each names one purpose.
LABEL_DECOY_SALT = b"blindvault server v1 prelogin decoy salt"
LABEL_DECOY_ACCOUNT_ID = b"blindvault server v1 recovery decoy account id"
LABEL_THROTTLE_ACCOUNT = b"blindvault server v1 throttle account"
LABEL_THROTTLE_ADDRESS = b"blindvault server v1 throttle address"


def _lower_thread_priority() -> None:
    """Run the calling thread (and the threads it starts: Argon2's lanes) at a lower CPU priority.

    Linux keeps a nice value per thread; on other systems ``setpriority`` would renice the whole
    process, so there it does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + HASH_THREAD_NICE))
    except OSError:  # pragma: no cover - not permitted: run at the caller's priority
        pass


class AuthKeyHasher:
    """Argon2id hashing of auth keys on its own few threads (``argon2_concurrency``), which run at
    a lower CPU priority than the threads serving requests: a burst of logins takes the CPU time
    that syncs and writes leave over, instead of stalling them (memory-hard work is deliberately
    slow; bench/login_storm.py measures the effect)."""

    def __init__(self, settings: Settings):
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        self._pool = ThreadPoolExecutor(max_workers=settings.argon2_concurrency, thread_name_prefix="argon2",
                                        initializer=_lower_thread_priority)
        # Verified when the account does not exist, so both paths cost the same.
        self._dummy_hash = self._hasher.hash(secrets.token_bytes(32))

    def __repr__(self) -> str:
        return "AuthKeyHasher()"

    def hash(self, auth_key: bytes) -> str:
        return self._pool.submit(self._hasher.hash, auth_key).result()

    def verify(self, encoded_hash: str | None, auth_key: bytes) -> bool:
        """True when ``auth_key`` matches; with ``encoded_hash`` None, burns the same time, False."""
        ok = self._pool.submit(self._verify, encoded_hash or self._dummy_hash, auth_key).result()
        return ok and encoded_hash is not None

    def _verify(self, encoded_hash: str, auth_key: bytes) -> bool:
        try:
            return self._hasher.verify(encoded_hash, auth_key)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def close(self) -> None:
        """Stop the hashing threads (after the ones queued have run)."""
        self._pool.shutdown(wait=True)


def new_session_token() -> tuple[str, bytes]:
    """A fresh bearer token (base64url of 32 random bytes) and the SHA-256 the server stores."""
    raw = secrets.token_bytes(TOKEN_BYTES)
    return b64encode(raw), hashlib.sha256(raw).digest()


def token_hash(token: str) -> bytes | None:
    """SHA-256 of a presented bearer token, or None when it is not a well-formed token."""
    try:
        raw = b64decode(token)
    except ValueError:
        return None
    if len(raw) != TOKEN_BYTES:
        return None
    return hashlib.sha256(raw).digest()


def keyed_hash(secret: bytes, label: bytes, value: str) -> bytes:
    """HMAC-SHA256 of ``value`` under ``secret``, separated by purpose ``label``."""
    return hmac.new(secret, label + b"\x00" + value.encode("utf-8"), hashlib.sha256).digest()


def decoy_salt(secret: bytes, email: str) -> bytes:
    """The stable fake salt an unknown email gets at prelogin (16 bytes, like a real one)."""
    return keyed_hash(secret, LABEL_DECOY_SALT, email)[:16]


def decoy_account_id(secret: bytes, email: str) -> uuid.UUID:
    """The stable fake account id an unknown email gets from ``/recovery/account-id``: 128 bits
    of an HMAC with the version and variant bits set, so it is shaped like any UUIDv4."""
    return uuid.UUID(bytes=keyed_hash(secret, LABEL_DECOY_ACCOUNT_ID, email)[:16], version=4)


def reset_token_hash(token: str) -> bytes | None:
    """SHA-256 of a presented reset token, or None when it is not a well-formed token."""
    return token_hash(token)

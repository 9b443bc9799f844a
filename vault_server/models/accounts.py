"""Accounts, device sessions, login throttles and server secrets: tables and wire schemas.

Schema families follow ``XBase`` (fields shared by storage and wire), ``X`` (the table, never
returned directly), ``XCreate`` / ``X...Request`` (request bodies) and ``XPublic`` (responses).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field as PydanticField
from sqlalchemy import BigInteger, Column, ForeignKey, LargeBinary
from sqlmodel import Field, SQLModel

from vault_server.models.base import Request, Response, Timestamp, utcnow
from vault_server.models.wire import (
    MAX_PRIVATE_KEYS_WRAP,
    MAX_SHARING_PUBLIC,
    MAX_WRAP,
    B64,
    DeviceName,
    Email,
    Envelope,
    EnvelopeKind,
    Id,
)
from vault_server.models.vaults import VaultCreate

# Bounds the server accepts for the client's password KDF (Argon2id); the client enforces its own
# floor and pin too. These match the protocol's KDF_FLOOR and KDF_CEILING.
KDF_MEMORY_KIB = (19456, 1048576)
KDF_ITERATIONS = (2, 10)
KDF_PARALLELISM = (1, 16)
DEFAULT_KDF = (65536, 3, 4)

Salt = B64(16, 16, "Argon2id salt of the account password")
AuthKey = B64(32, 32, "auth key derived by the client")
IdentityPublic = B64(32, 32, "Ed25519 identity public key")
SharingPublic = B64(32, MAX_SHARING_PUBLIC, "HPKE (ML-KEM-768+X25519) sharing public key")
Signature = B64(64, 64, "Ed25519 signature over the public bundle")
WrappedAccountKey = Envelope(EnvelopeKind.ACCOUNT_KEY, MAX_WRAP, "account key wrapped under the KEK")
WrappedPrivateKeys = Envelope(EnvelopeKind.PRIVATE_KEYS, MAX_PRIVATE_KEYS_WRAP, "private keys wrapped")


class KdfParams(Request):
    """Argon2id parameters of the account password, as the client uses them."""

    memory_kib: int = PydanticField(ge=KDF_MEMORY_KIB[0], le=KDF_MEMORY_KIB[1])
    iterations: int = PydanticField(ge=KDF_ITERATIONS[0], le=KDF_ITERATIONS[1])
    parallelism: int = PydanticField(ge=KDF_PARALLELISM[0], le=KDF_PARALLELISM[1])


class Bundle(Request):
    """An account's public keys, signed by its identity key (verified by clients, not the server)."""

    identity_public: IdentityPublic
    sharing_public: SharingPublic
    signature: Signature


# -- accounts -------------------------------------------------------------------------------------


class AccountBase(SQLModel):
    email: str = Field(max_length=254, unique=True, index=True)


class Account(AccountBase, table=True):
    __tablename__ = "accounts"

    id: uuid.UUID = Field(primary_key=True)
    salt: bytes = Field(sa_type=LargeBinary)
    kdf_memory_kib: int
    kdf_iterations: int
    kdf_parallelism: int
    auth_hash: str = Field(max_length=256)  # Argon2id encoded hash of the auth key
    wrapped_account_key: bytes = Field(sa_type=LargeBinary)
    wrapped_private_keys: bytes = Field(sa_type=LargeBinary)
    identity_public: bytes = Field(sa_type=LargeBinary)
    sharing_public: bytes = Field(sa_type=LargeBinary)
    bundle_signature: bytes = Field(sa_type=LargeBinary)
    recovery_wrapped_account_key: bytes | None = Field(default=None, sa_type=LargeBinary)
    recovery_verifier_hash: str | None = Field(default=None, max_length=256)
    created_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class AccountCreate(Request):
    """Register: everything the client made on the device, plus its first personal vault."""

    email: Email
    account_id: Id
    salt: Salt
    kdf: KdfParams
    auth_key: AuthKey
    wrapped_account_key: WrappedAccountKey
    wrapped_private_keys: WrappedPrivateKeys
    bundle: Bundle
    vault: VaultCreate
    device_name: DeviceName


class AccountPublic(Response):
    account_id: Id
    email: str
    salt: Salt
    kdf: KdfParams
    wrapped_account_key: WrappedAccountKey
    wrapped_private_keys: WrappedPrivateKeys
    bundle: Bundle
    recovery_enabled: bool


class BundlePublic(Response):
    account_id: Id
    email: str
    bundle: Bundle


class PreloginRequest(Request):
    email: Email


class PreloginPublic(Response):
    salt: Salt
    kdf: KdfParams


class LoginRequest(Request):
    email: Email
    auth_key: AuthKey
    device_name: DeviceName


class PasswordChange(Request):
    """New password material; the old auth key proves the caller knows the current password."""

    old_auth_key: AuthKey
    salt: Salt
    kdf: KdfParams
    auth_key: AuthKey
    wrapped_account_key: WrappedAccountKey


class AccountEnvelope(Response):
    account: AccountPublic


# -- device sessions ------------------------------------------------------------------------------


class DeviceSessionBase(SQLModel):
    device_name: str = Field(max_length=100)


class DeviceSession(DeviceSessionBase, table=True):
    __tablename__ = "device_sessions"

    id: uuid.UUID = Field(primary_key=True, default_factory=uuid.uuid4)
    account_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    token_hash: bytes = Field(sa_type=LargeBinary, unique=True, index=True)  # SHA-256 of the token
    created_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)
    expires_at: datetime = Field(sa_type=Timestamp)


class SessionToken(Response):
    """A new session; ``token`` is shown once and stored only as its SHA-256."""

    token: str = PydanticField(description="32 random bytes, base64url; send as Bearer token")
    session_id: Id
    expires_at: datetime


class DeviceSessionPublic(Response):
    session_id: Id
    device_name: str
    created_at: datetime
    last_seen_at: datetime
    current: bool


class DeviceSessionList(Response):
    sessions: list[DeviceSessionPublic]


class RegisterPublic(Response):
    account_id: Id
    session: SessionToken


class LoginPublic(Response):
    session: SessionToken
    account: AccountPublic


# -- login throttling and server secrets ----------------------------------------------------------


class LoginThrottle(SQLModel, table=True):
    """Failed-login counter for one account or one client address (keyed by an HMAC, never raw)."""

    __tablename__ = "login_throttles"

    key: str = Field(primary_key=True, max_length=80)
    failures: int = Field(default=0, sa_type=BigInteger)
    last_failure_at: datetime = Field(sa_type=Timestamp)
    blocked_until: datetime = Field(sa_type=Timestamp)


class ServerSecret(SQLModel, table=True):
    """Random server-side keys (decoy salts, throttle keys), shared by every server process."""

    __tablename__ = "server_secrets"

    name: str = Field(primary_key=True, max_length=64)
    value: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)

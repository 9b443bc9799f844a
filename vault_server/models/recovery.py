"""Recovery codes and operator reset tokens: the table and wire schemas.

A recovery code never reaches the server: the client sends a verifier derived from it (stored as
an Argon2id hash, like auth keys) and the account key wrapped under it (envelope kind 0x05).
A reset token is issued by the operator (``bv-server reset-token``) and stored as its SHA-256.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field as PydanticField
from sqlalchemy import Column, ForeignKey, LargeBinary
from sqlmodel import Field, SQLModel

from vault_server.models.accounts import (
    AccountPublic,
    AuthKey,
    Bundle,
    KdfParams,
    Salt,
    SessionToken,
    WrappedAccountKey,
    WrappedPrivateKeys,
)
from vault_server.models.base import Request, Response, Timestamp, utcnow
from vault_server.models.vaults import Role, VaultCreate
from vault_server.models.wire import MAX_WRAP, B64, DeviceName, Email, Envelope, EnvelopeKind, Id

Verifier = B64(32, 32, "recovery verifier derived from the recovery code")
RecoveryWrap = Envelope(EnvelopeKind.RECOVERY, MAX_WRAP, "account key wrapped under the recovery code")
TokenText = PydanticField(min_length=1, max_length=64, description="the reset token (base64url, 32 bytes)")


class ResetToken(SQLModel, table=True):
    """A one-time, expiring password-reset authorisation for one account."""

    __tablename__ = "reset_tokens"

    token_hash: bytes = Field(sa_type=LargeBinary, primary_key=True)  # SHA-256 of the token
    account_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)
    expires_at: datetime = Field(sa_type=Timestamp)
    used_at: datetime | None = Field(default=None, sa_type=Timestamp)


# -- recovery -------------------------------------------------------------------------------------


class RecoverySet(Request):
    verifier: Verifier
    wrapped_account_key: RecoveryWrap


class EmailRequest(Request):
    email: Email


class AccountIdPublic(Response):
    account_id: Id


class RecoveryFetch(Request):
    email: Email
    verifier: Verifier


class RecoveryFetchPublic(Response):
    account_id: Id
    recovery_wrapped_account_key: RecoveryWrap
    wrapped_private_keys: WrappedPrivateKeys
    bundle: Bundle


class RecoveryComplete(Request):
    """New password material for an account whose recovery code the caller holds."""

    email: Email
    verifier: Verifier
    salt: Salt
    kdf: KdfParams
    auth_key: AuthKey
    wrapped_account_key: WrappedAccountKey
    device_name: DeviceName


class RecoveryCompletePublic(Response):
    session: SessionToken
    account: AccountPublic


# -- reset ----------------------------------------------------------------------------------------


class ResetPreviewRequest(Request):
    email: Email
    token: str = TokenText


class SharedVaultPublic(Response):
    vault_id: Id
    role: Role
    members: int


class ResetPreviewPublic(Response):
    """What a reset would destroy: the personal vaults and items, and the shared vaults left."""

    account_id: Id
    personal_vaults: int
    personal_items: int = PydanticField(description="live items (tombstones excluded) in personal vaults")
    vault_info_items: int = PydanticField(
        description="how many of personal_items are vault-info items (item_id == vault_id)")
    shared_vaults: list[SharedVaultPublic]


class ResetComplete(Request):
    """Everything a new account would send, for the same account id, plus the token."""

    email: Email
    token: str = TokenText
    salt: Salt
    kdf: KdfParams
    auth_key: AuthKey
    wrapped_account_key: WrappedAccountKey
    wrapped_private_keys: WrappedPrivateKeys
    bundle: Bundle
    vault: VaultCreate
    device_name: DeviceName


class ResetPublic(Response):
    account_id: Id
    session: SessionToken

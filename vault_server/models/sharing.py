"""Sharing: invitations, member lists, key rotation and re-wraps: the table and wire schemas.

An invitation carries a grant (envelope kind 0x06): the vault key HPKE-sealed to the invitee and
signed by the inviter. The server stores and forwards it; it cannot open or check it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field as PydanticField
from pydantic import model_validator
from sqlalchemy import CheckConstraint, Column, ForeignKey, LargeBinary
from sqlmodel import Field, SQLModel

from vault_server.models.accounts import Bundle
from vault_server.models.base import Request, Response, Timestamp, utcnow
from vault_server.models.vaults import (
    MAX_KEY_GENERATION,
    Grant,
    ItemChange,
    ManifestUpdate,
    Role,
    WrappedVaultKey,
)
from vault_server.models.wire import MAX_INT, Id

MAX_ROTATE_ITEMS = 200_000
MAX_MEMBERS = 10_000

Generation = PydanticField(ge=1, le=MAX_KEY_GENERATION)


class Invitation(SQLModel, table=True):
    """A pending invitation of one account to one vault (at most one per pair)."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint("role IN ('owner', 'editor', 'viewer')", name="role"),)

    vault_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("vaults.id", ondelete="CASCADE"), primary_key=True)
    )
    invitee_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    inviter_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    role: str = Field(max_length=10)
    key_generation: int
    grant: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


# -- invitations ----------------------------------------------------------------------------------


class InvitationCreate(Request):
    """Invite an account: the grant seals the vault key of ``key_generation`` to the invitee."""

    invitee_id: Id
    role: Role
    key_generation: int = Generation
    grant: Grant


class InvitationCreated(Response):
    vault_id: Id
    invitee_id: Id
    role: Role
    key_generation: int
    created_at: datetime


class InvitationPublic(Response):
    """An invitation addressed to the caller, with what it needs to verify the grant."""

    vault_id: Id
    inviter_id: Id
    inviter_email: str
    inviter_bundle: Bundle
    role: Role
    key_generation: int
    grant: Grant
    created_at: datetime


class InvitationList(Response):
    invitations: list[InvitationPublic]


class InvitationAccept(Request):
    """The invitee's own symmetric wrap of the vault key it opened from the grant."""

    key_generation: int = Generation
    wrapped_vault_key: WrappedVaultKey


class AcceptPublic(Response):
    vault_id: Id
    role: Role


# -- members --------------------------------------------------------------------------------------


class MemberPublic(Response):
    account_id: Id
    email: str
    role: Role
    bundle: Bundle


class PendingInvitationPublic(Response):
    account_id: Id
    email: str
    role: Role


class MemberList(Response):
    members: list[MemberPublic]
    invitations: list[PendingInvitationPublic]


class VaultKeyUpdate(Request):
    """The caller's own wrap of the current vault key (after opening a pending grant)."""

    key_generation: int = Generation
    wrapped_vault_key: WrappedVaultKey


# -- rotation -------------------------------------------------------------------------------------


class RotateGrant(Request):
    account_id: Id
    grant: Grant


class RotateRequest(Request):
    """One atomic key rotation: remove members, re-seal every item, grant the new key to the rest."""

    remove: list[Id] = PydanticField(default_factory=list, max_length=MAX_MEMBERS)
    new_generation: int = PydanticField(ge=2, le=MAX_KEY_GENERATION)
    base_manifest_version: int = PydanticField(ge=0, le=MAX_INT - 1)
    manifest: ManifestUpdate
    items: list[ItemChange] = PydanticField(max_length=MAX_ROTATE_ITEMS)
    own_wrapped_vault_key: WrappedVaultKey
    grants: list[RotateGrant] = PydanticField(max_length=MAX_MEMBERS)

    @model_validator(mode="after")
    def _consistent(self) -> RotateRequest:
        if self.manifest.version != self.base_manifest_version + 1:
            raise ValueError("manifest.version must be base_manifest_version + 1")
        for name, ids in (("items", [i.item_id for i in self.items]), ("remove", self.remove),
                          ("grants", [g.account_id for g in self.grants])):
            if len(set(ids)) != len(ids):
                raise ValueError(f"an id appears twice in {name}")
        if set(self.remove) & {g.account_id for g in self.grants}:
            raise ValueError("a removed member cannot get a grant")
        return self


class RotateResult(Response):
    seq: int
    manifest_version: int
    key_generation: int

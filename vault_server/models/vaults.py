"""Vaults, memberships and items: tables and wire schemas.

A vault has a change counter (``seq``): every write gets the next value, stored on each item it
touched, so ``sync`` reads only items with ``seq`` above the client's cursor (index on
``(vault_id, seq)``). The manifest (version, key generation, MAC) is opaque to the server apart
from its version, which it advances by compare-and-swap.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field as PydanticField
from pydantic import model_validator
from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, LargeBinary
from sqlmodel import Field, SQLModel

from vault_server.models.base import Request, Response, Timestamp, utcnow
from vault_server.models.wire import MAX_GRANT, MAX_INT, MAX_ITEM_BLOB, MAX_WRAP, B64, Envelope, EnvelopeKind, Id

MAX_BATCH_ITEMS = 1000
MAX_SYNC_CURSORS = 10000
MAX_KEY_GENERATION = 2**31 - 1

WrappedVaultKey = Envelope(EnvelopeKind.VAULT_KEY, MAX_WRAP, "vault key wrapped under the member's account key")
Grant = Envelope(EnvelopeKind.GRANT, MAX_GRANT, "vault key sealed to a member's sharing key, signed by the granter")
ItemBlob = Envelope(EnvelopeKind.ITEM, MAX_ITEM_BLOB, "encrypted item")
ManifestMac = B64(32, 32, "manifest MAC")
Counter = PydanticField(ge=0, le=MAX_INT)


class Role(str, enum.Enum):
    owner = "owner"
    editor = "editor"
    viewer = "viewer"

    @property
    def can_write(self) -> bool:
        return self in (Role.owner, Role.editor)


# -- manifests ------------------------------------------------------------------------------------


class ManifestPublic(Response):
    version: int
    generation: int
    mac: ManifestMac


class ManifestCreate(Request):
    version: Literal[0] = PydanticField(description="a new vault's manifest has version 0")
    mac: ManifestMac


class ManifestUpdate(Request):
    version: int = PydanticField(ge=1, le=MAX_INT)
    mac: ManifestMac


# -- vaults and memberships -----------------------------------------------------------------------


class VaultBase(SQLModel):
    key_generation: int = Field(default=1, ge=1, le=MAX_KEY_GENERATION)


class Vault(VaultBase, table=True):
    __tablename__ = "vaults"

    id: uuid.UUID = Field(primary_key=True)
    seq: int = Field(default=0, sa_type=BigInteger)
    members_version: int = Field(default=0, sa_type=BigInteger)  # bumped on any membership change
    manifest_version: int = Field(default=0, sa_type=BigInteger)
    manifest_mac: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class VaultMemberBase(SQLModel):
    role: str = Field(max_length=10)  # a Role value
    key_generation: int = Field(default=1)


class VaultMember(VaultMemberBase, table=True):
    __tablename__ = "vault_members"
    __table_args__ = (CheckConstraint("role IN ('owner', 'editor', 'viewer')", name="role"),)

    vault_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("vaults.id", ondelete="CASCADE"), primary_key=True)
    )
    account_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    # None after a rotation until the member stores its own wrap of the new key (``pending_grant``
    # then holds the new key sealed to it by ``granted_by``).
    wrapped_vault_key: bytes | None = Field(default=None, sa_type=LargeBinary)
    pending_grant: bytes | None = Field(default=None, sa_type=LargeBinary)
    granted_by: uuid.UUID | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class VaultCreate(Request):
    vault_id: Id
    wrapped_vault_key: WrappedVaultKey
    key_generation: Literal[1] = PydanticField(description="a new vault starts at key generation 1")
    manifest: ManifestCreate


class PendingGrantPublic(Response):
    """A new vault key sealed to the caller by ``granted_by`` (after a rotation), to be opened and
    re-wrapped with ``POST /v1/vaults/{vault_id}/key``."""

    grant: Grant
    granted_by: Id
    role: Role


class VaultPublic(Response):
    """One vault as the caller sees it: their role and their copy of the vault key."""

    vault_id: Id
    role: Role
    key_generation: int
    wrapped_vault_key: WrappedVaultKey | None = PydanticField(
        description="the caller's own wrap of the vault key; null while a grant awaits re-wrap")
    pending_grant: PendingGrantPublic | None
    members_version: int
    seq: int
    manifest: ManifestPublic


class VaultList(Response):
    vaults: list[VaultPublic]


# -- items ----------------------------------------------------------------------------------------


class ItemBase(SQLModel):
    revision: int = Field(sa_type=BigInteger)


class Item(ItemBase, table=True):
    __tablename__ = "items"
    __table_args__ = (Index("ix_items_vault_id_seq", "vault_id", "seq"),)

    vault_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("vaults.id", ondelete="CASCADE"), primary_key=True)
    )
    item_id: uuid.UUID = Field(primary_key=True)
    blob: bytes | None = Field(default=None, sa_type=LargeBinary)  # None: a tombstone
    seq: int = Field(sa_type=BigInteger)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class ItemChange(Request):
    """One item write. ``blob`` null deletes the item (a tombstone the other devices sync)."""

    item_id: Id
    base_revision: int = PydanticField(ge=0, le=MAX_INT - 1, description="0 for a new item")
    revision: int = PydanticField(ge=1, le=MAX_INT)
    blob: ItemBlob | None

    @model_validator(mode="after")
    def _next_revision(self) -> ItemChange:
        if self.revision != self.base_revision + 1:
            raise ValueError("revision must be base_revision + 1")
        return self


class ChangeBatch(Request):
    """An atomic write to one vault: items plus the manifest that covers them."""

    base_manifest_version: int = PydanticField(ge=0, le=MAX_INT - 1)
    manifest: ManifestUpdate
    items: list[ItemChange] = PydanticField(max_length=MAX_BATCH_ITEMS)

    @model_validator(mode="after")
    def _consistent(self) -> ChangeBatch:
        if self.manifest.version != self.base_manifest_version + 1:
            raise ValueError("manifest.version must be base_manifest_version + 1")
        ids = [item.item_id for item in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("an item appears twice in one batch")
        return self


class ChangeResult(Response):
    seq: int
    manifest_version: int


class ItemPublic(Response):
    item_id: Id
    revision: int
    blob: ItemBlob | None


class ConflictState(Response):
    manifest_version: int
    items: list[ItemPublic]


class ItemSyncPublic(ItemPublic):
    seq: int


class SyncRequest(Request):
    cursors: dict[Id, int] = PydanticField(
        default_factory=dict,
        max_length=MAX_SYNC_CURSORS,
        description="vault id -> the last seq the client has; vaults not listed start at 0",
    )

    @model_validator(mode="after")
    def _cursor_bounds(self) -> SyncRequest:
        if any(not 0 <= seq <= MAX_INT for seq in self.cursors.values()):
            raise ValueError("a cursor must be between 0 and 2^62")
        return self


class VaultSyncPublic(VaultPublic):
    items: list[ItemSyncPublic]


class SyncPublic(Response):
    vaults: list[VaultSyncPublic]
    removed_vaults: list[Id]

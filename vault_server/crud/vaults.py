"""Queries on vaults, memberships and items: create, list, delete, batch writes, delta sync."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, insert, update
from sqlmodel import Session, select

from vault_server.errors import Conflict
from vault_server.models import (
    Attachment,
    ChangeBatch,
    ChangeResult,
    ConflictState,
    Invitation,
    Item,
    ItemPublic,
    ItemSyncPublic,
    ManifestPublic,
    PendingGrantPublic,
    Role,
    SyncPublic,
    Vault,
    VaultCreate,
    VaultMember,
    VaultPublic,
    VaultSyncPublic,
)

Membership = tuple[Vault, VaultMember]


def vault_exists(session: Session, vault_id: uuid.UUID) -> bool:
    return session.get(Vault, vault_id) is not None


def insert_vault(session: Session, owner_id: uuid.UUID, data: VaultCreate, now: datetime) -> Membership:
    """A new vault with its creator as owner."""
    vault = Vault(
        id=data.vault_id,
        key_generation=data.key_generation,
        seq=0,
        manifest_version=data.manifest.version,
        manifest_mac=data.manifest.mac,
        created_at=now,
        updated_at=now,
    )
    member = VaultMember(
        vault_id=data.vault_id,
        account_id=owner_id,
        role=Role.owner.value,
        key_generation=data.key_generation,
        wrapped_vault_key=data.wrapped_vault_key,
        created_at=now,
        updated_at=now,
    )
    session.add(vault)
    session.flush()
    session.add(member)
    session.flush()
    return vault, member


def memberships(session: Session, account_id: uuid.UUID) -> list[Membership]:
    rows = session.exec(
        select(Vault, VaultMember)
        .join(VaultMember, VaultMember.vault_id == Vault.id)  # type: ignore[arg-type]
        .where(VaultMember.account_id == account_id)
        .order_by(Vault.created_at, Vault.id)
    ).all()
    return [(vault, member) for vault, member in rows]


def membership(session: Session, vault_id: uuid.UUID, account_id: uuid.UUID) -> Membership | None:
    row = session.exec(
        select(Vault, VaultMember)
        .join(VaultMember, VaultMember.vault_id == Vault.id)  # type: ignore[arg-type]
        .where(Vault.id == vault_id, VaultMember.account_id == account_id)
    ).first()
    return (row[0], row[1]) if row else None


_MEMBER_ROLE = select(VaultMember.role).where(VaultMember.vault_id == bindparam("vault_id"),
                                               VaultMember.account_id == bindparam("account_id"))


def member_role(session: Connection | Session, vault_id: uuid.UUID, account_id: uuid.UUID) -> Role | None:
    """The account's role in the vault, or None when it is not a member (or there is no vault)."""
    role = session.execute(_MEMBER_ROLE, {"vault_id": vault_id, "account_id": account_id}).scalar_one_or_none()
    return None if role is None else Role(role)


def lock_vault(session: Session, vault_id: uuid.UUID) -> Vault | None:
    """The vault row, locked for the rest of the transaction (PostgreSQL ``FOR UPDATE``; SQLite
    write transactions are serialised already). Every change to a vault's memberships or key
    takes this lock first, so they run one after another."""
    return session.exec(select(Vault).where(Vault.id == vault_id).with_for_update()).first()


def delete_vault(session: Session, vault_id: uuid.UUID) -> None:
    """Delete a vault with every item, attachment, invitation and membership (rows deleted, not
    tombstoned)."""
    for model in (Item, Attachment, Invitation, VaultMember):
        session.execute(delete(model).where(model.vault_id == vault_id))  # type: ignore[attr-defined]
    session.execute(delete(Vault).where(Vault.id == vault_id))


def apply_changes(session: Connection, vault_id: uuid.UUID, batch: ChangeBatch, now: datetime) -> ChangeResult:
    """Write a batch atomically, or raise ``Conflict`` (the caller's transaction rolls back).

    The vault row is updated first with compare-and-swap on the manifest version: this takes the
    vault's row lock, so concurrent batches to one vault (and rotations) run one after the other,
    and a batch based on an older manifest finds zero rows to update. Item rows are read and
    written with Core statements (no ORM objects): this is the hottest write path.
    """
    new_seq = session.execute(_BUMP_VAULT, {
        "k_id": vault_id, "k_base": batch.base_manifest_version, "version": batch.manifest.version,
        "mac": batch.manifest.mac, "now": now,
    }).scalar_one_or_none()

    ids = [change.item_id for change in batch.items]
    existing = {row.item_id: row for row in _items(session, vault_id, ids)}
    stale = [
        change.item_id
        for change in batch.items
        if (existing[change.item_id].revision if change.item_id in existing else 0) != change.base_revision
    ]
    if new_seq is None or stale:
        current_version = session.execute(_MANIFEST_VERSION, {"vault_id": vault_id}).scalar() or 0
        if new_seq is not None:  # our own CAS succeeded; report the version before it
            current_version = batch.base_manifest_version
        state = ConflictState(
            manifest_version=current_version,
            items=[_item_public(existing.get(item_id), item_id) for item_id in stale],
        )
        raise Conflict(current=state.model_dump(mode="json"))

    new_rows = [{"vault_id": vault_id, "item_id": c.item_id, "revision": c.revision, "blob": c.blob,
                 "seq": new_seq, "updated_at": now} for c in batch.items if c.item_id not in existing]
    changed_rows = [{"k_vault_id": vault_id, "k_item_id": c.item_id, "revision": c.revision, "blob": c.blob,
                     "seq": new_seq, "updated_at": now} for c in batch.items if c.item_id in existing]
    if new_rows:
        session.execute(_INSERT_ITEM, new_rows)
    if changed_rows:
        session.execute(_UPDATE_ITEM, changed_rows)
    return ChangeResult(seq=new_seq, manifest_version=batch.manifest.version)


# The write path's statements, built once (Core, on the tables: no ORM bookkeeping per request).
_VAULTS = Vault.__table__  # type: ignore[attr-defined]
_ITEMS = Item.__table__  # type: ignore[attr-defined]
_BUMP_VAULT = (
    update(_VAULTS)
    .where(_VAULTS.c.id == bindparam("k_id"), _VAULTS.c.manifest_version == bindparam("k_base"))
    .values(seq=_VAULTS.c.seq + 1, manifest_version=bindparam("version"), manifest_mac=bindparam("mac"),
            updated_at=bindparam("now"))
    .returning(_VAULTS.c.seq)
)
_MANIFEST_VERSION = select(_VAULTS.c.manifest_version).where(_VAULTS.c.id == bindparam("vault_id"))
_INSERT_ITEM = insert(_ITEMS)
_UPDATE_ITEM = (
    update(_ITEMS)
    .where(_ITEMS.c.vault_id == bindparam("k_vault_id"), _ITEMS.c.item_id == bindparam("k_item_id"))
    .values(revision=bindparam("revision"), blob=bindparam("blob"), seq=bindparam("seq"),
            updated_at=bindparam("updated_at"))
)
_ITEM_STATE = select(_ITEMS.c.item_id, _ITEMS.c.revision, _ITEMS.c.blob).where(
    _ITEMS.c.vault_id == bindparam("vault_id"), _ITEMS.c.item_id.in_(bindparam("ids", expanding=True)))


def _items(session: Connection, vault_id: uuid.UUID, ids: list[uuid.UUID]):  # noqa: ANN202 - Core rows
    """(item_id, revision, blob) of those of ``ids`` that exist in the vault."""
    out = []
    for start in range(0, len(ids), 500):
        out.extend(session.execute(_ITEM_STATE, {"vault_id": vault_id, "ids": ids[start:start + 500]}).all())
    return out


def _item_public(row, item_id: uuid.UUID) -> ItemPublic:  # noqa: ANN001 - a Core row from _items
    if row is None:
        return ItemPublic(item_id=item_id, revision=0, blob=None)
    return ItemPublic(item_id=row.item_id, revision=row.revision, blob=row.blob)


def vault_public(vault: Vault, member: VaultMember) -> VaultPublic:
    return VaultPublic(
        vault_id=vault.id,
        role=Role(member.role),
        key_generation=member.key_generation,
        wrapped_vault_key=member.wrapped_vault_key,
        pending_grant=PendingGrantPublic(grant=member.pending_grant, granted_by=member.granted_by,
                                         role=Role(member.role))
        if member.pending_grant is not None and member.granted_by is not None else None,
        members_version=vault.members_version,
        seq=vault.seq,
        manifest=ManifestPublic(version=vault.manifest_version, generation=vault.key_generation,
                                mac=vault.manifest_mac),
    )


_SYNC_VAULTS = (
    select(Vault.id, Vault.seq, Vault.key_generation, Vault.manifest_version, Vault.manifest_mac,
           Vault.members_version, VaultMember.role, VaultMember.key_generation.label("member_generation"),
           VaultMember.wrapped_vault_key, VaultMember.pending_grant, VaultMember.granted_by)
    .join(VaultMember, VaultMember.vault_id == Vault.id)  # type: ignore[arg-type]
    .where(VaultMember.account_id == bindparam("account_id"))
    .order_by(Vault.created_at, Vault.id)
)
_SYNC_ITEMS = (
    select(_ITEMS.c.item_id, _ITEMS.c.revision, _ITEMS.c.blob, _ITEMS.c.seq)
    .where(_ITEMS.c.vault_id == bindparam("vault_id"), _ITEMS.c.seq > bindparam("cursor"))
    .order_by(_ITEMS.c.seq, _ITEMS.c.item_id)
)


def sync(session: Connection, account_id: uuid.UUID, cursors: Mapping[uuid.UUID, int], *,
         items: bool = True) -> SyncPublic | None:
    """Every vault the account belongs to, with only the items changed after its cursor.

    Items come from the ``(vault_id, seq)`` index, so the cost follows the number of changes;
    a vault whose ``seq`` equals the cursor costs no item query at all. Rows come from prebuilt
    Core statements and are put into the response models without re-validation (they were
    validated when written): a no-change sync is the request every device repeats.
    Vault ids the client sent that it can no longer see are listed in ``removed_vaults``.
    ``items=False``: None instead of reading any items (the caller reads again in a snapshot).
    """
    out: list[VaultSyncPublic] = []
    for v in session.execute(_SYNC_VAULTS, {"account_id": account_id}).all():
        cursor = cursors.get(v.id, 0)
        if cursor < v.seq and not items:
            return None
        rows = session.execute(_SYNC_ITEMS, {"vault_id": v.id, "cursor": cursor}).all() if cursor < v.seq else []
        role = Role(v.role)
        pending = None
        if v.pending_grant is not None and v.granted_by is not None:
            pending = PendingGrantPublic.model_construct(grant=v.pending_grant, granted_by=v.granted_by, role=role)
        out.append(VaultSyncPublic.model_construct(
            vault_id=v.id, role=role, key_generation=v.member_generation, wrapped_vault_key=v.wrapped_vault_key,
            pending_grant=pending, members_version=v.members_version, seq=v.seq,
            manifest=ManifestPublic.model_construct(version=v.manifest_version, generation=v.key_generation,
                                                    mac=v.manifest_mac),
            items=[ItemSyncPublic.model_construct(item_id=r.item_id, revision=r.revision, blob=r.blob, seq=r.seq)
                   for r in rows],
        ))
    visible = {v.vault_id for v in out}
    removed = sorted((vid for vid in cursors if vid not in visible), key=str)
    return SyncPublic.model_construct(vaults=out, removed_vaults=removed)

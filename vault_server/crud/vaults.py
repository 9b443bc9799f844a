"""Queries on vaults, memberships and items: create, list, delete, batch writes, delta sync."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete, update
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


def apply_changes(session: Session, vault_id: uuid.UUID, batch: ChangeBatch, now: datetime) -> ChangeResult:
    """Write a batch atomically, or raise ``Conflict`` (the caller's transaction rolls back).

    The vault row is updated first with compare-and-swap on the manifest version: this takes the
    vault's row lock, so concurrent batches to one vault (and rotations) run one after the other,
    and a batch based on an older manifest finds zero rows to update.
    """
    new_seq = session.execute(
        update(Vault)
        .where(Vault.id == vault_id, Vault.manifest_version == batch.base_manifest_version)
        .values(
            seq=Vault.seq + 1,
            manifest_version=batch.manifest.version,
            manifest_mac=batch.manifest.mac,
            updated_at=now,
        )
        .returning(Vault.seq)
    ).scalar_one_or_none()

    ids = [change.item_id for change in batch.items]
    existing = {item.item_id: item for item in _items(session, vault_id, ids)}
    stale = [
        change.item_id
        for change in batch.items
        if (existing[change.item_id].revision if change.item_id in existing else 0) != change.base_revision
    ]
    if new_seq is None or stale:
        current_version = session.exec(select(Vault.manifest_version).where(Vault.id == vault_id)).first() or 0
        if new_seq is not None:  # our own CAS succeeded; report the version before it
            current_version = batch.base_manifest_version
        state = ConflictState(
            manifest_version=current_version,
            items=[_item_public(existing.get(item_id), item_id) for item_id in stale],
        )
        raise Conflict(current=state.model_dump(mode="json"))

    for change in batch.items:
        row = existing.get(change.item_id)
        if row is None:
            row = Item(vault_id=vault_id, item_id=change.item_id, revision=0, seq=new_seq)
        row.revision = change.revision
        row.blob = change.blob
        row.seq = new_seq
        row.updated_at = now
        session.add(row)
    session.flush()
    return ChangeResult(seq=new_seq, manifest_version=batch.manifest.version)


def _items(session: Session, vault_id: uuid.UUID, ids: list[uuid.UUID]) -> list[Item]:
    out: list[Item] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out.extend(session.exec(select(Item).where(Item.vault_id == vault_id, Item.item_id.in_(chunk))).all())  # type: ignore[attr-defined]
    return out


def _item_public(row: Item | None, item_id: uuid.UUID) -> ItemPublic:
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


def sync(session: Session, account_id: uuid.UUID, cursors: Mapping[uuid.UUID, int]) -> SyncPublic:
    """Every vault the account belongs to, with only the items changed after its cursor.

    Items come from the ``(vault_id, seq)`` index, so the cost follows the number of changes.
    Vault ids the client sent that it can no longer see are listed in ``removed_vaults``.
    """
    out: list[VaultSyncPublic] = []
    for vault, member in memberships(session, account_id):
        cursor = cursors.get(vault.id, 0)
        rows = session.exec(
            select(Item).where(Item.vault_id == vault.id, Item.seq > cursor).order_by(Item.seq, Item.item_id)
        ).all() if cursor < vault.seq else []
        items = [ItemSyncPublic(item_id=r.item_id, revision=r.revision, blob=r.blob, seq=r.seq) for r in rows]
        out.append(VaultSyncPublic(**dict(vault_public(vault, member)), items=items))
    visible = {v.vault_id for v in out}
    removed = sorted((vid for vid in cursors if vid not in visible), key=str)
    return SyncPublic(vaults=out, removed_vaults=removed)

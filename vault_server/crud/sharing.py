"""Queries on sharing: invitations, member lists, leaving, key rotation and member re-wraps.

Every function here that changes who is in a vault, or which key it uses, first locks the vault
row (``vaults.lock_vault``), so such changes, batch writes and rotations of one vault run one after
another; each bumps the vault's ``members_version`` when membership or invitations change.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from vault_server.crud.accounts import bundle_of
from vault_server.crud.vaults import delete_vault, lock_vault
from vault_server.errors import Conflict, Forbidden, InvalidRequest, LastOwner, NotFound, StaleGeneration
from vault_server.models import (
    AcceptPublic,
    Account,
    Invitation,
    InvitationAccept,
    InvitationCreate,
    InvitationCreated,
    InvitationPublic,
    Item,
    MemberList,
    MemberPublic,
    PendingInvitationPublic,
    Role,
    RotateRequest,
    RotateResult,
    Vault,
    VaultKeyUpdate,
    VaultMember,
)


def _member(session: Session, vault_id: uuid.UUID, account_id: uuid.UUID) -> VaultMember | None:
    return session.get(VaultMember, {"vault_id": vault_id, "account_id": account_id})


def locked_membership(session: Session, vault_id: uuid.UUID, account_id: uuid.UUID,
                      *, owner: str | None = None) -> tuple[Vault, VaultMember]:
    """Lock the vault and return it with the caller's membership: 404 when the caller is not a
    member; with ``owner`` (the action, for the message), 403 unless the caller is an owner."""
    vault = lock_vault(session, vault_id)
    member = _member(session, vault_id, account_id) if vault is not None else None
    if vault is None or member is None:
        raise NotFound("No such vault.")
    if owner is not None and member.role != Role.owner.value:
        raise Forbidden(f"Only an owner can {owner}.")
    return vault, member


def _touch_members(vault: Vault, session: Session, now: datetime) -> None:
    vault.members_version += 1
    vault.updated_at = now
    session.add(vault)


# -- invitations ----------------------------------------------------------------------------------


def invite(session: Session, vault: Vault, inviter_id: uuid.UUID, data: InvitationCreate,
           now: datetime) -> InvitationCreated:
    """Store (or replace) the invitation of ``data.invitee_id``; the vault is locked by the caller."""
    if session.get(Account, data.invitee_id) is None:
        raise NotFound("No account with this id.")
    if _member(session, vault.id, data.invitee_id) is not None:
        raise Conflict("This account is already a member of the vault.")
    if data.key_generation != vault.key_generation:
        raise StaleGeneration("The grant is for another key generation than the vault's current one.")
    session.execute(delete(Invitation).where(Invitation.vault_id == vault.id,
                                             Invitation.invitee_id == data.invitee_id))
    row = Invitation(vault_id=vault.id, invitee_id=data.invitee_id, inviter_id=inviter_id, role=data.role.value,
                     key_generation=data.key_generation, grant=data.grant, created_at=now)
    session.add(row)
    _touch_members(vault, session, now)
    session.flush()
    return InvitationCreated(vault_id=vault.id, invitee_id=data.invitee_id, role=data.role,
                             key_generation=data.key_generation, created_at=now)


def invitations_for(session: Session, invitee_id: uuid.UUID) -> list[InvitationPublic]:
    rows = session.exec(
        select(Invitation, Account)
        .join(Account, Account.id == Invitation.inviter_id)  # type: ignore[arg-type]
        .where(Invitation.invitee_id == invitee_id)
        .order_by(Invitation.created_at, Invitation.vault_id)
    ).all()
    return [
        InvitationPublic(vault_id=inv.vault_id, inviter_id=inv.inviter_id, inviter_email=inviter.email,
                         inviter_bundle=bundle_of(inviter), role=Role(inv.role), key_generation=inv.key_generation,
                         grant=inv.grant, created_at=inv.created_at)
        for inv, inviter in rows
    ]


def accept(session: Session, invitee_id: uuid.UUID, vault_id: uuid.UUID, data: InvitationAccept,
           now: datetime) -> AcceptPublic:
    """Turn the caller's invitation into a membership holding the caller's own wrap of the key."""
    vault = lock_vault(session, vault_id)
    invitation = session.get(Invitation, {"vault_id": vault_id, "invitee_id": invitee_id}) if vault else None
    if vault is None or invitation is None:
        raise NotFound("No invitation to this vault.")
    if invitation.key_generation != vault.key_generation or data.key_generation != vault.key_generation:
        raise StaleGeneration("The vault key was rotated since this invitation; ask for a new one.")
    if _member(session, vault_id, invitee_id) is not None:
        raise Conflict("You are already a member of this vault.")
    session.add(VaultMember(vault_id=vault_id, account_id=invitee_id, role=invitation.role,
                            key_generation=vault.key_generation, wrapped_vault_key=data.wrapped_vault_key,
                            created_at=now, updated_at=now))
    session.delete(invitation)
    _touch_members(vault, session, now)
    session.flush()
    return AcceptPublic(vault_id=vault_id, role=Role(invitation.role))


def decline(session: Session, invitee_id: uuid.UUID, vault_id: uuid.UUID, now: datetime) -> bool:
    vault = lock_vault(session, vault_id)
    invitation = session.get(Invitation, {"vault_id": vault_id, "invitee_id": invitee_id}) if vault else None
    if vault is None or invitation is None:
        return False
    session.delete(invitation)
    _touch_members(vault, session, now)
    return True


# -- members --------------------------------------------------------------------------------------


def member_list(session: Session, vault_id: uuid.UUID) -> MemberList:
    members = session.exec(
        select(VaultMember, Account)
        .join(Account, Account.id == VaultMember.account_id)  # type: ignore[arg-type]
        .where(VaultMember.vault_id == vault_id)
        .order_by(VaultMember.created_at, Account.email)
    ).all()
    invited = session.exec(
        select(Invitation, Account)
        .join(Account, Account.id == Invitation.invitee_id)  # type: ignore[arg-type]
        .where(Invitation.vault_id == vault_id)
        .order_by(Invitation.created_at, Account.email)
    ).all()
    return MemberList(
        members=[MemberPublic(account_id=a.id, email=a.email, role=Role(m.role), bundle=bundle_of(a))
                 for m, a in members],
        invitations=[PendingInvitationPublic(account_id=a.id, email=a.email, role=Role(i.role)) for i, a in invited],
    )


def leave(session: Session, vault: Vault, member: VaultMember, now: datetime) -> None:
    """End the caller's membership; the last owner cannot. A vault left without members is deleted."""
    others = session.exec(
        select(VaultMember.role).where(VaultMember.vault_id == vault.id, VaultMember.account_id != member.account_id)
    ).all()
    if member.role == Role.owner.value and Role.owner.value not in others:
        raise LastOwner()
    session.delete(member)
    if not others:
        session.flush()
        delete_vault(session, vault.id)
        return
    _touch_members(vault, session, now)


def store_key(session: Session, vault_id: uuid.UUID, account_id: uuid.UUID, data: VaultKeyUpdate,
              now: datetime) -> None:
    """Keep the caller's own wrap of the current vault key; the pending grant is done with."""
    vault, member = locked_membership(session, vault_id, account_id)
    if data.key_generation != vault.key_generation:
        raise StaleGeneration("The vault key has another generation now; open the newer grant.")
    member.wrapped_vault_key = data.wrapped_vault_key
    member.key_generation = vault.key_generation
    member.pending_grant = None
    member.granted_by = None
    member.updated_at = now
    session.add(member)


# -- rotation -------------------------------------------------------------------------------------


def rotate(session: Session, vault_id: uuid.UUID, caller_id: uuid.UUID, data: RotateRequest,
           now: datetime) -> RotateResult:
    """Replace the vault key in one step: remove members, re-seal every item, grant the rest.

    Every check runs before anything changes; any failure raises and the transaction rolls back.
    Stale state (another rotation, a write, a member who joined or left) is 409 ``conflict``.
    """
    vault, _ = locked_membership(session, vault_id, caller_id, owner="rotate the vault key")
    if caller_id in data.remove or caller_id in {g.account_id for g in data.grants}:
        raise InvalidRequest("The caller cannot be removed or granted to; it sends own_wrapped_vault_key.")
    if data.new_generation != vault.key_generation + 1:
        raise Conflict("The vault key was rotated by another request.")
    if data.base_manifest_version != vault.manifest_version:
        raise Conflict("The vault changed since base_manifest_version.")
    member_ids = set(session.exec(select(VaultMember.account_id).where(VaultMember.vault_id == vault_id)).all())
    if not set(data.remove) <= member_ids:
        raise Conflict("An account to remove is not a member of the vault.")
    staying = member_ids - set(data.remove) - {caller_id}
    if {g.account_id for g in data.grants} != staying:
        raise Conflict("grants must cover exactly the members who stay.")
    revisions = dict(session.exec(select(Item.item_id, Item.revision).where(Item.vault_id == vault_id)).all())
    if {i.item_id for i in data.items} != set(revisions):
        raise Conflict("items must cover every item of the vault.")
    if any(revisions[i.item_id] != i.base_revision for i in data.items):
        raise Conflict("An item changed since its base_revision.")

    new_seq = vault.seq + 1
    if data.remove:
        session.execute(delete(VaultMember).where(VaultMember.vault_id == vault_id,
                                                  VaultMember.account_id.in_(data.remove)))  # type: ignore[attr-defined]
    session.execute(delete(Invitation).where(Invitation.vault_id == vault_id))  # they carry the old key
    session.execute(
        update(VaultMember).where(VaultMember.vault_id == vault_id, VaultMember.account_id == caller_id)
        .values(wrapped_vault_key=data.own_wrapped_vault_key, key_generation=data.new_generation,
                pending_grant=None, granted_by=None, updated_at=now)
    )
    for grant in data.grants:
        session.execute(
            update(VaultMember).where(VaultMember.vault_id == vault_id, VaultMember.account_id == grant.account_id)
            .values(wrapped_vault_key=None, pending_grant=grant.grant, granted_by=caller_id,
                    key_generation=data.new_generation, updated_at=now)
        )
    if data.items:
        session.execute(update(Item), [
            {"vault_id": vault_id, "item_id": i.item_id, "revision": i.revision, "blob": i.blob, "seq": new_seq,
             "updated_at": now}
            for i in data.items
        ])
    vault.key_generation = data.new_generation
    vault.manifest_version = data.manifest.version
    vault.manifest_mac = data.manifest.mac
    vault.seq = new_seq
    _touch_members(vault, session, now)
    session.flush()
    return RotateResult(seq=new_seq, manifest_version=data.manifest.version, key_generation=data.new_generation)


def member_count(session: Session, vault_id: uuid.UUID) -> int:
    return session.exec(select(func.count()).select_from(VaultMember).where(VaultMember.vault_id == vault_id)).one()

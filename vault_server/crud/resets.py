"""Queries for operator reset tokens and the account reset they authorise.

A reset destroys what only the old keys could open: the account's personal vaults (those it is
the only member of) with their items and attachments, its memberships in shared vaults, the
invitations it sent or received, its recovery record and its sessions. Rows are deleted, not
flagged; on SQLite ``secure_delete`` zeroes their bytes in the file.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, select

from vault_server.crud import sessions as session_queries
from vault_server.crud.vaults import delete_vault, lock_vault
from vault_server.models import (
    Account,
    Invitation,
    Item,
    ResetPreviewPublic,
    ResetToken,
    Role,
    SharedVaultPublic,
    VaultMember,
)
from vault_server.security import new_session_token, token_hash


def issue_token(session: Session, account_id: uuid.UUID, ttl: timedelta, now: datetime) -> tuple[str, datetime]:
    """A new one-time token for the account (replacing its unused ones) and its expiry."""
    session.execute(delete(ResetToken).where(ResetToken.account_id == account_id,
                                             ResetToken.used_at.is_(None)))  # type: ignore[union-attr]
    token, digest = new_session_token()
    expires_at = now + ttl
    session.add(ResetToken(token_hash=digest, account_id=account_id, created_at=now, expires_at=expires_at))
    session.flush()
    return token, expires_at


def account_for_token(session: Session, email: str, token: str, now: datetime) -> Account | None:
    """The account ``email`` if ``token`` is its unused, unexpired reset token; else None."""
    digest = token_hash(token)
    if digest is None:
        return None
    return session.exec(
        select(Account)
        .join(ResetToken, ResetToken.account_id == Account.id)  # type: ignore[arg-type]
        .where(ResetToken.token_hash == digest, Account.email == email,
               ResetToken.used_at.is_(None), ResetToken.expires_at > now)  # type: ignore[union-attr]
    ).first()


def consume_token(session: Session, account_id: uuid.UUID, token: str, now: datetime) -> bool:
    """Mark the token used; False when it is not (or no longer) usable: a token works once."""
    digest = token_hash(token)
    if digest is None:
        return False
    result = session.execute(
        update(ResetToken)
        .where(ResetToken.token_hash == digest, ResetToken.account_id == account_id,
               ResetToken.used_at.is_(None), ResetToken.expires_at > now)  # type: ignore[union-attr]
        .values(used_at=now)
    )
    return result.rowcount == 1


def _memberships(session: Session, account_id: uuid.UUID) -> list[tuple[uuid.UUID, str, int]]:
    """(vault id, role, number of members) for every vault the account belongs to."""
    counts = (
        select(VaultMember.vault_id, func.count().label("n"))
        .group_by(VaultMember.vault_id)
        .subquery()
    )
    rows = session.exec(
        select(VaultMember.vault_id, VaultMember.role, counts.c.n)
        .join(counts, counts.c.vault_id == VaultMember.vault_id)
        .where(VaultMember.account_id == account_id)
        .order_by(VaultMember.vault_id)
    ).all()
    return [(vault_id, role, n) for vault_id, role, n in rows]


def preview(session: Session, account_id: uuid.UUID) -> ResetPreviewPublic:
    """What a reset of the account would destroy (personal = the account is the only member)."""
    rows = _memberships(session, account_id)
    personal = [vault_id for vault_id, _, n in rows if n == 1]
    live = select(func.count()).select_from(Item).where(
        Item.vault_id.in_(personal), Item.blob.is_not(None))  # type: ignore[attr-defined, union-attr]
    items = session.exec(live).one() if personal else 0
    info = session.exec(live.where(Item.item_id == Item.vault_id)).one() if personal else 0
    return ResetPreviewPublic(
        account_id=account_id,
        personal_vaults=len(personal),
        personal_items=items,
        vault_info_items=info,
        shared_vaults=[SharedVaultPublic(vault_id=v, role=Role(role), members=n) for v, role, n in rows if n > 1],
    )


def wipe(session: Session, account_id: uuid.UUID, now: datetime) -> None:
    """Delete everything the account's old keys protected or that names its old identity."""
    rows = _memberships(session, account_id)
    invited = session.exec(
        select(Invitation.vault_id).where(or_(Invitation.invitee_id == account_id,
                                              Invitation.inviter_id == account_id))
    ).all()
    touched = sorted({vault_id for vault_id, _, _ in rows} | set(invited), key=str)
    vaults = {vault_id: lock_vault(session, vault_id) for vault_id in touched}  # one lock order: no deadlock
    personal = {vault_id for vault_id, _, n in rows if n == 1}
    session.execute(delete(Invitation).where(or_(Invitation.invitee_id == account_id,
                                                 Invitation.inviter_id == account_id)))
    session.execute(delete(VaultMember).where(VaultMember.account_id == account_id,
                                              VaultMember.vault_id.not_in(personal)))  # type: ignore[attr-defined]
    for vault_id in touched:
        vault = vaults[vault_id]
        if vault is None:
            continue
        if vault_id in personal:
            delete_vault(session, vault_id)
        else:
            vault.members_version += 1
            vault.updated_at = now
            session.add(vault)
    session_queries.delete_all_sessions(session, account_id)
    session.flush()
    session.expunge_all()  # rows deleted above must not linger in the identity map

"""Sharing: public bundles by id, invitations, member lists, leaving, key rotation, re-wraps.

Owners invite and rotate; any member lists members, leaves, and stores its own wrap of the key.
The server forwards grants and wrapped keys; it can neither open nor check them (clients verify
every grant's signature against an identity they pinned or verified).
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from vault_server.crud import accounts as account_queries
from vault_server.crud import sharing as sharing_queries
from vault_server.crud import vaults as vault_queries
from vault_server.deps import CurrentSession, SessionDep, WriteSessionDep
from vault_server.errors import NotFound
from vault_server.models import (
    AcceptPublic,
    BundlePublic,
    InvitationAccept,
    InvitationCreate,
    InvitationCreated,
    InvitationList,
    MemberList,
    RotateRequest,
    RotateResult,
    VaultKeyUpdate,
)
from vault_server.models.base import utcnow
from vault_server.models.wire import Id

router = APIRouter(tags=["sharing"])

NO_CONTENT = status.HTTP_204_NO_CONTENT


@router.get("/bundles/{account_id}", response_model=BundlePublic)
def bundle_by_id(account_id: Id, auth: CurrentSession, session: SessionDep) -> BundlePublic:
    """Another account's public keys by account id (e.g. the inviter named in a pending grant)."""
    account = account_queries.get_account(session, account_id)
    if account is None:
        raise NotFound("No account with this id.")
    return BundlePublic(account_id=account.id, email=account.email, bundle=account_queries.bundle_of(account))


@router.post("/vaults/{vault_id}/invitations", response_model=InvitationCreated, status_code=status.HTTP_201_CREATED,
             responses={409: {"description": "`conflict`: already a member; `stale_generation`: "
                              "key_generation is not the vault's current one"}})
def invite(vault_id: Id, body: InvitationCreate, auth: CurrentSession, session: WriteSessionDep) -> InvitationCreated:
    """Invite an account (owners only); re-inviting replaces its pending invitation."""
    vault, _ = sharing_queries.locked_membership(session, vault_id, auth.account_id, owner="invite members")
    return sharing_queries.invite(session, vault, auth.account_id, body, utcnow())


@router.get("/invitations", response_model=InvitationList)
def invitations(auth: CurrentSession, session: SessionDep) -> InvitationList:
    """Pending invitations addressed to the caller, with each inviter's public bundle."""
    return InvitationList(invitations=sharing_queries.invitations_for(session, auth.account_id))


@router.post("/invitations/{vault_id}/accept", response_model=AcceptPublic,
             responses={409: {"description": "`stale_generation`: the vault was rotated since the invitation"}})
def accept(vault_id: Id, body: InvitationAccept, auth: CurrentSession, session: WriteSessionDep) -> AcceptPublic:
    """Join the vault with the caller's own symmetric wrap of the key it opened from the grant."""
    return sharing_queries.accept(session, auth.account_id, vault_id, body, utcnow())


@router.delete("/invitations/{vault_id}", status_code=NO_CONTENT, response_class=Response)
def decline(vault_id: Id, auth: CurrentSession, session: WriteSessionDep) -> Response:
    """Decline (delete) an invitation addressed to the caller."""
    if not sharing_queries.decline(session, auth.account_id, vault_id, utcnow()):
        raise NotFound("No invitation to this vault.")
    return Response(status_code=NO_CONTENT)


@router.get("/vaults/{vault_id}/members", response_model=MemberList)
def members(vault_id: Id, auth: CurrentSession, session: SessionDep) -> MemberList:
    """The vault's members with their public bundles, and its pending invitations (any member)."""
    if vault_queries.membership(session, vault_id, auth.account_id) is None:
        raise NotFound("No such vault.")
    return sharing_queries.member_list(session, vault_id)


@router.post("/vaults/{vault_id}/leave", status_code=NO_CONTENT, response_class=Response,
             responses={409: {"description": "`last_owner`: the caller is the vault's only owner"}})
def leave(vault_id: Id, auth: CurrentSession, session: WriteSessionDep) -> Response:
    """End the caller's membership. The last owner cannot leave (409 ``last_owner``)."""
    vault, member = sharing_queries.locked_membership(session, vault_id, auth.account_id)
    sharing_queries.leave(session, vault, member, utcnow())
    return Response(status_code=NO_CONTENT)


@router.post("/vaults/{vault_id}/rotate", response_model=RotateResult,
             responses={409: {"description": "`conflict`: a stale base (generation, manifest, item "
                              "revisions) or members/items not covered exactly; nothing changed"}})
def rotate(vault_id: Id, body: RotateRequest, auth: CurrentSession, session: WriteSessionDep) -> RotateResult:
    """Rotate the vault key in one atomic update (owners only): remove members, replace every
    item with its re-sealed blob, and hand the new key to the members who stay."""
    return sharing_queries.rotate(session, vault_id, auth.account_id, body, utcnow())


@router.post("/vaults/{vault_id}/key", status_code=NO_CONTENT, response_class=Response,
             responses={409: {"description": "`stale_generation`: not the vault's current key generation"}})
def store_key(vault_id: Id, body: VaultKeyUpdate, auth: CurrentSession, session: WriteSessionDep) -> Response:
    """Store the caller's own wrap of the current vault key; clears its pending grant."""
    sharing_queries.store_key(session, vault_id, auth.account_id, body, utcnow())
    return Response(status_code=NO_CONTENT)

"""The caller's account, public bundles of others, password change."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from vault_server.crud import accounts as account_queries
from vault_server.crud import sessions as session_queries
from vault_server.deps import ClientAddress, CurrentSession, DatabaseDep, SessionDep, StateDep
from vault_server.errors import BadCredentials, Conflict, NotFound, RateLimited, Unauthorized
from vault_server.models import AccountEnvelope, AccountPublic, BundlePublic, PasswordChange
from vault_server.models.base import utcnow
from vault_server.models.wire import Email

router = APIRouter(tags=["account"])


@router.get("/accounts/me", response_model=AccountPublic)
def me(auth: CurrentSession, session: SessionDep) -> AccountPublic:
    """The caller's account object (the same as in the login response)."""
    account = account_queries.get_account(session, auth.account_id)
    if account is None:
        raise Unauthorized()
    return account_queries.account_public(account)


@router.get("/bundles", response_model=BundlePublic)
def bundle(email: Annotated[Email, Query(description="whose public bundle")], auth: CurrentSession,
           session: SessionDep) -> BundlePublic:
    """Another account's public keys, for sharing. The client verifies the signature and pins it."""
    account = account_queries.get_account_by_email(session, email)
    if account is None:
        raise NotFound("No account with this email.")
    return BundlePublic(account_id=account.id, email=account.email, bundle=account_queries.bundle_of(account))


@router.post("/account/password", response_model=AccountEnvelope)
def change_password(body: PasswordChange, auth: CurrentSession, state: StateDep, db: DatabaseDep,
                    address: ClientAddress) -> AccountEnvelope:
    """Swap salt, KDF parameters, auth key hash and wrapped account key; end other sessions."""
    now = utcnow()
    with db.read() as session:
        account = account_queries.get_account(session, auth.account_id)
        if account is None:
            raise Unauthorized()
        wait = state.throttler.seconds_blocked(session, account.email, address, now)
    if wait > 0:
        raise RateLimited(wait)
    if not state.hasher.verify(account.auth_hash, body.old_auth_key):
        with db.write() as session:
            state.throttler.record_failure(session, account.email, address, utcnow())
        raise BadCredentials("The old auth key is wrong.")
    new_hash = state.hasher.hash(body.auth_key)
    with db.write() as session:
        if not account_queries.change_password(session, account.id, account.auth_hash, body, new_hash):
            raise Conflict("The password was changed by another request.")
        session_queries.delete_other_sessions(session, account.id, auth.session_id)
        updated = account_queries.get_account(session, account.id)
        assert updated is not None
        session.refresh(updated)
        return AccountEnvelope(account=account_queries.account_public(updated))

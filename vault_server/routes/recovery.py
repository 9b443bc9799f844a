"""Recovery codes: set or remove the recovery record, and recover an account with its code.

The server holds the account key wrapped under the recovery code (it cannot open it) and an
Argon2id hash of a verifier derived from the code. Checking a verifier works like a login: the
same dummy-hash verification for unknown emails, and the same throttling.
"""

from __future__ import annotations


from fastapi import APIRouter, Response, status

from vault_server.crud import accounts as account_queries
from vault_server.crud import sessions as session_queries
from vault_server.deps import ClientAddress, CurrentSession, DatabaseDep, ServerState, SessionDep, StateDep
from vault_server.errors import BadCredentials, Conflict, RateLimited, Unauthorized
from vault_server.models import (
    Account,
    AccountIdPublic,
    EmailRequest,
    RecoveryComplete,
    RecoveryCompletePublic,
    RecoveryFetch,
    RecoveryFetchPublic,
    RecoverySet,
)
from vault_server.models.base import utcnow
from vault_server.database import Database
from vault_server.security import decoy_account_id
from vault_server.throttle import RECOVERY

router = APIRouter(tags=["recovery"])


@router.put("/account/recovery", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def set_recovery(body: RecoverySet, auth: CurrentSession, state: StateDep, db: DatabaseDep) -> Response:
    """Create or replace the caller's recovery record (verifier hash and recovery-wrapped key)."""
    verifier_hash = state.hasher.hash(body.verifier)  # slow; outside any transaction
    with db.write() as session:
        account_queries.set_recovery(session, auth.account_id, verifier_hash, body.wrapped_account_key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/account/recovery", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_recovery(auth: CurrentSession, db: DatabaseDep) -> Response:
    """Remove the caller's recovery record; the old recovery code stops working."""
    with db.write() as session:
        account_queries.set_recovery(session, auth.account_id, None, None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/recovery/account-id", response_model=AccountIdPublic)
def recovery_account_id(body: EmailRequest, state: StateDep, session: SessionDep) -> AccountIdPublic:
    """The account id for an email (the recovery verifier is bound to it). Unknown emails get a
    stable decoy id of the same shape."""
    account = account_queries.get_account_by_email(session, body.email)
    if account is None:
        return AccountIdPublic(account_id=decoy_account_id(state.decoy_secret, body.email))
    return AccountIdPublic(account_id=account.id)


def _check_verifier(state: ServerState, db: Database, email: str, verifier: bytes, address: str) -> Account:
    """The account whose recovery verifier this is, or 401 ``bad_credentials`` (throttled)."""
    now = utcnow()
    with db.read() as session:
        wait = state.throttler.seconds_blocked(session, email, address, now, scope=RECOVERY)
        account = account_queries.get_account_by_email(session, email)
    if wait > 0:
        raise RateLimited(wait)
    # No account, or no recovery record: a dummy hash is verified instead, at the same cost.
    ok = state.hasher.verify(account.recovery_verifier_hash if account else None, verifier)
    if not ok or account is None:
        with db.write() as session:
            state.throttler.record_failure(session, email, address, utcnow(), scope=RECOVERY)
        raise BadCredentials("Wrong email or recovery code, or the account has no recovery code.")
    return account


@router.post("/recovery/fetch", response_model=RecoveryFetchPublic)
def recovery_fetch(body: RecoveryFetch, state: StateDep, db: DatabaseDep, address: ClientAddress) -> RecoveryFetchPublic:
    """With a valid verifier: the recovery-wrapped account key, the wrapped private keys and the
    public bundle, so the client can unwrap the account key and check its own keys."""
    account = _check_verifier(state, db, body.email, body.verifier, address)
    assert account.recovery_wrapped_account_key is not None
    return RecoveryFetchPublic(
        account_id=account.id,
        recovery_wrapped_account_key=account.recovery_wrapped_account_key,
        wrapped_private_keys=account.wrapped_private_keys,
        bundle=account_queries.bundle_of(account),
    )


@router.post("/recovery/complete", response_model=RecoveryCompletePublic)
def recovery_complete(body: RecoveryComplete, state: StateDep, db: DatabaseDep,
                      address: ClientAddress) -> RecoveryCompletePublic:
    """Set new password material with a valid verifier; end every session and open a new one.

    The recovery record stays: it wraps the same account key, which a password does not change.
    """
    account = _check_verifier(state, db, body.email, body.verifier, address)
    assert account.recovery_verifier_hash is not None
    new_hash = state.hasher.hash(body.auth_key)
    now = utcnow()
    with db.write() as session:
        if not account_queries.recover_password(session, account.id, account.recovery_verifier_hash, body, new_hash):
            raise Conflict("The recovery code was changed by another request.")
        session_queries.delete_all_sessions(session, account.id)
        state.throttler.record_success(session, body.email, scope=RECOVERY)
        state.throttler.record_success(session, body.email)  # a locked-out login is unlocked too
        lifetime = state.settings.session_lifetime
        token = session_queries.create_session(session, account.id, body.device_name, lifetime, now)
        updated = account_queries.get_account(session, account.id)
        if updated is None:
            raise Unauthorized()
        session.refresh(updated)
        return RecoveryCompletePublic(session=token, account=account_queries.account_public(updated))

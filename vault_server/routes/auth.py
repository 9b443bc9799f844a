"""Prelogin, register, login, logout and device sessions."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from vault_server.crud import accounts as account_queries
from vault_server.crud import sessions as session_queries
from vault_server.crud import vaults as vault_queries
from vault_server.deps import (
    ClientAddress,
    CurrentSession,
    DatabaseDep,
    SessionDep,
    StateDep,
    WriteSessionDep,
)
from vault_server.errors import Conflict, EmailTaken, NotFound, RateLimited
from vault_server.models import (
    AccountCreate,
    DeviceSessionList,
    KdfParams,
    LoginPublic,
    LoginRequest,
    PreloginPublic,
    PreloginRequest,
    RegisterPublic,
)
from vault_server.login import login_answer
from vault_server.models.accounts import DEFAULT_KDF
from vault_server.models.base import utcnow
from vault_server.models.wire import Id
from vault_server.security import decoy_salt

router = APIRouter(tags=["auth"])


@router.post("/prelogin", response_model=PreloginPublic)
def prelogin(body: PreloginRequest, state: StateDep, session: SessionDep) -> PreloginPublic:
    """Salt and KDF parameters for an email. Unknown emails get stable decoys of the same shape."""
    account = account_queries.get_account_by_email(session, body.email)
    decoy = decoy_salt(state.decoy_secret, body.email)
    if account is None:
        memory, iterations, parallelism = DEFAULT_KDF
        kdf = KdfParams(memory_kib=memory, iterations=iterations, parallelism=parallelism)
        return PreloginPublic(salt=decoy, kdf=kdf)
    return PreloginPublic(salt=account.salt, kdf=account_queries.kdf_of(account))


@router.post("/accounts", response_model=RegisterPublic, status_code=status.HTTP_201_CREATED)
def register(body: AccountCreate, state: StateDep, db: DatabaseDep, address: ClientAddress) -> RegisterPublic:
    """Create an account with its first personal vault, and a session for this device.

    Every attempt counts against the client address (``BV_REGISTER_*``): a burst of registrations
    from one address is slowed, then refused with 429 ``rate_limited``.
    """
    now = utcnow()
    with db.write() as session:
        wait = state.throttler.registration_blocked(session, address, now)
        if wait <= 0:
            state.throttler.record_registration(session, address, now)
    if wait > 0:
        raise RateLimited(wait, "registrations from this address")
    auth_hash = state.hasher.hash(body.auth_key)  # slow; outside any transaction
    try:
        with db.write() as session:
            _check_free(session, body)
            account_queries.insert_account(session, body, auth_hash)
            vault_queries.insert_vault(session, body.account_id, body.vault, now)
            token = session_queries.create_session(
                session, body.account_id, body.device_name, state.settings.session_lifetime, now
            )
    except IntegrityError:  # a concurrent registration took the email or an id
        with db.read() as session:
            _check_free(session, body)
        raise Conflict() from None
    return RegisterPublic(account_id=body.account_id, session=token)


def _check_free(session: Session, body: AccountCreate) -> None:
    if account_queries.email_exists(session, body.email):
        raise EmailTaken()
    if account_queries.get_account(session, body.account_id) is not None:
        raise Conflict("This account id is taken.")
    if vault_queries.vault_exists(session, body.vault.vault_id):
        raise Conflict("This vault id is taken.")


@router.post("/login", response_model=LoginPublic)
async def login(body: LoginRequest, state: StateDep, address: ClientAddress) -> Response:
    """Check the auth key (Argon2id, in a low-priority hashing process) and open a session for this device."""
    return Response(await login_answer(state, body, address), media_type="application/json")


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def logout(auth: CurrentSession, session: WriteSessionDep) -> Response:
    """End the calling session."""
    session_queries.delete_session(session, auth.account_id, auth.session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sessions", response_model=DeviceSessionList)
def list_sessions(auth: CurrentSession, session: SessionDep) -> DeviceSessionList:
    """The account's live sessions, one per device; ``current`` marks the caller's."""
    return DeviceSessionList(
        sessions=session_queries.list_sessions(session, auth.account_id, auth.session_id, utcnow())
    )


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def revoke_session(session_id: Id, auth: CurrentSession, session: WriteSessionDep) -> Response:
    """End one of the account's sessions (another device, or this one)."""
    if not session_queries.delete_session(session, auth.account_id, session_id):
        raise NotFound("No such session.")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


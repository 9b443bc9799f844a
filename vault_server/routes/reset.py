"""Account reset with an operator-issued token: what would be lost, then the reset itself.

The server cannot decrypt anything, so a reset cannot keep anything the old keys protected: the
client makes all new keys, and the server deletes the old personal vaults and memberships.
"""

from __future__ import annotations


from fastapi import APIRouter

from vault_server.crud import accounts as account_queries
from vault_server.crud import resets as reset_queries
from vault_server.crud import sessions as session_queries
from vault_server.crud import vaults as vault_queries
from vault_server.database import Database
from vault_server.deps import ClientAddress, DatabaseDep, ServerState, StateDep
from vault_server.errors import Conflict, InvalidToken, RateLimited
from vault_server.models import Account, ResetComplete, ResetPreviewPublic, ResetPreviewRequest, ResetPublic
from vault_server.models.base import utcnow
from vault_server.throttle import RESET

router = APIRouter(tags=["reset"])


def _check_token(state: ServerState, db: Database, email: str, token: str, address: str) -> Account:
    """The account the token was issued for, or 401 ``invalid_token`` (throttled like logins)."""
    now = utcnow()
    with db.read() as session:
        wait = state.throttler.seconds_blocked(session, email, address, now, scope=RESET)
        account = reset_queries.account_for_token(session, email, token, now)
    if wait > 0:
        raise RateLimited(wait)
    if account is None:
        with db.write() as session:
            state.throttler.record_failure(session, email, address, utcnow(), scope=RESET)
        raise InvalidToken()
    return account


@router.post("/reset/preview", response_model=ResetPreviewPublic)
def reset_preview(body: ResetPreviewRequest, state: StateDep, db: DatabaseDep,
                  address: ClientAddress) -> ResetPreviewPublic:
    """What a reset would destroy; the token is checked, not used."""
    account = _check_token(state, db, body.email, body.token, address)
    with db.read() as session:
        return reset_queries.preview(session, account.id)


@router.post("/reset/complete", response_model=ResetPublic)
def reset_complete(body: ResetComplete, state: StateDep, db: DatabaseDep, address: ClientAddress) -> ResetPublic:
    """Use the token: in one transaction delete what the old keys protected, install the new keys
    and the new personal vault, and open a session for this device."""
    account = _check_token(state, db, body.email, body.token, address)
    auth_hash = state.hasher.hash(body.auth_key)  # slow; outside the transaction
    now = utcnow()
    with db.write() as session:
        if not reset_queries.consume_token(session, account.id, body.token, now):
            raise InvalidToken()  # used by a concurrent request
        reset_queries.wipe(session, account.id, now)
        if vault_queries.vault_exists(session, body.vault.vault_id):
            raise Conflict("This vault id is taken.")
        account_queries.replace_keys(session, account.id, body, auth_hash)
        vault_queries.insert_vault(session, account.id, body.vault, now)
        state.throttler.record_success(session, body.email, scope=RESET)
        state.throttler.record_success(session, body.email)
        lifetime = state.settings.session_lifetime
        token = session_queries.create_session(session, account.id, body.device_name, lifetime, now)
    db.truncate_wal()  # old page images of the deleted rows leave the SQLite WAL file too
    return ResetPublic(account_id=account.id, session=token)

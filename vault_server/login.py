"""``POST /v1/login``: check an auth key and open a session for a device.

The route in ``routes/auth.py`` and the hot path in ``hotpath.py`` both answer with
``login_answer``, so a login is the same whichever serves it.

A login costs three things: two short database steps (throttle and account lookup before the
hash, one statement each; session and throttle update after it, one transaction) and one Argon2id verification, which runs in a
low-priority hashing process (``hashing.py``) while the request waits on the event loop. The
database steps run on ``LOGIN_THREADS`` worker threads of their own: twenty logins arriving at
once take turns on two threads, instead of taking twenty threads of the pool other routes share
and contending for the interpreter with the syncs being answered meanwhile.
"""

from __future__ import annotations

from datetime import datetime

import anyio.to_thread
from sqlalchemy import Row

from vault_server.crud import accounts as account_queries
from vault_server.crud import sessions as session_queries
from vault_server.deps import ServerState
from vault_server.errors import BadCredentials, RateLimited
from vault_server.models import LoginPublic, LoginRequest, SessionToken
from vault_server.models.base import utcnow

LOGIN_THREADS = 2


async def login_answer(state: ServerState, body: LoginRequest, address: str) -> bytes:
    """The JSON body of a successful login, or ``RateLimited`` / ``BadCredentials``."""
    limiter = state.login_threads
    now = utcnow()
    wait, account = await anyio.to_thread.run_sync(_lookup, state, body.email, address, now, limiter=limiter)
    if wait > 0:
        raise RateLimited(wait)
    # Unknown emails verify against a dummy hash: same work, same answer.
    ok = await state.hasher.verify_async(account.auth_hash if account else None, body.auth_key)
    if not ok or account is None:
        await anyio.to_thread.run_sync(_failed, state, body.email, address, limiter=limiter)
        raise BadCredentials()
    token = await anyio.to_thread.run_sync(_succeeded, state, body.email, account, body.device_name, now,
                                           limiter=limiter)
    return LoginPublic(session=token, account=account_queries.account_public(account)).model_dump_json().encode()


def _lookup(state: ServerState, email: str, address: str, now: datetime) -> tuple[float, Row | None]:
    with state.db.statement_connection() as conn:  # two independent statements: no snapshot needed
        return (state.throttler.seconds_blocked(conn, email, address, now),
                account_queries.account_row_by_email(conn, email))


def _failed(state: ServerState, email: str, address: str) -> None:
    with state.db.write() as session:
        state.throttler.record_failure(session, email, address, utcnow())


def _succeeded(state: ServerState, email: str, account: Row, device_name: str, now: datetime) -> SessionToken:
    with state.db.write_connection() as conn:
        state.throttler.record_success(conn, email)
        session_queries.purge_expired_sessions(conn, account.id, now)
        return session_queries.create_session(conn, account.id, device_name, state.settings.session_lifetime, now)

"""FastAPI dependencies, as named aliases so routes read like prose.

``SessionDep`` is a read-only snapshot; ``WriteSessionDep`` a write transaction that commits
after the route returns (and before the response is sent) or rolls back when it raises;
``DatabaseDep`` is for routes that need several transactions (login: read, hash, write).
``CurrentSession`` authenticates the bearer token.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from anyio import CapacityLimiter
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection
from sqlmodel import Session

from vault_server.crud import sessions as session_queries
from vault_server.database import Database
from vault_server.errors import Unauthorized
from vault_server.models.base import utcnow
from vault_server.hashing import AuthKeyHasher
from vault_server.security import token_hash
from vault_server.settings import Settings
from vault_server.throttle import LoginThrottler

LAST_SEEN_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class ServerState:
    """What the app factory builds once and every request shares."""

    settings: Settings
    db: Database
    hasher: AuthKeyHasher
    throttler: LoginThrottler
    decoy_secret: bytes
    hot_threads: CapacityLimiter  # syncs and writes: see vault_server/hotpath.py
    login_threads: CapacityLimiter  # logins' database steps: see vault_server/login.py

    def __repr__(self) -> str:
        return "ServerState()"


@dataclass(frozen=True)
class AuthContext:
    """The authenticated caller: which session and which account."""

    session_id: uuid.UUID
    account_id: uuid.UUID


async def get_state(request: Request) -> ServerState:
    return request.app.state.server


StateDep = Annotated[ServerState, Depends(get_state)]


async def get_database(state: StateDep) -> Database:
    return state.db


DatabaseDep = Annotated[Database, Depends(get_database)]


def read_session(db: DatabaseDep) -> Iterator[Session]:
    with db.read() as session:
        yield session


def write_session(db: DatabaseDep) -> Iterator[Session]:
    with db.write() as session:
        yield session


SessionDep = Annotated[Session, Depends(read_session, scope="function")]
WriteSessionDep = Annotated[Session, Depends(write_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="the session token from login or register")


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def require_session(db: DatabaseDep, credentials: BearerDep) -> AuthContext:
    return authenticate(db, credentials.credentials if credentials is not None else None)


def authenticate(db: Database, token: str | None, conn: Connection | None = None) -> AuthContext:
    """The session and account of a bearer token, or ``Unauthorized``. It queries the database:
    call it from a worker thread. ``CurrentSession`` runs it as a dependency; the two requests every
    device repeats (sync, batch write: ``hotpath.py``) call it themselves, so that each of them makes
    one worker-thread call instead of two. ``conn``: look the token up on this connection (a
    read the caller has open) instead of checking out another."""
    if token is None:
        raise Unauthorized()
    digest = token_hash(token)
    if digest is None:
        raise Unauthorized()
    now = utcnow()
    if conn is not None:
        row = session_queries.live_session(conn, digest, now)
    else:
        with db.statement_connection() as own:  # one statement: no ORM session, no transaction
            row = session_queries.live_session(own, digest, now)
    if row is None:
        raise Unauthorized()
    context = AuthContext(session_id=row.id, account_id=row.account_id)
    stale = now - row.last_seen_at > LAST_SEEN_RESOLUTION
    if stale:
        with db.write() as session:
            session_queries.touch_session(session, context.session_id, now)
    return context


CurrentSession = Annotated[AuthContext, Depends(require_session)]


async def client_address(request: Request) -> str:
    """The peer address (uvicorn applies trusted X-Forwarded-For via --forwarded-allow-ips)."""
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(client_address)]

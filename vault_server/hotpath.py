"""The requests every device repeats, and logins, answered without the framework's machinery.

A sync with nothing new and a batch write are nearly all of a server's traffic. Served through
FastAPI, each one spent about three times more CPU in routing, dependency solving, request objects
and response wrappers than in its own work (token lookup, one or two indexed queries); a login,
which comes in bursts, spent 6.9 ms of the process's CPU beside its hash (2.2 ms now). ``HotPath``
is an ASGI layer inside the error and body-limit middleware that answers exactly

    POST /v1/sync
    POST /v1/vaults/{vault_id}/changes
    POST /v1/login

when the request is well formed (``Content-Type: application/json``, a body the route's own
Pydantic model accepts, a canonical vault id): the same models, queries, transaction discipline,
errors and bytes as the routes in ``routes/vaults.py`` and ``routes/auth.py``, which call the same
functions (``sync_answer`` and ``changes_answer`` below, ``login.login_answer``).
Anything else (a malformed body, another content type) is passed on unchanged to the framework,
whose route gives the one canonical error answer. The database work runs in a worker thread, as
FastAPI runs a synchronous route: the event loop never waits for the database.
"""

from __future__ import annotations

import re
import uuid

import anyio
import anyio.to_thread
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from vault_server.crud import vaults as vault_queries
from vault_server.database import Database
from vault_server.deps import ServerState, authenticate
from vault_server.errors import ApiError, Forbidden, NotFound, api_error_response
from vault_server.middleware import replay
from vault_server.login import login_answer
from vault_server.models import ChangeBatch, ChangeResult, LoginRequest, SyncRequest
from vault_server.models.base import utcnow

SYNC_PATH = "/v1/sync"
LOGIN_PATH = "/v1/login"
# Worker threads for syncs and writes, apart from the pool every other route shares: requests
# parked in threads elsewhere (a burst of registrations or recoveries waiting for their hashes)
# cannot hold up syncs and writes. With the 40 of the shared pool, within the database pool.
HOT_THREADS = 16
_CHANGES_PATH = re.compile(r"/v1/vaults/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/changes")
_JSON_HEADERS = [(b"content-type", b"application/json")]


def sync_answer(db: Database, token: str | None, body: SyncRequest) -> bytes:
    """``POST /v1/sync``: everything that changed in the caller's vaults since the given cursors,
    serialised once (the rows were validated when written). Runs in a worker thread."""
    # The token and the vault list are one statement each: first without a transaction (see
    # ``Database.statement_connection``). Items must come from the snapshot their vault's row
    # came from, so a sync with changes to send reads again in one repeatable-read transaction
    # where statements do not share a snapshot there (PostgreSQL).
    with db.statement_connection() as conn:
        auth = authenticate(db, token, conn)
        result = vault_queries.sync(conn, auth.account_id, body.cursors, items=not db.snapshot_per_statement)
    if result is None:
        with db.read_connection() as conn:
            result = vault_queries.sync(conn, auth.account_id, body.cursors)
        assert result is not None
    return result.model_dump_json().encode()


def changes_answer(db: Database, token: str | None, vault_id: uuid.UUID, body: ChangeBatch) -> ChangeResult:
    """``POST /v1/vaults/{id}/changes``: the items and the new manifest, atomically, or
    ``Conflict``. The whole write transaction runs in this one call (one worker thread), so the
    SQLite write lock is never held across event-loop turns."""
    auth = authenticate(db, token)
    with db.write_connection() as conn:
        role = vault_queries.member_role(conn, vault_id, auth.account_id)
        if role is None:
            raise NotFound("No such vault.")
        if not role.can_write:
            raise Forbidden("Viewers cannot change this vault.")
        return vault_queries.apply_changes(conn, vault_id, body, utcnow())


def bearer_token(value: str | None) -> str | None:
    """The credentials of an ``Authorization: Bearer ...`` header, as FastAPI's ``HTTPBearer``
    reads them (scheme case-insensitive), or None."""
    if not value:
        return None
    scheme, _, credentials = value.partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        return None
    return credentials


class HotPath:
    """ASGI middleware answering well-formed sync and batch-write requests directly."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        vault_id = None
        model: type[SyncRequest | ChangeBatch | LoginRequest]
        if path == SYNC_PATH:
            model = SyncRequest
        elif path == LOGIN_PATH:
            model = LoginRequest
        elif (match := _CHANGES_PATH.fullmatch(path)) is not None:
            model, vault_id = ChangeBatch, uuid.UUID(match.group(1))
        else:
            await self.app(scope, receive, send)
            return
        authorization = None
        is_json = False
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"content-type":
                is_json = value.split(b";", 1)[0].strip().lower() == b"application/json"
        body = await _read_body(receive)
        if body is None:
            return  # the client went away
        try:
            if not is_json:
                raise ValueError("not JSON")
            request = model.model_validate_json(body)
        except (ValidationError, ValueError):
            await self.app(scope, replay(body, receive), send)  # the framework words the error
            return
        state: ServerState = scope["app"].state.server
        token = bearer_token(authorization)
        try:
            if isinstance(request, LoginRequest):
                client = scope.get("client")
                payload = await login_answer(state, request, client[0] if client else "unknown")
            elif isinstance(request, SyncRequest):
                payload = await anyio.to_thread.run_sync(sync_answer, state.db, token, request,
                                                         limiter=state.hot_threads)
            else:
                assert vault_id is not None
                result = await anyio.to_thread.run_sync(changes_answer, state.db, token, vault_id, request,
                                                        limiter=state.hot_threads)
                payload = result.model_dump_json().encode()
        except ApiError as exc:
            await api_error_response(exc)(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*_JSON_HEADERS, (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)

"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
import re
from contextlib import asynccontextmanager
from typing import Any

from anyio import CapacityLimiter
from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi

from vault_server import __version__
from vault_server.crud.secrets import get_or_create_secret
from vault_server.database import Database
from vault_server.deps import ServerState, SessionDep
from vault_server.errors import install_error_handlers
from vault_server.hotpath import HOT_THREADS, HotPath
from vault_server.login import LOGIN_THREADS
from vault_server.middleware import BodyLimitMiddleware, RouteLimit
from vault_server.models import ConflictState
from vault_server.models.attachments import ATTACHMENT_OVERHEAD
from vault_server.routes import account, attachments, auth, recovery, reset, sharing, vaults
from vault_server.hashing import AuthKeyHasher
from vault_server.settings import Settings
from vault_server.throttle import LoginThrottler

API_PREFIX = "/v1"
SECRET_DECOY = "prelogin-decoy"
SECRET_THROTTLE = "login-throttle"

log = logging.getLogger("vault_server")

meta = APIRouter(tags=["meta"])


@meta.get("/health")
def health(session: SessionDep) -> dict[str, str]:
    """Liveness and database reachability, for load balancers."""
    session.connection()
    return {"status": "ok"}


def create_app(settings: Settings, *, db: Database | None = None, hot_path: bool = True) -> FastAPI:
    """Build the server for ``settings``; nothing global, so tests can build many.

    The database must already be migrated (``bv-server db upgrade``); server secrets are read,
    or created by the first process, at startup. ``hot_path=False`` leaves every request to the
    framework's routes (tests compare the two).
    """
    database = db or Database.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        with database.write() as session:
            decoy = get_or_create_secret(session, SECRET_DECOY)
            throttle = get_or_create_secret(session, SECRET_THROTTLE)
        app.state.server = ServerState(
            settings=settings,
            db=database,
            hasher=AuthKeyHasher.from_settings(settings),
            throttler=LoginThrottler(settings, throttle),
            decoy_secret=decoy,
            hot_threads=CapacityLimiter(HOT_THREADS),
            login_threads=CapacityLimiter(LOGIN_THREADS),
        )
        # Everything made so far (modules, models, routes: some 100,000 objects) lives as long as
        # the process. Frozen out of the collector's sight, they are not scanned again by every
        # full collection, which took 100 ms under a write load (and set the write p99); 5 ms now.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            app.state.server.hasher.close()
            database.dispose()

    app = FastAPI(
        title="Blindvault sync server",
        version=__version__,
        summary="Stores and forwards ciphertext for the bv client. It never sees a key or plaintext.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
        # No OpenTelemetry: the server exports nothing, and checking for providers on every
        # request cost a tenth of a no-change sync.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    if hot_path:
        app.add_middleware(HotPath)  # inside the error and body-limit middleware added below
    install_error_handlers(app)
    for router in (meta, auth.router, account.router, recovery.router, reset.router, vaults.router,
                   sharing.router, attachments.router):
        app.include_router(router, prefix=API_PREFIX)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes,
                       route_limits=route_limits(settings))
    app.openapi = lambda: openapi_schema(app)  # type: ignore[method-assign]
    return app


_SEGMENT = "[^/]+"


def route_limits(settings: Settings) -> list[RouteLimit]:
    """Routes whose bodies may exceed ``BV_MAX_BODY_BYTES`` (or must stay below it)."""
    return [
        RouteLimit("POST", re.compile(f"{API_PREFIX}/vaults/{_SEGMENT}/rotate"), settings.max_rotate_body_bytes),
        RouteLimit("PUT", re.compile(f"{API_PREFIX}/vaults/{_SEGMENT}/attachments/{_SEGMENT}"),
                   settings.max_attachment_bytes + ATTACHMENT_OVERHEAD),
    ]


def app_from_env() -> FastAPI:
    """Entry point for uvicorn workers (``factory=True``): settings from BV_* variables."""
    return create_app(Settings.from_env())


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable snake_case code"},
                "message": {"type": "string"},
                "retry_after": {"type": "integer", "description": "seconds (rate_limited only)"},
            },
        },
        "current": {"$ref": "#/components/schemas/ConflictState"},
    },
}


def openapi_schema(app: FastAPI) -> dict[str, Any]:
    """OpenAPI with the real error shape: 422 is never sent (bad input is 400 invalid_request)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    components["Error"] = ERROR_SCHEMA
    conflict = ConflictState.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    components.update(conflict.pop("$defs", {}))
    components["ConflictState"] = conflict
    error_ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for path in schema["paths"].values():
        for operation in path.values():
            responses = operation["responses"]
            responses.pop("422", None)
            for code, description in (("400", "invalid_request"), ("401", "unauthorized / bad_credentials"),
                                      ("403", "forbidden"), ("404", "not_found"), ("409", "conflict / email_taken"),
                                      ("413", "body_too_large"), ("429", "rate_limited")):
                if code in responses:
                    responses[code].update(error_ref)
            responses.setdefault("default", {"description": "error", **error_ref})
    app.openapi_schema = schema
    return schema

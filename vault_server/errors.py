"""API errors and the handlers that render every error as ``{"error": {"code", "message"}}``.

Each ``ApiError`` subclass has a stable ``code`` and HTTP status; its docstring is the default
message. Validation messages name the offending field and rule, never the submitted value (which
may be key material).
"""

from __future__ import annotations

import logging
import traceback
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("vault_server")


class ApiError(Exception):
    """The request failed."""

    status = 400
    code = "invalid_request"

    def __init__(self, message: str | None = None, *, extra: dict[str, Any] | None = None,
                 top: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        self.message = message or (self.__doc__ or "").strip()
        self.extra = extra or {}  # keys added inside the "error" object
        self.top = top or {}  # keys added beside the "error" object
        self.headers = headers
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {**error_body(self.code, self.message, **self.extra), **self.top}


class InvalidRequest(ApiError):
    """The request is malformed."""


class Unauthorized(ApiError):
    """Missing, expired or revoked session token."""

    status, code = 401, "unauthorized"

    def __init__(self, message: str | None = None):
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class BadCredentials(ApiError):
    """Wrong email or auth key."""

    status, code = 401, "bad_credentials"


class InvalidToken(ApiError):
    """The reset token is wrong, used or expired, or is not for this email."""

    status, code = 401, "invalid_token"


class Forbidden(ApiError):
    """Your role in this vault does not allow that."""

    status, code = 403, "forbidden"


class NotFound(ApiError):
    """Not found."""

    status, code = 404, "not_found"


class EmailTaken(ApiError):
    """An account with this email already exists."""

    status, code = 409, "email_taken"


class Conflict(ApiError):
    """The data changed on the server since the version this request was based on."""

    status, code = 409, "conflict"

    def __init__(self, message: str | None = None, *, current: dict[str, Any] | None = None):
        super().__init__(message, top={"current": current} if current is not None else None)


class StaleGeneration(ApiError):
    """The vault key was rotated since this request was made; fetch the vault and try again."""

    status, code = 409, "stale_generation"


class LastOwner(ApiError):
    """The last owner cannot leave a vault; make another member owner or delete the vault."""

    status, code = 409, "last_owner"


class RateLimited(ApiError):
    """Too many failed attempts; try again later."""

    status, code = 429, "rate_limited"

    def __init__(self, retry_after: float, what: str = "failed attempts"):
        seconds = max(1, math.ceil(retry_after))
        super().__init__(
            f"Too many {what}; try again in {seconds} seconds.",
            extra={"retry_after": seconds},
            headers={"Retry-After": str(seconds)},
        )


class BodyTooLarge(ApiError):
    """The request body is too large."""

    status, code = 413, "body_too_large"


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None,
                   **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(code, message, **extra), status_code=status, headers=headers)


_STATUS_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "body_too_large",
    415: "unsupported_media_type",
}


def _describe_validation(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "The request is malformed."
    first = errors[0]
    loc = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body",)) or "body"
    if first.get("type") == "json_invalid":
        return "The request body is not valid JSON."
    if loc == "body" and first.get("type") in ("model_attributes_type", "dict_type", "missing"):
        return "The request body must be a JSON object sent as Content-Type: application/json."
    if first.get("type") == "extra_forbidden":
        return f"Unknown field: {loc}."
    if first.get("type") == "missing":
        return f"Missing field: {loc}."
    msg = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"Invalid {loc}: {msg}{more}."


def api_error_response(exc: ApiError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error response, including unknown routes and wrong methods, the JSON shape."""

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return api_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, "invalid_request", _describe_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else "The request failed."
        if exc.status_code == 404:
            message = "No such endpoint."
        elif exc.status_code == 405:
            message = "This endpoint does not take that method."
        return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    app.add_middleware(UnexpectedErrorMiddleware)


class UnexpectedErrorMiddleware:
    """The last resort for an exception no handler took: log only its type and frames (its message
    can quote SQL parameters: hashes, wrapped keys), answer 500 ``internal_error`` if no response
    has started, and do not re-raise. (Starlette's own 500 handling re-raises, and the server then
    logs the whole exception with its message and drops the keep-alive connection.)"""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # noqa: BLE001 - this is the handler of last resort
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("unexpected %s while handling a request\n%s", type(exc).__name__, frames)
            if not started:
                response = error_response(500, "internal_error", "The server failed to handle this request.")
                await response(scope, receive, send)

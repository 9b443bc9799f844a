"""ASGI middleware: a hard bound on request body size.

Bodies are read up to the limit (whatever Content-Length claims, and for chunked uploads too);
one byte more and the client gets 413 ``body_too_large`` without the app seeing the request.
A few routes have their own limit (``RouteLimit``): key rotation, attachment uploads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vault_server.errors import BodyTooLarge


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the app ``body`` (already read, whole) and then what follows."""
    sent = False

    async def receive_again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return receive_again


@dataclass(frozen=True)
class RouteLimit:
    """Requests with ``method`` whose path matches ``pattern`` (whole path) may send ``max_bytes``."""

    method: str
    pattern: re.Pattern[str]
    max_bytes: int


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int, route_limits: Sequence[RouteLimit] = ()):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.route_limits = tuple(route_limits)

    def limit_for(self, scope: Scope) -> int:
        for rule in self.route_limits:
            if scope.get("method") == rule.method and rule.pattern.fullmatch(scope.get("path", "")):
                return rule.max_bytes
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = False
            if too_large:
                await self._reject(send)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                await self._reject(send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        await self.app(scope, replay(b"".join(chunks), receive), send)

    @staticmethod
    async def _reject(send: Send) -> None:
        err = BodyTooLarge()
        payload = json.dumps(err.body()).encode()
        await send({
            "type": "http.response.start",
            "status": err.status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                        (b"connection", b"close")],
        })
        await send({"type": "http.response.body", "body": payload})

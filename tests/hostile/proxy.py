"""A hostile server for tests: a loopback HTTP proxy in front of a real ``bv-server``.

The client under test talks to ``proxy.url``. Every request is recorded (method, path, query,
JSON body) and forwarded to the real server, unless a hook says otherwise:

    proxy.rewrite("POST", "/v1/sync", fn)    # fn(doc, exchange) -> new doc, a Reply, or None (keep)
    proxy.respond("POST", "/v1/sync", Reply(307, headers={"Location": "http://elsewhere/"}))
    proxy.requests("POST", "/v1/login")      # what the client sent, in order

Paths in hooks and filters are ``fnmatch`` patterns (``/v1/vaults/*/key``). The newest hook that
matches wins; ``proxy.reset()`` drops hooks and records between tests. The proxy never follows
redirects itself, so whatever it (or a hook) answers reaches the client unchanged.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx

HOP_HEADERS = {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "accept-encoding"}


@dataclass
class Reply:
    """An answer to the client: a status, a JSON document (or raw bytes) and extra headers."""

    status: int = 200
    json: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.json is None:
            return b""
        return json.dumps(self.json).encode()


@dataclass
class Exchange:
    """One request as the client sent it, and the answer the client got."""

    method: str
    path: str
    query: str
    body: Any  # parsed JSON, or None
    raw: bytes
    reply: Reply | None = None

    def text(self) -> str:
        return self.raw.decode("utf-8", errors="replace")


Rewrite = Callable[[Any, Exchange], Any]


@dataclass
class _Hook:
    method: str
    pattern: str
    rewrite: Rewrite | None
    reply: Reply | None
    times: int | None


class HostileProxy:
    """Start with ``with HostileProxy(upstream_url) as proxy:``; ``proxy.url`` is the server to use."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self._hooks: list[_Hook] = []
        self._log: list[Exchange] = []
        self._lock = threading.Lock()
        self._http = httpx.Client(base_url=self.upstream, timeout=30.0, follow_redirects=False)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="hostile-proxy", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> HostileProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.close()

    # -- the test's side -------------------------------------------------------------------------

    def rewrite(self, method: str, pattern: str, fn: Rewrite, *, times: int | None = None) -> None:
        """Forward matching requests, then pass the server's JSON answer through ``fn``.

        ``fn(doc, exchange)`` may change ``doc`` in place (return None), return a new document, or
        return a ``Reply`` to change the status too. ``times`` limits how often the hook fires.
        """
        with self._lock:
            self._hooks.append(_Hook(method.upper(), pattern, fn, None, times))

    def respond(self, method: str, pattern: str, reply: Reply, *, times: int | None = None) -> None:
        """Answer matching requests with ``reply`` without asking the real server."""
        with self._lock:
            self._hooks.append(_Hook(method.upper(), pattern, None, reply, times))

    def reset(self) -> None:
        with self._lock:
            self._hooks.clear()
            self._log.clear()

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def requests(self, method: str | None = None, pattern: str = "*") -> list[Exchange]:
        with self._lock:
            return [x for x in self._log
                    if (method is None or x.method == method.upper()) and fnmatchcase(x.path, pattern)]

    def paths(self) -> list[str]:
        """``"METHOD /path"`` of every recorded request, in order."""
        return [f"{x.method} {x.path}" for x in self.requests()]

    # -- the client's side -----------------------------------------------------------------------

    def _take_hook(self, method: str, path: str) -> _Hook | None:
        with self._lock:
            for hook in reversed(self._hooks):
                if hook.method == method and fnmatchcase(path, hook.pattern):
                    if hook.times is not None:
                        hook.times -= 1
                        if hook.times <= 0:
                            self._hooks.remove(hook)
                    return hook
        return None

    def _handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Reply:
        parts = urlsplit(target)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        exchange = Exchange(method, parts.path, parts.query, body, raw)
        with self._lock:
            self._log.append(exchange)
        hook = self._take_hook(method, parts.path)
        if hook is not None and hook.reply is not None:
            reply = hook.reply
        else:
            reply = self._forward(method, target, headers, raw)
            if hook is not None and hook.rewrite is not None:
                reply = self._apply(hook.rewrite, reply, exchange)
        exchange.reply = reply
        return reply

    def _forward(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Reply:
        sent = {k: v for k, v in headers.items() if k.lower() not in HOP_HEADERS}
        resp = self._http.request(method, target, content=raw or None, headers=sent)
        keep = {k: v for k, v in resp.headers.items() if k.lower() in ("retry-after", "location")}
        try:
            doc = resp.json() if resp.content else None
        except ValueError:
            return Reply(resp.status_code, raw=resp.content, headers=keep)
        return Reply(resp.status_code, json=doc, headers=keep)

    @staticmethod
    def _apply(fn: Rewrite, reply: Reply, exchange: Exchange) -> Reply:
        result = fn(reply.json, exchange)
        if isinstance(result, Reply):
            return result
        doc = reply.json if result is None else result
        return Reply(reply.status, json=doc, headers=reply.headers)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    reply = proxy._handle(self.command, self.path, dict(self.headers.items()), raw)
                except Exception as exc:  # noqa: BLE001 - a broken hook must show, not hang the client
                    reply = Reply(599, raw=f"hostile proxy failed: {exc!r}".encode())
                body = reply.body()
                self.send_response(reply.status)
                if reply.raw is None and body:
                    self.send_header("Content-Type", "application/json")
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                pass

        return Handler


class Listener:
    """A loopback HTTP server that only records who contacted it (a URL the server 'chose')."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                listener.hits.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="listener", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

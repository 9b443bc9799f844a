"""People sharing vaults, driven in this process through the client library (no `bv` start-up).

Each ``Member`` is one account on one device: its own ``BV_HOME`` (account, session, pins,
cache), made with the client's own ``create_account``, so ``member.device`` can also run the real
`bv` there. Library calls that read the home (pins, journals) go inside ``with member:``.

``CuttingProxy`` sits between the members and a real server: it forwards requests, and on a
matching one can run an action first (kill the server, change the vault), drop the connection
without an answer, or forward and then drop the answer.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from fnmatch import fnmatchcase
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tests.client.bv import FLOOR_KDF, Device
from vault_client import attachments, state
from vault_client.account import create_account, open_cache, unlock
from vault_client.items.model import Item, new_item
from vault_client.sharing import Sharing
from vault_client.sync import SyncEngine
from vault_client.transport import Api
from vault_client.vault import VaultView

PASSWORD = "correct horse battery staple"


class Member:
    def __init__(self, root: Path, name: str, server_url: str) -> None:
        self.device = Device(root, name, PASSWORD)
        self.email = f"{name}@example.org"
        self._saved: list[dict[str, str | None]] = []
        with self:
            self.api = Api(server_url)
            self.account = create_account(self.api, server_url, self.email, PASSWORD, insecure=False).account
            self.api.set_token(state.load_session().token)
            self.keys = unlock(self.account, PASSWORD)
            self.cache = open_cache(self.account)

    def __repr__(self) -> str:
        return f"Member({self.email!r})"

    def __enter__(self) -> Member:
        self._saved.append({k: os.environ.get(k) for k in ("BV_HOME", "BV_KDF")})
        os.environ.update(BV_HOME=str(self.device.home), BV_KDF=FLOOR_KDF)
        return self

    def __exit__(self, *exc: object) -> None:
        for key, value in self._saved.pop().items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def close(self) -> None:
        self.cache.close()
        self.api.close()

    @property
    def sharing(self) -> Sharing:
        return Sharing(self.cache, self.keys, self.api, self.email)

    @property
    def view(self) -> VaultView:
        return VaultView(self.cache, self.keys)

    def sync(self) -> None:
        with self:
            SyncEngine(self.cache, self.keys, self.api).sync()

    def add(self, vault_id: str, name: str, **fields: str) -> str:
        """A new login item, pushed."""
        with self:
            item_id = self.view.save(vault_id, new_item("login", name, **fields))
            SyncEngine(self.cache, self.keys, self.api).push()
        return item_id

    def item(self, vault_id: str, item_id: str) -> Item:
        return next(e.item for e in self.view.entries([vault_id]) if e.item_id == item_id)

    def attach(self, vault_id: str, item_id: str, name: str, data: bytes, *, replace: bool = False) -> None:
        """Attach ``data`` as ``name`` to the item (uploaded, saved, pushed)."""
        with self:
            item, _ = attachments.attach(self.api, vault_id, self.item(vault_id, item_id), name, data,
                                         replace=replace)
            self.view.save(vault_id, item, item_id)
            SyncEngine(self.cache, self.keys, self.api).push()

    def detach(self, vault_id: str, item_id: str, name: str, *, purge: bool) -> None:
        with self:
            item = self.item(vault_id, item_id)
            ref = attachments.find_attachment(item, name)
            self.view.save(vault_id, attachments.detach(self.api, vault_id, item, ref, purge=purge), item_id)
            SyncEngine(self.cache, self.keys, self.api).push()


def family(root: Path, server_url: str, *, items: int = 2) -> tuple[Member, Member, Member, str]:
    """owner, editor, viewer sharing a vault "Family" holding ``items`` logins; its id last."""
    owner, editor, viewer = (Member(root, name, server_url) for name in ("owner", "editor", "viewer"))
    with owner:
        vault_id = owner.sharing.create_vault("Family")
        items_ = [(new_item("login", f"site-{i}", username=f"user{i}", password=f"pw-{i}"), None) for i in range(items)]
        owner.view.save_many(vault_id, items_)
        SyncEngine(owner.cache, owner.keys, owner.api).push()
        owner.sharing.share(vault_id, editor.email, "editor")
        owner.sharing.share(vault_id, viewer.email, "viewer")
    for member in (editor, viewer):
        with member:
            member.sharing.accept(vault_id, trust_new=True)
    return owner, editor, viewer, vault_id


# -- a proxy that cuts requests short ----------------------------------------------------------------

FORWARD, DROP, DROP_ANSWER = "forward", "drop", "drop answer"
_HOP = {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "accept-encoding"}


class CuttingProxy:
    """``with CuttingProxy(server.url) as proxy:``; members use ``proxy.url``.

    ``proxy.on("POST", "/v1/vaults/*/rotate", action, then=None)``: for the next matching
    request, ``action()`` runs first and returns ``FORWARD``, ``DROP`` (close the connection
    without an answer, the request never reaching the server) or ``DROP_ANSWER`` (forward, then
    close without passing the answer on); ``then()`` runs once the server has answered. ``proxy.cut_all = True`` drops every request; ``upstream``
    may change (a restarted server listens on a new port). ``seen`` lists "METHOD /path".
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.cut_all = False
        self.seen: list[str] = []
        self._hooks: list[tuple[str, str, Callable[[], str], Callable[[], None] | None]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="cutting-proxy", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def on(self, method: str, pattern: str, action: Callable[[], str],
           then: Callable[[], None] | None = None) -> None:
        with self._lock:
            self._hooks.append((method, pattern, action, then))

    def __enter__(self) -> CuttingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _take(self, method: str, path: str) -> tuple[Callable[[], str] | None, Callable[[], None] | None]:
        with self._lock:
            self.seen.append(f"{method} {path}")
            for hook in self._hooks:
                if hook[0] == method and fnmatchcase(path, hook[1]):
                    self._hooks.remove(hook)
                    return hook[2], hook[3]
        return None, None

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> httpx.Response:
        sent = {k: v for k, v in headers.items() if k.lower() not in _HOP}
        with httpx.Client(base_url=self.upstream, timeout=120) as client:
            return client.request(method, path, content=body or None, headers=sent)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                self.close_connection = True
                action, then = proxy._take(self.command, self.path.split("?")[0])
                mode = DROP if proxy.cut_all else (action() if action else FORWARD)
                if mode == DROP:
                    return
                try:
                    resp = proxy._forward(self.command, self.path, dict(self.headers.items()), body)
                except httpx.HTTPError:
                    return  # the server is gone: so is the connection
                if then is not None:
                    then()
                if mode == DROP_ANSWER:
                    return
                self.send_response(resp.status_code)
                for key, value in resp.headers.items():
                    if key.lower() in ("content-type", "retry-after"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(resp.content)))
                self.end_headers()
                self.wfile.write(resp.content)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                pass

        return Handler

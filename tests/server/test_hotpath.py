"""The hot path (``vault_server/hotpath.py``) answers sync and batch writes exactly as the routes do.

Two apps over one database, one with the hot path and one without: every request below, well
formed or not, gets the same status, headers that matter and body from both. A spy on the
routes' functions shows which requests the hot path served itself and which it passed on.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import warnings

import httpx
import pytest

with warnings.catch_warnings():  # starlette suggests another HTTP client package; httpx is ours
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from tests.helpers import fakes
from tests.helpers.pg import temporary_pg_database
from tests.server.api import Api, Registered
from vault_server import hotpath
from vault_server.app import create_app
from vault_server.database import Database, make_engine
from vault_server.migrate import upgrade
from vault_server.routes import auth as auth_routes
from vault_server.routes import vaults as vault_routes
from vault_server.settings import Settings

BASE = "http://testserver/v1"
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_kib": 8, "argon2_parallelism": 1}


class Pair:
    """The same requests through the app with the hot path and the app without it."""

    def __init__(self, hot: TestClient, plain: TestClient):
        self.hot, self.plain = hot, plain
        self.spy: RouteSpy | None = None
        self.hot_route_calls = 0  # route-function calls while the app with the hot path answered
        self.api = Api("http://unused")
        self.api.client.close()
        self.api.client = plain

    def both(self, method: str, path: str, token: str | None = None, *, body: Any = None,
             raw: bytes | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
        """Send to both apps (hot first); assert the answers are the same; return one."""
        answers = []
        for client in (self.hot, self.plain):
            before = self.spy.calls if self.spy else 0
            h = {"Authorization": f"Bearer {token}"} if token is not None else {}
            h.update(headers or {})
            if raw is not None:
                answers.append(client.request(method, path, content=raw, headers=h))
            else:
                answers.append(client.request(method, path, json=body, headers=h))
            if self.spy and client is self.hot:
                self.hot_route_calls += self.spy.calls - before
        hot, plain = answers
        assert hot.status_code == plain.status_code, (hot.text, plain.text)
        assert hot.headers.get("content-type") == plain.headers.get("content-type")
        assert hot.headers.get("www-authenticate") == plain.headers.get("www-authenticate")
        assert json.loads(hot.content) == json.loads(plain.content), (hot.text, plain.text)
        return hot


@pytest.fixture(params=["sqlite", "postgres"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pair]:
    if request.param == "postgres":
        with temporary_pg_database() as url:
            yield from _pair(Settings(data_dir=tmp_path, database_url=url, **FAST_HASHING))
    else:
        yield from _pair(Settings(data_dir=tmp_path, **FAST_HASHING))


def _pair(settings: Settings) -> Iterator[Pair]:
    engine = make_engine(settings)
    upgrade(engine)
    engine.dispose()
    hot_app = create_app(settings, db=Database.from_settings(settings), hot_path=True)
    plain_app = create_app(settings, db=Database.from_settings(settings), hot_path=False)
    with TestClient(hot_app, base_url=BASE) as hot, TestClient(plain_app, base_url=BASE) as plain:
        yield Pair(hot, plain)


class RouteSpy:
    """Counts calls of the routes' sync and write functions (the hot path calls its own names)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.calls = 0
        for name in ("sync_answer", "changes_answer"):
            real = getattr(hotpath, name)

            def counting(*args: Any, _real: Any = real) -> Any:
                self.calls += 1
                return _real(*args)

            monkeypatch.setattr(vault_routes, name, counting)


def _items(n: int) -> list[dict[str, Any]]:
    return [fakes.item_change() for _ in range(n)]


def test_same_answers_with_and_without_the_hot_path(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    owner: Registered = pair.api.register()
    viewer: Registered = pair.api.register()
    pair.api.share(owner, owner.vault_id, viewer, "viewer")
    vault = owner.vault_id
    pair.spy = spy = RouteSpy(monkeypatch)

    # Served by the hot path (the route functions are never called for these) ...
    doc = pair.both("POST", "/sync", owner.token, body={"cursors": {}}).json()
    assert [v["vault_id"] for v in doc["vaults"]] == [vault]
    seq = doc["vaults"][0]["seq"]
    pair.both("POST", "/sync", owner.token, body={"cursors": {vault: seq}})
    pair.both("POST", "/sync", owner.token, body={"cursors": {fakes.new_id(): 3}})  # removed_vaults
    pair.both("POST", "/sync", None, body={"cursors": {}})  # 401
    pair.both("POST", "/sync", "not-a-token", body={"cursors": {}})  # 401
    pair.both("POST", "/sync", owner.token, body={"cursors": {}}, headers={"Authorization": "Basic abc"})
    pair.both("POST", "/sync", owner.token, body={}, headers={"Content-Type": "application/json; charset=utf-8"})
    conflict = pair.both("POST", f"/vaults/{vault}/changes", owner.token, body=fakes.batch(41, _items(1)))
    assert conflict.status_code == 409 and conflict.json()["current"]["manifest_version"] == 0
    denied = pair.both("POST", f"/vaults/{vault}/changes", viewer.token, body=fakes.batch(0, _items(1)))
    assert denied.status_code == 403
    missing = pair.both("POST", f"/vaults/{fakes.new_id()}/changes", owner.token, body=fakes.batch(0, _items(1)))
    assert missing.status_code == 404
    assert pair.hot_route_calls == 0 and spy.calls == 10  # only the app without the hot path called them

    # ... and writes that succeed: one through each app, each checked by a sync through the other.
    for n, client in enumerate((pair.hot, pair.plain)):
        base = n
        resp = client.post(f"/vaults/{vault}/changes", json=fakes.batch(base, _items(2)),
                           headers={"Authorization": f"Bearer {owner.token}"})
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"seq": seq + 1 + n, "manifest_version": base + 1}
        assert resp.headers["content-type"] == "application/json"
        state = pair.both("POST", "/sync", owner.token, body={"cursors": {vault: seq + n}}).json()
        assert len(state["vaults"][0]["items"]) == 2
    assert pair.hot_route_calls == 0

    # Passed on to the framework, which words the error: both apps answer 400 the same way.
    before = spy.calls
    for raw, headers in (
        (b"{not json", {"Content-Type": "application/json"}),
        (b'{"cursors": {}}', {"Content-Type": "text/plain"}),
        (b'{"cursors": {}}', {}),
        (b'{"cursors": {}, "extra": 1}', {"Content-Type": "application/json"}),
        (b'{"cursors": {"not-a-uuid": 1}}', {"Content-Type": "application/json"}),
        (b'{"cursors": {"%s": -1}}' % vault.encode(), {"Content-Type": "application/json"}),
        (b"[]", {"Content-Type": "application/json"}),
        (b"", {"Content-Type": "application/json"}),
    ):
        resp = pair.both("POST", "/sync", owner.token, raw=raw, headers=headers)
        assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid_request", resp.text
    bad_batch = fakes.batch(2, _items(1))
    bad_batch["manifest"]["version"] = 9
    resp = pair.both("POST", f"/vaults/{vault}/changes", owner.token, body=bad_batch)
    assert resp.status_code == 400
    resp = pair.both("POST", f"/vaults/{vault.upper()}/changes", owner.token, body=fakes.batch(2, _items(1)))
    assert resp.status_code == 400
    assert spy.calls == before  # validation failed before the route functions were reached (both apps)


def test_hot_path_leaves_other_routes_and_methods_alone(pair: Pair) -> None:
    owner = pair.api.register()
    assert pair.both("GET", "/sync", owner.token).status_code == 405
    assert pair.both("POST", f"/vaults/{owner.vault_id}/changes/extra", owner.token, body={}).status_code == 404
    assert pair.both("GET", "/health").json() == {"status": "ok"}


@pytest.mark.parametrize("value, expected", [
    ("Bearer abc", "abc"),
    ("bearer abc", "abc"),
    ("BEARER abc def", "abc def"),
    ("Basic abc", None),
    ("Bearer", None),
    ("Bearer ", None),
    ("", None),
    (None, None),
])
def test_bearer_token_is_read_as_the_framework_reads_it(value: str | None, expected: str | None) -> None:
    assert hotpath.bearer_token(value) == expected


def test_startup_objects_are_frozen_out_of_the_collector(pair: Pair) -> None:
    # Full collections otherwise rescan some 100,000 long-lived objects (100 ms under load).
    assert gc.get_freeze_count() > 50_000


class LoginSpy:
    """Counts calls of the login route's ``login_answer`` (the hot path calls its own name)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.calls = 0
        real = auth_routes.login_answer

        async def counting(*args: Any) -> bytes:
            self.calls += 1
            return await real(*args)

        monkeypatch.setattr(auth_routes, "login_answer", counting)


def _login(email: str, auth_key: bytes, device: str = "laptop") -> dict[str, str]:
    return {"email": email, "auth_key": fakes.b64(auth_key), "device_name": device}


def test_logins_answered_alike_with_and_without_the_hot_path(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    user = pair.api.register()
    spy = LoginSpy(monkeypatch)

    # Success: both answer 200 with the same account and a new session each, which works in the other app.
    answers = [client.post("/login", json=_login(user.email, user.auth_key)) for client in (pair.hot, pair.plain)]
    assert spy.calls == 1  # the app without the hot path only
    assert [a.status_code for a in answers] == [200, 200]
    assert [a.headers["content-type"] for a in answers] == ["application/json"] * 2
    hot, plain = (a.json() for a in answers)
    assert hot["account"] == plain["account"] and hot["account"]["account_id"] == user.account_id
    assert hot.keys() == plain.keys() and hot["session"].keys() == plain["session"].keys()
    assert hot["session"]["token"] != plain["session"]["token"]
    for token, other in ((hot["session"]["token"], pair.plain), (plain["session"]["token"], pair.hot)):
        resp = other.post("/sync", json={"cursors": {}}, headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200, resp.text
    sessions = pair.both("GET", "/sessions", user.token).json()["sessions"]
    assert sorted(s["device_name"] for s in sessions) == ["device A", "laptop", "laptop"]

    # Failures: the same error from both, and counted by both (one table of counters).
    spy.calls = 0
    wrong = pair.both("POST", "/login", body=_login(user.email, b"\x00" * 32))
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "bad_credentials"
    unknown = pair.both("POST", "/login", body=_login("nobody@example.org", user.auth_key))
    assert unknown.json() == wrong.json()
    for raw, headers in (
        (b"{not json", {"Content-Type": "application/json"}),
        (json.dumps(_login(user.email, user.auth_key)).encode(), {"Content-Type": "text/plain"}),
        (json.dumps({**_login(user.email, user.auth_key), "extra": 1}).encode(), {"Content-Type": "application/json"}),
        (json.dumps({**_login(user.email, user.auth_key), "auth_key": "short"}).encode(),
         {"Content-Type": "application/json"}),
        (json.dumps({"email": user.email}).encode(), {"Content-Type": "application/json"}),
    ):
        resp = pair.both("POST", "/login", raw=raw, headers=headers)
        assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid_request", resp.text
    assert spy.calls == 2  # the plain app's two failures; the malformed ones never reached a login

    # Throttled: blocked in both apps alike once enough failures were counted through either.
    for n in range(20):
        client = (pair.hot, pair.plain)[n % 2]
        if client.post("/login", json=_login(user.email, b"\x01" * 32)).status_code == 429:
            break
    for client in (pair.hot, pair.plain):
        blocked = client.post("/login", json=_login(user.email, user.auth_key))  # even the right key
        assert blocked.status_code == 429 and blocked.json()["error"]["code"] == "rate_limited"
        assert int(blocked.headers["retry-after"]) >= 1


def test_no_change_sync_on_postgresql_runs_outside_a_transaction(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    # PostgreSQL: the token and the vault list are read in autocommit (no BEGIN, no ROLLBACK);
    # when items are to be sent, everything is read again in one repeatable-read transaction, so
    # items and their vault's row come from one snapshot. SQLite: one transaction, read once.
    owner = pair.api.register()
    vault = owner.vault_id
    calls: list[tuple[bool, str | None, bool]] = []  # (autocommit, isolation, answered)
    real = hotpath.vault_queries.sync

    def spying(conn: Any, *args: Any, **kwargs: Any) -> Any:
        driver = conn.connection.driver_connection
        autocommit = bool(getattr(driver, "autocommit", False))
        level = conn.get_isolation_level() if not autocommit else None
        answer = real(conn, *args, **kwargs)
        calls.append((autocommit, level, answer is not None))
        return answer

    monkeypatch.setattr(hotpath.vault_queries, "sync", spying)
    postgres = pair.hot.app.state.server.db.snapshot_per_statement
    seq = pair.hot.post("/sync", json={"cursors": {}}, headers={"Authorization": f"Bearer {owner.token}"}).json()
    seq = seq["vaults"][0]["seq"]
    calls.clear()
    unchanged = pair.both("POST", "/sync", owner.token, body={"cursors": {vault: seq}}).json()
    assert unchanged["vaults"][0]["items"] == []
    assert calls[0] == ((True, None, True) if postgres else (False, calls[0][1], True))
    resp = pair.plain.post(f"/vaults/{vault}/changes", json=fakes.batch(0, _items(2)),
                           headers={"Authorization": f"Bearer {owner.token}"})
    assert resp.status_code == 200, resp.text
    calls.clear()
    changed = pair.both("POST", "/sync", owner.token, body={"cursors": {vault: seq}}).json()
    assert len(changed["vaults"][0]["items"]) == 2
    if postgres:
        assert calls[:2] == [(True, None, False), (False, "REPEATABLE READ", True)]
    else:
        assert len(calls) == 2 and all(answered for _, _, answered in calls)  # one call per app, read once


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_connections_come_back_from_autocommit_in_transactions(backend: str, tmp_path: Path) -> None:
    # A connection lent out in autocommit (PostgreSQL) goes back to the pool and comes out again for
    # a write: it must be in a transaction again, or a batch that fails half-way would stay half
    # written. Every pooled connection is lent in autocommit first, then to reads and writes.
    from sqlalchemy import text

    def check(settings: Settings) -> None:
        engine = make_engine(settings)
        upgrade(engine)
        db = Database(engine)
        try:
            with ExitStack() as stack:  # hold several at once, so the pool makes several
                for _ in range(4):
                    conn = stack.enter_context(db.statement_connection())
                    conn.execute(text("SELECT 1"))
                    assert bool(getattr(conn.connection.driver_connection, "autocommit", False)) == (backend == "postgres")
            for _ in range(4):
                with db.write_connection() as conn:
                    conn.execute(text("SELECT 1"))
                    assert not getattr(conn.connection.driver_connection, "autocommit", False)
                    assert conn.in_transaction()
                with db.read_connection() as conn:
                    conn.execute(text("SELECT 1"))
                    assert not getattr(conn.connection.driver_connection, "autocommit", False)
                    if backend == "postgres":
                        assert conn.get_isolation_level() == "REPEATABLE READ"
            if backend == "postgres":  # and a failed write leaves nothing behind
                with pytest.raises(RuntimeError), db.write_connection() as conn:
                    conn.execute(text("CREATE TABLE bv_probe (x int)"))
                    raise RuntimeError("fails half-way")
                with db.statement_connection() as conn:
                    assert conn.execute(text("SELECT to_regclass('bv_probe')")).scalar() is None
        finally:
            db.dispose()

    if backend == "postgres":
        with temporary_pg_database() as url:
            check(Settings(data_dir=tmp_path, database_url=url, **FAST_HASHING))
    else:
        check(Settings(data_dir=tmp_path, **FAST_HASHING))

"""Abuse of the API: oversized and deeply nested bodies, many sessions, brute-force logins, and
tokens reused after logout or a password change. Each is refused with its stable code, never a
5xx, and the server keeps answering everyone else. On SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.helpers import fakes
from tests.helpers.server_proc import ServerProcess

# Default body limit (16 MiB); login throttling: 5 free failures, then back-off from 1 s.
SERVER_ENV = {"BV_LOGIN_FREE_FAILURES": "5", "BV_LOGIN_LOCKOUT_FAILURES": "8", "BV_BACKOFF_BASE_SECONDS": "1",
              "BV_LOCKOUT_SECONDS": "600", "BV_ADDRESS_FREE_FAILURES": "1000", "BV_ADDRESS_LOCKOUT_FAILURES": "100000"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    from tests.helpers.pg import temporary_pg_database

    data_dir = tmp_path_factory.mktemp("abuse")
    if request.param == "postgres":
        with temporary_pg_database() as url, ServerProcess(data_dir, database_url=url, env=SERVER_ENV) as srv:
            yield srv
    else:
        with ServerProcess(data_dir, env=SERVER_ENV) as srv:
            yield srv


@pytest.fixture
def http(server: ServerProcess):
    with httpx.Client(base_url=server.api_url, timeout=60) as client:
        yield client


class Account:
    def __init__(self, http: httpx.Client) -> None:
        body, self.auth_key = fakes.registration()
        resp = http.post("/accounts", json=body)
        assert resp.status_code == 201, resp.text
        self.email, self.body = body["email"], body
        self.token = resp.json()["session"]["token"]
        self.vault_id = body["vault"]["vault_id"]

    def __repr__(self) -> str:
        return f"Account({self.email})"

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def login(self, http: httpx.Client, auth_key: bytes | None = None, device: str = "d") -> httpx.Response:
        return http.post("/login", json={"email": self.email, "auth_key": fakes.b64(auth_key or self.auth_key),
                                         "device_name": device})


def code(resp: httpx.Response) -> tuple[int, str]:
    doc = resp.json()
    assert isinstance(doc["error"]["message"], str) and doc["error"]["message"], doc
    return resp.status_code, doc["error"]["code"]


def healthy(http: httpx.Client, acct: Account) -> None:
    assert http.get("/health").status_code == 200
    assert http.get("/vaults", headers=acct.auth()).status_code == 200


def nested(depth: int) -> bytes:
    return b'{"cursors": ' + b"[" * depth + b"]" * depth + b"}"


# (id, method, path, raw body, extra headers, expected (status, code)); bodies sent with a token.
BODIES: list[tuple[str, str, str, Any, dict[str, str], tuple[int, str]]] = [
    # One byte over the 16 MiB default, declared up front: refused before it is read.
    ("17 MiB declared", "POST", "/sync", b"{" + b" " * (16 * 1024 * 1024) + b"}", {}, (413, "body_too_large")),
    # The same without Content-Length (chunked): counted while read, cut at the limit.
    ("17 MiB chunked", "POST", "/sync", lambda: iter([b" " * (1024 * 1024)] * 17), {}, (413, "body_too_large")),
    # Nesting far past any parser's recursion limit, inside the body limit.
    ("100k-deep arrays", "POST", "/sync", nested(100_000), {}, (400, "invalid_request")),
    ("100k-deep objects", "POST", "/sync", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, {}, (400, "invalid_request")),
    ("deep JSON at login", "POST", "/login", nested(50_000), {}, (400, "invalid_request")),
    ("deep JSON at register", "POST", "/accounts", b"[" * 50_000 + b"]" * 50_000, {}, (400, "invalid_request")),
    ("huge number", "POST", "/sync", b'{"cursors": {"x": 1' + b"0" * 5000 + b"}}", {}, (400, "invalid_request")),
    ("not JSON", "POST", "/sync", b"\xff\xfe\x00garbage", {}, (400, "invalid_request")),
]


@pytest.mark.parametrize("method,path,raw,headers,expected", [pytest.param(*row[1:], id=row[0]) for row in BODIES])
def test_oversized_and_nested_bodies_are_refused(http: httpx.Client, method: str, path: str, raw: Any,
                                                 headers: dict[str, str], expected: tuple[int, str]) -> None:
    acct = Account(http)
    send = {"Content-Type": "application/json", **acct.auth(), **headers}
    try:
        resp = http.request(method, path, content=raw() if callable(raw) else raw, headers=send)
        assert code(resp) == expected
    except httpx.WriteError:
        # The server may answer 413 and close before the client finished sending: refused too.
        assert expected == (413, "body_too_large")
    healthy(http, acct)


def test_a_batch_too_large_in_items_or_blob_is_refused(http: httpx.Client) -> None:
    acct = Account(http)
    items = [fakes.item_change() for _ in range(1001)]
    resp = http.post(f"/vaults/{acct.vault_id}/changes", json=fakes.batch(0, items), headers=acct.auth())
    assert code(resp) == (400, "invalid_request")
    big = fakes.item_change(size=1024 * 1024 + 1)
    resp = http.post(f"/vaults/{acct.vault_id}/changes", json=fakes.batch(0, [big]), headers=acct.auth())
    assert code(resp) == (400, "invalid_request")
    ok = http.post(f"/vaults/{acct.vault_id}/changes", json=fakes.batch(0, [fakes.item_change()]), headers=acct.auth())
    assert ok.status_code == 200, ok.text


def test_a_slow_sender_does_not_block_others(server: ServerProcess, http: httpx.Client) -> None:
    """A client that opens many connections and sends half a request does not starve the rest."""
    acct = Account(http)
    socks = []
    try:
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            s.sendall(b"POST /v1/sync HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 1000\r\n\r\n{\"cursors\": ")
            socks.append(s)
        healthy(http, acct)
    finally:
        for s in socks:
            s.close()


def test_many_sessions_each_stand_alone_and_end_alone(http: httpx.Client) -> None:
    acct = Account(http)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: acct.login(http, device=f"device {i}"), range(60)))
    assert {r.status_code for r in answers} == {200}
    tokens = [r.json()["session"]["token"] for r in answers]
    ids = [r.json()["session"]["session_id"] for r in answers]
    listed = http.get("/sessions", headers=acct.auth()).json()["sessions"]
    assert {s["session_id"] for s in listed} >= set(ids) and len(listed) == 61
    # Revoking one ends that one only.
    assert http.delete(f"/sessions/{ids[0]}", headers=acct.auth()).status_code == 204
    assert code(http.get("/vaults", headers=acct.auth(tokens[0]))) == (401, "unauthorized")
    assert http.get("/vaults", headers=acct.auth(tokens[1])).status_code == 200
    # Another account cannot end them: not found, not forbidden (no hint that the id exists).
    other = Account(http)
    assert code(http.delete(f"/sessions/{ids[1]}", headers=other.auth())) == (404, "not_found")
    assert http.get("/vaults", headers=acct.auth(tokens[1])).status_code == 200


def test_brute_force_logins_are_slowed_then_locked_out(http: httpx.Client) -> None:
    acct = Account(http)
    statuses = [code(acct.login(http, secrets.token_bytes(32))) for _ in range(5)]
    assert statuses == [(401, "bad_credentials")] * 5
    # Now blocked: even the right key waits, and says how long.
    blocked = acct.login(http)
    assert code(blocked) == (429, "rate_limited")
    assert int(blocked.headers["Retry-After"]) == blocked.json()["error"]["retry_after"] >= 1
    # Guessing many times in parallel gets nothing but 401 and 429.
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: acct.login(http, secrets.token_bytes(32)), range(40)))
    assert {code(r) for r in answers} <= {(401, "bad_credentials"), (429, "rate_limited")}
    assert code(acct.login(http)) == (429, "rate_limited")
    # The session made at registration is untouched; other accounts log in as usual.
    healthy(http, acct)
    other = Account(http)
    assert other.login(http).status_code == 200


def test_tokens_are_dead_after_logout_and_after_a_password_change(http: httpx.Client) -> None:
    acct = Account(http)
    # Logout: that token is refused everywhere from then on, and cannot log out twice.
    token = acct.login(http).json()["session"]["token"]
    assert http.post("/logout", headers=acct.auth(token)).status_code == 204
    for method, path in (("GET", "/vaults"), ("POST", "/logout"), ("GET", "/sessions"), ("GET", "/accounts/me")):
        assert code(http.request(method, path, headers=acct.auth(token))) == (401, "unauthorized")
    # Password change: every other session ends; the old auth key no longer logs in.
    other_device = acct.login(http).json()["session"]["token"]
    material, new_key = fakes.password_material() if hasattr(fakes, "password_material") else _material()
    resp = http.post("/account/password", json={"old_auth_key": fakes.b64(acct.auth_key), **material},
                     headers=acct.auth())
    assert resp.status_code == 200, resp.text
    assert code(http.get("/vaults", headers=acct.auth(other_device))) == (401, "unauthorized")
    assert code(acct.login(http)) == (401, "bad_credentials")
    assert acct.login(http, new_key).status_code == 200
    # Tokens that never existed or are malformed: the same 401.
    for bogus in (fakes.b64(secrets.token_bytes(32)), "x" * 5000, "not base64 !!", "a.b.c"):
        assert code(http.get("/vaults", headers={"Authorization": f"Bearer {bogus}"})) == (401, "unauthorized")


def _material() -> tuple[dict[str, Any], bytes]:
    keys, auth_key = fakes.registration()
    return {k: keys[k] for k in ("salt", "kdf", "auth_key", "wrapped_account_key")}, auth_key

"""Bad input of every kind gets a 4xx JSON error with a stable code, never a 500."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.helpers import fakes
from tests.helpers.server_proc import ServerProcess
from tests.server.api import Api, Registered, error_code

MAX_BODY = 256 * 1024
SERVER_ENV = {"BV_MAX_BODY_BYTES": str(MAX_BODY)}

REG, _ = fakes.registration()


def reg(mutate: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    body = copy.deepcopy(REG)
    body["email"] = fakes.fake_email()
    mutate(body)
    return body


def setter(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for key in parents:
            body = body[key]
        if value is DELETE:
            del body[last]
        else:
            body[last] = value

    return mutate


DELETE = object()
ID = "00000000-0000-4000-8000-000000000001"

# (id, method, path, JSON body or raw bytes, headers, expected status, expected code)
REGISTER_CASES = [
    ("salt not base64", setter("salt", "!!!!not-b64!!!")),
    ("salt padded base64", setter("salt", fakes.b64(bytes(16)) + "==")),
    ("salt standard base64 alphabet", setter("salt", "+/+/+/+/+/+/+/+/+/+/+w")),
    ("salt 15 bytes", setter("salt", fakes.b64(bytes(15)))),
    ("auth_key 31 bytes", setter("auth_key", fakes.b64(bytes(31)))),
    ("auth_key 33 bytes", setter("auth_key", fakes.b64(bytes(33)))),
    ("auth_key a number", setter("auth_key", 12345)),
    ("unknown top-level field", setter("admin", True)),
    ("unknown field in bundle", setter("bundle.extra", "x")),
    ("unknown field in kdf", setter("kdf.salt_len", 16)),
    ("missing wrapped_private_keys", setter("wrapped_private_keys", DELETE)),
    ("kdf memory below the floor", setter("kdf.memory_kib", 1024)),
    ("kdf iterations above the ceiling", setter("kdf.iterations", 1000)),
    ("kdf parallelism zero", setter("kdf.parallelism", 0)),
    ("kdf memory enormous", setter("kdf.memory_kib", 10**30)),
    ("kdf memory a float", setter("kdf.memory_kib", 65536.5)),
    ("kdf memory a string", setter("kdf.memory_kib", "65536x")),
    ("wrapped key of the wrong kind", setter("wrapped_account_key", fakes.b64(fakes.envelope(0x02, 60)))),
    ("wrapped key of an unknown version", setter("wrapped_account_key", fakes.b64(b"\x02\x01" + bytes(60)))),
    ("wrapped key too short", setter("wrapped_account_key", fakes.b64(b"\x01\x01" + bytes(10)))),
    ("wrapped key too long", setter("wrapped_account_key", fakes.b64(b"\x01\x01" + bytes(5000)))),
    ("wrapped key empty", setter("wrapped_account_key", "")),
    ("wrapped key null", setter("wrapped_account_key", None)),
    ("identity key 31 bytes", setter("bundle.identity_public", fakes.b64(bytes(31)))),
    ("signature 65 bytes", setter("bundle.signature", fakes.b64(bytes(65)))),
    ("email without @", setter("email", "nobody.example.test")),
    ("email too long", setter("email", "a" * 300 + "@example.test")),
    ("email a list", setter("email", ["a@b.co"])),
    ("account id not a uuid", setter("account_id", "42")),
    ("account id in capitals", setter("account_id", ID.upper().replace("0", "A"))),
    ("device name empty", setter("device_name", "")),
    ("device name too long", setter("device_name", "d" * 101)),
    ("device name with a control character", setter("device_name", "bad\x1bname")),
    ("vault key generation 2", setter("vault.key_generation", 2)),
    ("vault manifest version 1", setter("vault.manifest.version", 1)),
    ("vault manifest mac 31 bytes", setter("vault.manifest.mac", fakes.b64(bytes(31)))),
    ("vault key of item kind", setter("vault.wrapped_vault_key", fakes.b64(fakes.envelope(0x04, 60)))),
]


@pytest.fixture(scope="module")
def acct(api: Api) -> Registered:
    return api.register()


def changes(**overrides: Any) -> dict[str, Any]:
    body = fakes.batch(0, [fakes.item_change()])
    body.update(overrides)
    return body


def item(**overrides: Any) -> dict[str, Any]:
    change = fakes.item_change()
    change.update(overrides)
    return change


def deep_nesting() -> bytes:
    return b'{"email": ' + b"[" * 20000 + b"]" * 20000 + b"}"


# Requests on authenticated endpoints: (id, method, path, body, expected status, expected code).
# "{vault}" in a path is the test account's vault.
AUTHED_CASES = [
    ("batch revision not base+1", "POST", "/vaults/{vault}/changes", changes(items=[item(revision=5)]), 400),
    ("batch duplicate item", "POST", "/vaults/{vault}/changes", changes(items=[item(item_id=ID), item(item_id=ID)]), 400),
    ("batch blob of vault-key kind", "POST", "/vaults/{vault}/changes",
     changes(items=[item(blob=fakes.b64(fakes.envelope(0x03, 60)))]), 400),
    ("batch blob missing", "POST", "/vaults/{vault}/changes",
     changes(items=[{k: v for k, v in item().items() if k != "blob"}]), 400),
    ("batch manifest version not base+1", "POST", "/vaults/{vault}/changes",
     changes(manifest={"version": 7, "mac": fakes.b64(bytes(32))}), 400),
    ("batch negative base", "POST", "/vaults/{vault}/changes", changes(base_manifest_version=-1), 400),
    ("batch too many items", "POST", "/vaults/{vault}/changes",
     fakes.batch(0, [fakes.item_change(tombstone=True) for _ in range(1001)]), 400),
    ("batch items not a list", "POST", "/vaults/{vault}/changes", changes(items={"a": 1}), 400),
    ("batch unknown field", "POST", "/vaults/{vault}/changes", changes(force=True), 400),
    ("vault id in path not a uuid", "POST", "/vaults/not-a-uuid/changes", changes(), 400),
    ("delete vault id not a uuid", "DELETE", "/vaults/xyz", None, 400),
    ("sync cursor key not a uuid", "POST", "/sync", {"cursors": {"abc": 1}}, 400),
    ("sync negative cursor", "POST", "/sync", {"cursors": {ID: -1}}, 400),
    ("sync enormous cursor", "POST", "/sync", {"cursors": {ID: 2**70}}, 400),
    ("sync cursors a list", "POST", "/sync", {"cursors": [ID]}, 400),
    ("sync unknown field", "POST", "/sync", {"cursors": {}, "all": True}, 400),
    ("revoke session id not a uuid", "DELETE", "/sessions/1", None, 400),
    ("bundle lookup without email", "GET", "/bundles", None, 400),
    ("create vault with generation 0", "POST", "/vaults", {**fakes.vault_body(), "key_generation": 0}, 400),
    ("password change with a short new auth key", "POST", "/account/password",
     {"old_auth_key": fakes.b64(bytes(32)), "salt": fakes.b64(bytes(16)), "kdf": fakes.FLOOR_KDF,
      "auth_key": fakes.b64(bytes(8)), "wrapped_account_key": fakes.b64(fakes.envelope(0x01, 60))}, 400),
]


def _assert_error(resp, status: int, code: str | None = None) -> None:  # noqa: ANN001
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    got = error_code(resp)
    if code:
        assert got == code


@pytest.mark.parametrize("mutate", [m for _, m in REGISTER_CASES], ids=[i for i, _ in REGISTER_CASES])
def test_bad_registration_fields(api: Api, mutate) -> None:  # noqa: ANN001
    resp = api.post("/accounts", reg(mutate))
    _assert_error(resp, 400, "invalid_request")


@pytest.mark.parametrize(("method", "path", "body", "status"), [c[1:] for c in AUTHED_CASES],
                         ids=[c[0] for c in AUTHED_CASES])
def test_bad_authenticated_requests(api: Api, acct: Registered, method: str, path: str, body: Any,
                                    status: int) -> None:
    resp = api.call(method, path.replace("{vault}", acct.vault_id), acct.token,
                    json=body if body is not None else None)
    _assert_error(resp, status, "invalid_request")
    assert api.vault_state(acct.token, acct.vault_id)["seq"] == 0  # nothing was written


RAW_CASES = [
    ("not JSON", b"hello", {"content-type": "application/json"}, 400, "invalid_request"),
    ("truncated JSON", b'{"email": "a@b.co"', {"content-type": "application/json"}, 400, "invalid_request"),
    ("JSON array", b'["a@b.co"]', {"content-type": "application/json"}, 400, "invalid_request"),
    ("JSON null", b"null", {"content-type": "application/json"}, 400, "invalid_request"),
    ("empty body", b"", {"content-type": "application/json"}, 400, "invalid_request"),
    ("not UTF-8", b'{"email": "\xff\xfe@b.co"}', {"content-type": "application/json"}, 400, "invalid_request"),
    ("text/plain", json.dumps({"email": "a@b.co"}).encode(), {"content-type": "text/plain"}, 400, "invalid_request"),
    ("no content type", json.dumps({"email": "a@b.co"}).encode(), {}, 400, "invalid_request"),
    ("deeply nested", deep_nesting(), {"content-type": "application/json"}, 400, "invalid_request"),
    ("oversize body", b'{"email": "' + b"a" * (MAX_BODY + 1) + b'"}', {"content-type": "application/json"},
     413, "body_too_large"),
]


@pytest.mark.parametrize(("raw", "headers", "status", "code"), [c[1:] for c in RAW_CASES],
                         ids=[c[0] for c in RAW_CASES])
def test_bad_bodies(api: Api, raw: bytes, headers: dict[str, str], status: int, code: str) -> None:
    resp = api.call("POST", "/prelogin", content=raw, headers=headers)
    _assert_error(resp, status, code)


def test_oversize_chunked_body_is_refused(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"email": "'
        for _ in range(MAX_BODY // 4096 + 2):
            yield b"a" * 4096
        yield b'"}'

    resp = api.call("POST", "/accounts", content=chunks(), headers={"content-type": "application/json"})
    _assert_error(resp, 413, "body_too_large")


def test_oversize_declared_length_is_refused_before_reading(server: ServerProcess) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 999999999\r\n\r\n{")
        received = b""
        while chunk := sock.recv(65536):  # the server closes the connection after its answer
            received += chunk
        reply = received.decode("latin-1")
    assert reply.startswith("HTTP/1.1 413")
    assert '"body_too_large"' in reply


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("GET", "/nowhere", 404, "not_found"),
    ("POST", f"/vaults/{ID}/nothing", 404, "not_found"),
    ("PUT", "/prelogin", 405, "method_not_allowed"),
    ("GET", "/login", 405, "method_not_allowed"),
])
def test_unknown_routes_and_methods(api: Api, method: str, path: str, status: int, code: str) -> None:
    resp = api.call(method, path)
    _assert_error(resp, status, code)


def test_error_messages_do_not_echo_submitted_values(api: Api) -> None:
    secret_ish = fakes.b64(b"K" * 31)
    body = reg(setter("auth_key", secret_ish))
    resp = api.post("/accounts", body)
    _assert_error(resp, 400, "invalid_request")
    assert secret_ish not in resp.text
    assert "auth_key" in resp.json()["error"]["message"]

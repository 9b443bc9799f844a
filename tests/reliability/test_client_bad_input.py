"""Bad input to the real `bv`: a broken server, a damaged cache, a full disk.

Each case must end in a clear `bv: error:` line (and at most a `bv: hint:`), a non-zero exit,
no traceback, and every file the device keeps (account, session, Secret Key, the cache's rows)
exactly as it was before.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.client.bv import Device, Result
from tests.helpers.server_proc import ServerProcess
from tests.reliability.device_checks import assert_clear_failure, snapshot
from tests.reliability.fake_server import Answer, FakeServer

TIMEOUT_SECONDS = "1"


@pytest.fixture(scope="module")
def device(tmp_path_factory: pytest.TempPathFactory):
    """A device with an account, a few synced items and one queued edit, then pointed at ``fake``."""
    root = tmp_path_factory.mktemp("bad-input")
    with ServerProcess(root / "server") as server:
        dev = Device(root, "dev")
        dev.ok("account", "create", "--server", server.url, "--email", "bad@example.org", "--kit", str(root / "kit"))
        for i in range(3):
            dev.ok("add", "login", f"Site {i}", "--username", f"user{i}", input=f"pw-{i}\n")
        yield dev


@pytest.fixture(scope="module")
def fake():
    with FakeServer() as server:
        yield server


@pytest.fixture
def on_fake(device: Device, fake: FakeServer) -> Device:
    account = json.loads((device.home / "account.json").read_text())
    if account["server"] != fake.url:
        account["server"] = fake.url
        (device.home / "account.json").write_text(json.dumps(account, indent=2))
    return device


def run(device: Device, *args: str, input: str | None = None, **extra: str) -> Result:
    return device.run(*args, input=input, env=device.env(BV_HTTP_TIMEOUT=TIMEOUT_SECONDS, **extra))


VAULT = "00000000-0000-4000-8000-000000000000"
BAD_ANSWERS = [
    # (id, the server's answer, what the error line must say)
    ("garbage bytes", Answer(200, bytes(range(256)) * 4, "application/octet-stream"), "malformed"),
    ("truncated JSON", Answer(200, b'{"vaults": [{"vault_id": "'), "malformed"),
    ("JSON but an array", Answer(200, b"[1, 2, 3]"), "malformed"),
    ("JSON null", Answer(200, b"null"), "malformed"),
    ("vaults not a list", Answer(200, b'{"vaults": "all of them", "removed_vaults": []}'), "malformed"),
    ("vault id a number", Answer(200, b'{"vaults": [{"vault_id": 7}], "removed_vaults": []}'), "malformed"),
    ("seq a string", Answer(200, json.dumps({"vaults": [{
        "vault_id": VAULT, "role": "owner", "key_generation": 1, "seq": "12", "items": [],
        "manifest": {"version": 1, "generation": 1, "mac": ""}}], "removed_vaults": []}).encode()), "seq"),
    ("deeply nested JSON", Answer(200, b'{"vaults": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"), "malformed"),
    ("HTML error page", Answer(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"), "502"),
    ("HTML page with 200", Answer(200, b"<!doctype html><title>Sign in to the Wi-Fi</title>", "text/html"),
     "malformed"),
    ("JSON 500", Answer(500, b'{"error": {"code": "internal_error", "message": "The server failed."}}'),
     "internal_error"),
    ("body cut off mid-way", Answer(200, b'{"vaults": [', declared_length=100_000), "could not be reached"),
    ("slow answer", Answer(200, b"{}", delay=5.0), "did not answer within 1 s"),
    ("endless answer", Answer(200, b"[", stream_bytes=600 * 1024 * 1024), "too large"),
]


@pytest.mark.parametrize("answer,fragment", [pytest.param(a, f, id=i) for i, a, f in BAD_ANSWERS])
def test_a_broken_server_gets_a_clear_error_and_changes_nothing(on_fake: Device, fake: FakeServer,
                                                               answer: Answer, fragment: str) -> None:
    fake.answer = answer
    before = snapshot(on_fake)
    started = time.monotonic()
    result = run(on_fake, "sync")
    elapsed = time.monotonic() - started
    assert_clear_failure(result, fragment)
    assert snapshot(on_fake) == before
    assert elapsed < 30, elapsed
    print(f"{elapsed:5.1f} s  {result.err.strip().splitlines()[0]}")


def test_an_edit_made_while_the_server_is_broken_is_kept_queued(on_fake: Device, fake: FakeServer) -> None:
    fake.answer = Answer(502, b"<html>Bad Gateway</html>", "text/html")
    before = snapshot(on_fake)
    result = run(on_fake, "add", "login", "Queued", "--username", "q", input="pw-q\n")
    # The write itself succeeded on this device: exit 0, and one notice says the sync did not.
    assert result.code == 0, result
    assert "sync failed" in result.err and "502" in result.err and "queued" in result.err, result
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err, result
    after = snapshot(on_fake)
    assert len(after["cache:pending"]) == len(before["cache:pending"]) + 1  # type: ignore[arg-type]
    assert after["cache:items"] == before["cache:items"]
    listed = json.loads(run(on_fake, "list", "--json").out or "[]")
    assert "Queued" in {e["name"] for e in listed}

"""End to end: secrets for programs (`bv run`, `bv inject`) and `bv health`, real `bv` processes
against a real server."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sys
from pathlib import Path

import pytest

from tests.client.bv import Device
from tests.daily.devices import InProcess, create, offline, unlocked
from tests.helpers.server_proc import ServerProcess

CHILD = """
import hashlib, os, sys
value = os.environ["DB_PASSWORD"]
token = os.environ["API_TOKEN"]
cmdline = open("/proc/self/cmdline", "rb").read()
print(hashlib.sha256(value.encode()).hexdigest())
print(hashlib.sha256(token.encode()).hexdigest())
print("in-argv" if value.encode() in cmdline or token.encode() in cmdline else "not-in-argv")
print(os.environ["PLAIN"])
sys.exit(int(os.environ.get("EXIT_WITH", "0")))
"""


def _files_containing(root: Path, needle: bytes) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


@pytest.fixture
def device(server: ServerProcess, email: str, tmp_path: Path) -> Device:
    dev = Device(tmp_path, "dev")
    create(dev, server.url, email, tmp_path)
    return dev


def test_bv_run_gives_the_secret_to_the_child_only(device: Device, server: ServerProcess, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture) -> None:
    secret = "run-canary-" + secrets.token_hex(12)
    token = "tok-canary-" + secrets.token_hex(12)
    bv = InProcess(monkeypatch, capsys, device.env())
    bv.ok("add", "login", "prod/db", "--username", "app", input=secret + "\n")
    bv.ok("add", "login", "API", input=token + "\n")

    env = device.env(API_TOKEN="bv://personal/API/password", EXIT_WITH="7")
    result = device.run("run", "--env", "DB_PASSWORD=bv://personal/prod%2Fdb/password", "--env", "PLAIN=plain value",
                        "--", sys.executable, "-c", CHILD, env=env)
    assert result.code == 7, result  # the child's exit status is bv's
    lines = result.out.splitlines()
    assert lines == [hashlib.sha256(secret.encode()).hexdigest(), hashlib.sha256(token.encode()).hexdigest(),
                     "not-in-argv", "plain value"]
    assert secret not in result.out + result.err and token not in result.out + result.err
    # Nothing else holds it: not this (the parent) process's environment, not a file of the
    # device, not the server's data directory.
    assert not any(secret in v or token in v for v in os.environ.values())
    assert env["API_TOKEN"] == "bv://personal/API/password"
    assert _files_containing(device.home, secret.encode()) == []
    assert _files_containing(server.data_dir, secret.encode()) == []

    # A reference that does not resolve: an error, and the command never starts.
    marker = tmp_path / "started"
    missing = device.run("run", "--env", "X=bv://personal/prod%2Fdb/nope", "--", "touch", str(marker))
    assert missing.code == 3 and "no field 'nope'" in missing.err and not marker.exists()
    fuzzy = device.run("run", "--env", "X=bv://personal/prod/password", "--", "touch", str(marker))
    assert fuzzy.code == 3 and not marker.exists()  # no partial-name matches for programs
    absent = bv("run", "--", "no-such-command-here")
    assert absent.code == 2 and "cannot start" in absent.err


def test_bv_inject_fills_templates_atomically(device: Device, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture) -> None:
    device.ok("add", "login", "Postgres", "--username", "app", input="pg-secret\n")
    template = tmp_path / "config.tpl"
    template.write_text("user = {{ bv://personal/Postgres/username }}\n"
                        "password = {{bv://personal/postgres/password}}\n"
                        "kept = {{ not a reference }}\n")
    out = tmp_path / "config.ini"
    with unlocked(device) as env:  # through the agent this time
        bv = InProcess(monkeypatch, capsys, env)
        bv.ok("inject", "-i", str(template), "-o", str(out))
        assert out.read_text() == "user = app\npassword = pg-secret\nkept = {{ not a reference }}\n"
        assert oct(out.stat().st_mode & 0o777) == "0o600"

        again = bv("inject", "-i", str(template), "-o", str(out))
        assert again.code == 2 and "--force" in again.err
        template.write_text("password = {{ bv://personal/Postgres/password }} v2\n")
        bv.ok("inject", "-i", str(template), "-o", str(out), "--force")
        assert out.read_text() == "password = pg-secret v2\n" and oct(out.stat().st_mode & 0o777) == "0o600"

        broken = tmp_path / "broken.tpl"
        broken.write_text("a = {{ bv://personal/Postgres/password }}\nb = {{ bv://personal/Missing/password }}\n")
        target = tmp_path / "never.ini"
        failed = bv("inject", "-i", str(broken), "-o", str(target))
        assert failed.code == 3 and not target.exists()  # nothing half-filled is written
        piped = bv("inject", input="{{ bv://personal/Postgres/username }}@db\n")
        assert (piped.code, piped.out) == (0, "app@db\n")


def test_bv_health_works_offline_and_names_no_secret(device: Device, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture) -> None:
    strong = secrets.token_urlsafe(24)
    bv = InProcess(monkeypatch, capsys, device.env())
    bv.ok("add", "login", "Forum", input="password1\n")
    bv.ok("add", "login", "Mail", input=strong + "\n")
    bv.ok("add", "login", "Shop", input=strong + "\n")
    bv.ok("add", "login", "Bank", "--generate")
    with offline(device):  # computed on the device: no server needed (and none is asked)
        result = device.run("health", "--json")
    assert result.code == 0, result
    report = json.loads(result.out)
    assert report["checked"] == 4
    assert [w["name"] for w in report["weak"]] == ["Forum"]
    assert [sorted(i["name"] for i in group) for group in report["reused"]] == [["Mail", "Shop"]]
    assert report["old"] == []
    assert strong not in result.out and "password1" not in result.out
    text = bv.ok("health").out
    assert "1 weak, 2 reused, 0 older than 365 days" in text and strong not in text

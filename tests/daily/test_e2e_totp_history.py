"""End to end, real `bv` against a real server: `bv totp` on RFC 6238's vectors, and history kept
through edits on two devices and a conflict, then restored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.client.bv import Device
from tests.daily.devices import InProcess, create, offline, pair, unlocked
from tests.daily.totp_vectors import RFC6238, STEAM, otpauth, steam_uri
from tests.helpers.server_proc import ServerProcess


def test_rfc6238_vectors_through_bv_totp(server: ServerProcess, email: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    device = Device(tmp_path, "a")
    create(device, server.url, email, tmp_path)
    with unlocked(device) as env:
        bv = InProcess(monkeypatch, capsys, env)
        secrets = {algorithm: otpauth(algorithm) for algorithm in ("SHA1", "SHA256", "SHA512")}
        secrets["Steam"] = steam_uri()
        for name, secret in secrets.items():
            bv.ok("add", "login", f"2fa-{name}", "--username", "alice", input="pw\n")
            bv.ok("edit", f"2fa-{name}", "--secret", "totp", input=secret + "\n")
        cases = [(when, f"2fa-{algorithm}", code) for when, algorithm, code in RFC6238]
        cases += [(when, "2fa-Steam", code) for when, code in STEAM]
        for when, name, code in cases:
            doc = json.loads(bv.ok("totp", name, "--at", str(when), "--json").out)
            assert (doc["code"], doc["seconds_left"]) == (code, 30 - when % 30), (name, when)
        plain = device.run("totp", "2fa-SHA1", "--at", "59", env=env)  # and once as its own process
        assert (plain.code, plain.out) == (0, "94287082\n") and "1 more second" in plain.err
        assert bv("totp", "nope").code == 3
        bv.ok("add", "login", "no-2fa", input="pw\n")
        no_secret = bv("totp", "no-2fa")
        assert no_secret.code == 3 and "no TOTP secret" in no_secret.err


def _versions(device: InProcess) -> list[dict]:
    doc = json.loads(device.ok("history", "Bank", "--json", "--show").out)
    return doc["versions"]


def _states(versions: list[dict]) -> set[tuple[str, str]]:
    return {(v["item"]["fields"]["username"], v["item"]["fields"]["password"]) for v in versions}


def test_history_survives_two_devices_and_a_conflict(server: ServerProcess, email: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture) -> None:
    dev_a, dev_b = pair(server.url, email, tmp_path)
    a, b = InProcess(monkeypatch, capsys, dev_a.env()), InProcess(monkeypatch, capsys, dev_b.env())
    a.ok("add", "login", "Bank", "--username", "u0", input="p0\n")
    b.ok("sync")

    a.ok("edit", "Bank", "--password", input="p1\n")  # a: (u0, p1), pushed
    with offline(dev_b):
        b.ok("edit", "Bank", "--username", "ub")      # b, from (u0, p0): (ub, p0), queued
    b.ok("sync")                                       # stale: merged to (ub, p1)
    a.ok("sync")

    a.ok("edit", "Bank", "--password", input="p2\n")  # a: (ub, p2), pushed
    with offline(dev_b):
        b.ok("edit", "Bank", "--password", input="p3\n")  # b: (ub, p3), queued: a conflict
    b.ok("sync")
    a.ok("sync")

    written = {("u0", "p0"), ("u0", "p1"), ("ub", "p0"), ("ub", "p1"), ("ub", "p2"), ("ub", "p3")}
    on_a, on_b = _versions(a), _versions(b)
    assert on_a == on_b  # the same history on both devices
    assert written <= _states(on_a)  # every version either device wrote is kept
    current = json.loads(a.ok("get", "Bank", "--json").out)
    assert current["fields"]["password"] == "p2"
    assert [c["value"] for c in current["conflicts"]] == ["p3"]

    passwords = json.loads(a.ok("history", "Bank", "--field", "password", "--json").out)["values"]
    assert all(v["value"] == "••••••••" for v in passwords)  # hidden without --show
    shown = json.loads(a.ok("history", "Bank", "--field", "password", "--json", "--show").out)["values"]
    assert shown[0] == {"since": shown[0]["since"], "value": "p2", "current": True}
    assert {v["value"] for v in shown} >= {"p0", "p1", "p2", "p3"}
    listing = a.ok("history", "Bank").out
    assert "fields.password" in listing and "p0" not in listing and "p2" not in listing

    # Restore the version b wrote offline with p3: it becomes current, nothing is lost.
    number = next(v["version"] for v in on_a if v["item"]["fields"]["password"] == "p3")
    a.ok("restore", "Bank", "--version", str(number))
    assert a.ok("get", "Bank", "--field", "password").out == "p3\n"
    b.ok("sync")
    assert b.ok("get", "Bank", "--field", "password").out == "p3\n"
    assert written <= _states(_versions(b))
    bad = a("restore", "Bank", "--version", "999")
    assert bad.code == 2 and "no version 999" in bad.err

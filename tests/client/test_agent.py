"""The agent: unlock once, many commands from other processes, lock, idle timeout, peer checks."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.client.bv import Device
from vault_client.agent import protocol
from vault_client.agent.server import peer_allowed, peer_uid


def _no_password(device: Device) -> dict[str, str]:
    env = device.env()
    env.pop("BV_PASSWORD_FILE")
    return env


@pytest.fixture
def device(server_url: str, tmp_path: Path):
    a = Device(tmp_path, "a")
    a.ok("account", "create", "--server", server_url, "--email", "agent@example.org")
    a.ok("add", "login", "GitHub", "--username", "octocat", "--url", "https://github.com", input="gh-pw\n")
    a.ok("add", "login", "GitLab", "--username", "tanuki", input="gl-pw\n")
    yield a
    a.run("lock")


def test_unlock_then_commands_without_password(device: Device) -> None:
    env = _no_password(device)
    assert device.run("get", "GitHub", "--field", "password", env=env).code == 2  # locked: needs a password
    device.ok("unlock", "--timeout", "120")
    for _ in range(3):
        r = device.run("get", "GitHub", "--field", "password", env=env)
        assert (r.code, r.out) == (0, "gh-pw\n"), r
    r = device.run("search", "gitlb", "--json", env=env)
    assert json.loads(r.out)[0]["name"] == "GitLab", r
    r = device.run("add", "login", "Added", "--username", "x", input="added-pw\n", env=env)
    assert r.code == 0, r
    assert device.run("get", "Added", "--field", "password", env=env).out == "added-pw\n"
    status = json.loads(device.run("status", "--json", env=env).out)
    assert status["unlocked"] is True and 0 < status["lock_in_seconds"] <= 120


def test_lock_forgets(device: Device) -> None:
    env = _no_password(device)
    device.ok("unlock", "--timeout", "120")
    assert device.run("get", "GitHub", "--field", "password", env=env).code == 0
    assert device.ok("lock").out.strip() == "Locked."
    r = device.run("get", "GitHub", "--field", "password", env=env)
    assert r.code == 2 and "No password was given" in r.err, r
    assert not protocol_socket(device).exists()


def protocol_socket(device: Device) -> Path:
    return device.home / "run" / protocol.SOCKET_NAME


def test_idle_timeout_locks(device: Device) -> None:
    env = _no_password(device)
    device.ok("unlock", "--timeout", "2")
    assert device.run("get", "GitHub", "--field", "password", env=env).code == 0
    deadline = time.monotonic() + 15
    while protocol_socket(device).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not protocol_socket(device).exists()
    assert device.run("get", "GitHub", "--field", "password", env=env).code == 2
    assert json.loads(device.run("status", "--json", env=env).out)["unlocked"] is False


def test_wrong_password_starts_no_agent(device: Device) -> None:
    device.set_password("wrong password")
    r = device.run("unlock")
    assert r.code == 4 and "Wrong password" in r.err, r
    assert not protocol_socket(device).exists()


def test_two_shells_at_once(device: Device) -> None:
    env = _no_password(device)
    device.ok("unlock", "--timeout", "120")
    failures: list[object] = []

    def shell(name: str, expected: str) -> None:
        for _ in range(5):
            r = device.run("get", name, "--field", "password", env=env)
            if (r.code, r.out) != (0, expected):
                failures.append(r)

    threads = [threading.Thread(target=shell, args=("GitHub", "gh-pw\n")),
               threading.Thread(target=shell, args=("GitLab", "gl-pw\n"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_socket_dir_is_private_and_peer_is_checked(device: Device) -> None:
    device.ok("unlock", "--timeout", "120")
    run_dir = device.home / "run"
    assert oct(run_dir.stat().st_mode & 0o777) == "0o700"
    assert oct(protocol_socket(device).stat().st_mode & 0o777) == "0o600"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(protocol_socket(device)))
    assert peer_uid(sock) == os.getuid()  # the agent reads the same credentials of its peers
    sock.close()


@pytest.mark.parametrize(("peer", "own", "allowed"), [
    (1000, 1000, True),   # the same user
    (1001, 1000, False),  # another user on the machine
    (0, 1000, False),     # even root is not the user
])
def test_peer_allowed(peer: int, own: int, allowed: bool) -> None:
    assert peer_allowed(peer, own) is allowed


def test_protocol_rejects_other_versions() -> None:
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(b'{"v": 2, "op": "status"}')
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(b"not json")
    assert protocol.decode(protocol.encode({"v": 1, "op": "status"}))["op"] == "status"

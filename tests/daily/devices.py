"""Devices for the end-to-end tests: set up an account, a second device, go offline, unlock."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.client.bv import Device, Result


def create(device: Device, server_url: str, email: str, tmp: Path) -> Path:
    """Create the account on ``device``; returns the Emergency Kit file."""
    kit = tmp / f"kit-{device.home.name}.txt"
    device.ok("account", "create", "--server", server_url, "--email", email, "--kit", str(kit))
    return kit


def pair(server_url: str, email: str, tmp: Path) -> tuple[Device, Device]:
    """Two devices of one account."""
    a, b = Device(tmp, "a"), Device(tmp, "b")
    kit = create(a, server_url, email, tmp)
    b.ok("login", "--kit", str(kit))
    return a, b


@contextlib.contextmanager
def offline(device: Device) -> Iterator[Device]:
    """The device with its server unreachable (a closed local port) inside the block."""
    path = device.home / "account.json"
    account = json.loads(path.read_text())
    real = account["server"]
    path.write_text(json.dumps(dict(account, server="http://127.0.0.1:9")))
    try:
        yield device
    finally:
        path.write_text(json.dumps(dict(account, server=real)))


@contextlib.contextmanager
def unlocked(device: Device) -> Iterator[dict[str, str]]:
    """Unlock the device's agent; yields an environment without the password file (so every
    command goes through the agent), and locks again afterwards."""
    device.ok("unlock", "--timeout", "300")
    env = device.env()
    env.pop("BV_PASSWORD_FILE")
    try:
        yield env
    finally:
        device.run("lock")


def run_ok(device: Device, env: dict[str, str], *args: str, input: str | None = None):
    result = device.run(*args, env=env, input=input)
    assert result.code == 0, result
    return result


class InProcess:
    """The `bv` entry point called in this process with a device's environment: the same code as
    the console script without a Python start-up per command."""

    def __init__(self, monkeypatch, capsys, env: dict[str, str]) -> None:
        self._monkeypatch = monkeypatch
        self._capsys = capsys
        self._env = env

    def __call__(self, *argv: str, input: str = "") -> Result:
        from vault_client.cli.main import run

        for key in [k for k in os.environ if k.startswith("BV_")]:
            self._monkeypatch.delenv(key)
        for key, value in self._env.items():
            self._monkeypatch.setenv(key, value)
        self._monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(input.encode()), encoding="utf-8"))
        self._capsys.readouterr()
        try:
            run(list(argv))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = self._capsys.readouterr()
        return Result(code, out, err)

    def ok(self, *argv: str, input: str = "") -> Result:
        result = self(*argv, input=input)
        assert result.code == 0, result
        return result

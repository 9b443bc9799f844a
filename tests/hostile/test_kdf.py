"""KDF downgrade at prelogin (the paper's KDF-iteration attacks on Bitwarden, LastPass, Dashlane).

A hostile server answers prelogin with weakened Argon2id parameters, hoping the client derives an
auth key that is cheap to crack and sends it. The client must refuse *before deriving or sending
anything*: the recorded requests contain no ``/v1/login``, and nothing is saved on the device.

The cases for a new device (no pin yet: the floor is all that stands) are played by one process
(``replay.py``); the pin is tested on the device that set up the account, as its own `bv` process.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.client.bv import Device
from tests.hostile.checks import refused
from tests.hostile.proxy import HostileProxy
from tests.hostile.replay import play

ACCOUNT_KDF = {"memory_kib": 24576, "iterations": 3, "parallelism": 1}  # above the floor: the device's pin
FLOOR = {"memory_kib": 19456, "iterations": 2, "parallelism": 1}

# case -> (field of the prelogin answer, forged value, what the refusal says)
CASES = {
    "memory-8KiB": ("kdf", {**FLOOR, "memory_kib": 8}, "is below the floor"),
    "memory-floor-minus-1": ("kdf", {**FLOOR, "memory_kib": 19455}, "is below the floor"),
    "iterations-1": ("kdf", {**FLOOR, "iterations": 1}, "is below the floor"),
    "parallelism-0": ("kdf", {**FLOOR, "parallelism": 0}, "is below the floor"),
    "all-minimal": ("kdf", {"memory_kib": 1, "iterations": 1, "parallelism": 1}, "is below the floor"),
    # above the ceiling: a hostile server could otherwise make the client hang or run out of memory
    "memory-4GiB": ("kdf", {**FLOOR, "memory_kib": 4 * 1048576}, "is above the ceiling"),
    "iterations-1000": ("kdf", {**FLOOR, "iterations": 1000}, "is above the ceiling"),
    "parallelism-64": ("kdf", {**FLOOR, "parallelism": 64}, "is above the ceiling"),
    # a salt of the wrong length is refused before deriving too
    "salt-15-bytes": ("salt", "A" * 20, "the salt must be 16 bytes"),
    "salt-17-bytes": ("salt", "A" * 23, "the salt must be 16 bytes"),
    "salt-3KiB": ("salt", "A" * 4096, "the salt must be 16 bytes"),
}


@pytest.fixture(scope="module")
def account(accounts, proxy: HostileProxy) -> tuple[Device, str, Path]:
    device = accounts.device("kdf")
    email = f"kdf-{device.home.name}@example.org"
    kit = device.home.parent / f"kit-{device.home.name}.txt"
    env = device.env(BV_KDF=",".join(str(v) for v in ACCOUNT_KDF.values()))
    result = device.run("account", "create", "--server", proxy.url, "--email", email, "--kit", str(kit), env=env)
    assert result.code == 0, result
    return device, email, kit


def _set(field: str, value: object):
    def forge(doc: dict) -> None:
        doc[field] = value
    return forge


@pytest.fixture(scope="module")
def new_device_runs(proxy: HostileProxy, accounts, account):
    _, _, kit = account
    fresh = accounts.device("kdf-new")
    proxy.reset()
    before, runs = play(proxy, fresh, "POST", "/v1/prelogin", [_set(f, v) for f, v, _ in CASES.values()],
                        ["login", "--kit", str(kit)], first="POST /v1/prelogin")
    return before, dict(zip(CASES, runs))


@pytest.mark.parametrize("case", list(CASES))
def test_weak_or_absurd_kdf_settings_are_refused_before_deriving(new_device_runs, case: str) -> None:
    before, runs = new_device_runs
    run = runs[case]
    refused(run.result, says=CASES[case][2])
    assert "key-derivation settings" in run.result.err and "nothing was sent" in run.result.err
    assert run.sent == ["POST /v1/prelogin"]  # no /v1/login: no auth key derived under these settings
    assert run.state == before                # nothing saved on the device


def test_kdf_below_this_devices_pin_is_refused(hostile: HostileProxy, account) -> None:
    """Above the floor but below what this device last used: a downgrade all the same."""
    device, _, _ = account
    before = (device.home / "account.json").read_bytes()

    def weaken(doc: dict, _exchange) -> None:
        doc["kdf"] = FLOOR

    hostile.rewrite("POST", "/v1/prelogin", weaken)
    refused(device.run("login"), says="below what this device used before")
    assert hostile.paths() == ["POST /v1/prelogin"]
    assert (device.home / "account.json").read_bytes() == before


def test_honest_prelogin_logs_in(hostile: HostileProxy, accounts, account) -> None:
    """The control: through the same proxy, unaltered, a new device logs in and pins the parameters."""
    _, _, kit = account
    fresh = accounts.device("fresh")
    fresh.ok("login", "--kit", str(kit))
    assert "POST /v1/login" in hostile.paths()
    assert json.loads((fresh.home / "account.json").read_text())["kdf_pin"] == ACCOUNT_KDF

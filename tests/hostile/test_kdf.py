"""KDF downgrade at prelogin (the paper's KDF-iteration attacks on Bitwarden, LastPass, Dashlane).

A hostile server answers prelogin with weakened Argon2id parameters, hoping the client derives an
auth key that is cheap to crack and sends it. The client must refuse *before deriving or sending
anything*: the recorded requests contain no ``/v1/login``, and nothing is saved on the device.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.client.bv import Device
from tests.hostile.checks import refused
from tests.hostile.proxy import HostileProxy

ACCOUNT_KDF = {"memory_kib": 24576, "iterations": 3, "parallelism": 1}  # above the floor: the device's pin
FLOOR = {"memory_kib": 19456, "iterations": 2, "parallelism": 1}


@pytest.fixture(scope="module")
def account(accounts, proxy: HostileProxy) -> tuple[Device, str, Path]:
    device = accounts.device("kdf")
    email = f"kdf-{device.home.name}@example.org"
    kit = device.home.parent / f"kit-{device.home.name}.txt"
    env = device.env(BV_KDF=",".join(str(v) for v in ACCOUNT_KDF.values()))
    result = device.run("account", "create", "--server", proxy.url, "--email", email, "--kit", str(kit), env=env)
    assert result.code == 0, result
    return device, email, kit


def _offer(proxy: HostileProxy, kdf: object) -> None:
    def weaken(doc: dict, _exchange) -> None:
        doc["kdf"] = kdf

    proxy.rewrite("POST", "/v1/prelogin", weaken)


def _nothing_sent(proxy: HostileProxy) -> None:
    assert proxy.paths() == ["POST /v1/prelogin"], proxy.paths()


@pytest.mark.parametrize("kdf", [
    {**FLOOR, "memory_kib": 8},            # memory far below the OWASP floor
    {**FLOOR, "memory_kib": 19455},        # one KiB below the floor
    {**FLOOR, "iterations": 1},            # a single pass
    {**FLOOR, "parallelism": 0},           # no lanes at all
], ids=["memory-8KiB", "memory-floor-minus-1", "iterations-1", "parallelism-0"])
def test_kdf_below_the_floor_is_refused_before_deriving(hostile: HostileProxy, accounts, account, kdf) -> None:
    _, _, kit = account
    fresh = accounts.device("fresh")  # a new device: no pin yet, so the floor is all that stands
    _offer(hostile, kdf)
    result = fresh.run("login", "--kit", str(kit))
    refused(result, says="key-derivation settings")
    _nothing_sent(hostile)
    assert not (fresh.home / "account.json").exists()
    assert not (fresh.home / "secret-key").exists()


def test_kdf_below_this_devices_pin_is_refused(hostile: HostileProxy, account) -> None:
    """Above the floor but below what this device last used: a downgrade all the same."""
    device, _, _ = account
    before = (device.home / "account.json").read_bytes()
    _offer(hostile, FLOOR)
    result = device.run("login")
    refused(result, says="below what this device used before")
    _nothing_sent(hostile)
    assert (device.home / "account.json").read_bytes() == before


@pytest.mark.parametrize("kdf", [
    {**FLOOR, "memory_kib": 4 * 1048576},  # 4 GiB: would exhaust memory
    {**FLOOR, "iterations": 1000},         # would take minutes
], ids=["memory-4GiB", "iterations-1000"])
def test_kdf_above_the_ceiling_is_refused_so_the_client_cannot_be_made_to_hang(
        hostile: HostileProxy, accounts, account, kdf) -> None:
    _, _, kit = account
    fresh = accounts.device("fresh")
    _offer(hostile, kdf)
    refused(fresh.run("login", "--kit", str(kit), timeout=20), says="above the ceiling")
    _nothing_sent(hostile)


@pytest.mark.parametrize("salt", ["A" * 20, "A" * 23, "A" * 4096], ids=["15-bytes", "17-bytes", "3KiB"])
def test_a_salt_that_is_not_16_bytes_is_refused_before_deriving(hostile: HostileProxy, accounts, account, salt) -> None:
    _, _, kit = account
    fresh = accounts.device("fresh")

    def swap(doc: dict, _exchange) -> None:
        doc["salt"] = salt

    hostile.rewrite("POST", "/v1/prelogin", swap)
    refused(fresh.run("login", "--kit", str(kit)), says="salt")
    _nothing_sent(hostile)
    assert not (fresh.home / "account.json").exists()


def test_honest_prelogin_logs_in(hostile: HostileProxy, accounts, account) -> None:
    """The control: through the same proxy, unaltered, a new device logs in and pins the parameters."""
    _, _, kit = account
    fresh = accounts.device("fresh")
    fresh.ok("login", "--kit", str(kit))
    assert "POST /v1/login" in hostile.paths()
    assert json.loads((fresh.home / "account.json").read_text())["kdf_pin"] == ACCOUNT_KDF

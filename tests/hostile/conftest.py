"""Fixtures of the hostile-server suite: one real ``bv-server`` and one hostile proxy per module.

Tests that only rewrite answers share the server; tests that edit the database make their own
accounts, so no test sees another's tampering. ``hostile`` is the module's proxy with no hooks and
an empty log at the start of each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client.bv import Device
from tests.helpers.server_proc import ServerProcess
from tests.hostile.checks import create_account, new_email
from tests.hostile.proxy import HostileProxy
from tests.hostile.tamper import ServerDb


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with ServerProcess(tmp_path_factory.mktemp("bv-server")) as srv:
        yield srv


@pytest.fixture(scope="module")
def proxy(server: ServerProcess) -> Iterator[HostileProxy]:
    with HostileProxy(server.url) as p:
        yield p


@pytest.fixture
def hostile(proxy: HostileProxy) -> Iterator[HostileProxy]:
    proxy.reset()
    yield proxy
    proxy.reset()


@pytest.fixture(scope="module")
def db(server: ServerProcess) -> ServerDb:
    return ServerDb(server)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("devices")


class Accounts:
    """Make accounts and their devices on the module's server, through the proxy."""

    def __init__(self, root: Path, proxy: HostileProxy) -> None:
        self.root = root
        self.proxy = proxy
        self.count = 0

    def device(self, tag: str) -> Device:
        self.count += 1
        return Device(self.root, f"{tag}-{self.count}")

    def create(self, tag: str) -> tuple[Device, str, Path]:
        """A new account on a new device: (device, email, Emergency Kit)."""
        device = self.device(tag)
        email = new_email(tag)
        return device, email, create_account(device, self.proxy.url, email)

    def second_device(self, kit: Path, tag: str) -> Device:
        device = self.device(tag)
        device.ok("login", "--kit", str(kit))
        return device


@pytest.fixture(scope="module")
def accounts(root: Path, proxy: HostileProxy) -> Accounts:
    return Accounts(root, proxy)

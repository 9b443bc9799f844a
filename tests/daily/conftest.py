"""Fixtures for the daily-use tests: one real bv-server per module, devices with their own homes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.server_proc import ServerProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A SQLite-backed server shared by the tests of one module (each test uses its own account)."""
    with ServerProcess(tmp_path_factory.mktemp("bv-server")) as proc:
        yield proc


@pytest.fixture
def email(request: pytest.FixtureRequest) -> str:
    return f"{request.node.name.lower().replace('_', '-')[:40]}@example.org"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path

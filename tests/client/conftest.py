"""Fixtures for the client tests: a real bv-server per test (SQLite unless said otherwise)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.fixtures import bv_server, bv_server_pg  # noqa: F401
from tests.helpers.server_proc import ServerProcess


@pytest.fixture
def server_url(bv_server: ServerProcess) -> str:  # noqa: F811
    return bv_server.url


@pytest.fixture
def server_data_dir(bv_server: ServerProcess) -> Path:  # noqa: F811
    return bv_server.data_dir

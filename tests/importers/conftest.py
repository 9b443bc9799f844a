"""Fixtures for the end-to-end import tests: a real bv-server per test (SQLite)."""

from __future__ import annotations

import pytest

from tests.helpers.fixtures import bv_server  # noqa: F401
from tests.helpers.server_proc import ServerProcess


@pytest.fixture
def server_url(bv_server: ServerProcess) -> str:  # noqa: F811
    return bv_server.url

"""Fixtures for the server tests: one real server per test module and back end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.fixtures import bv_server_factory  # noqa: F401 - fixture re-export
from tests.helpers.pg import temporary_pg_database
from tests.helpers.server_proc import ServerProcess
from tests.server.api import Api
from tests.server.db import ServerDb

# Shared servers see many deliberate failures from 127.0.0.1; keep the per-address throttle
# out of the way of tests that are not about it (test_rate_limit.py starts its own servers;
# ServerProcess opens up the registration throttle by default).
MODULE_SERVER_ENV = {"BV_ADDRESS_FREE_FAILURES": "1000", "BV_ADDRESS_LOCKOUT_FAILURES": "100000"}


def _module_env(request: pytest.FixtureRequest) -> dict[str, str]:
    return {**MODULE_SERVER_ENV, **getattr(request.module, "SERVER_ENV", {})}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A running server for this module on each back end (its own database)."""
    data_dir: Path = tmp_path_factory.mktemp("bv-server")
    env = _module_env(request)
    if request.param == "postgres":
        with temporary_pg_database() as url, ServerProcess(data_dir, database_url=url, env=env) as proc:
            yield proc
    else:
        with ServerProcess(data_dir, env=env) as proc:
            yield proc


@pytest.fixture(scope="module")
def api(server: ServerProcess) -> Iterator[Api]:
    client = Api(server.api_url)
    yield client
    client.close()


@pytest.fixture(scope="module")
def db(server: ServerProcess) -> Iterator[ServerDb]:
    """The module server's database, read and written directly."""
    database = ServerDb(server)
    yield database
    database.close()

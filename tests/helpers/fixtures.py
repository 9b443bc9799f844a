"""Pytest fixtures around ``ServerProcess``. Use them from a test module or conftest with

    from tests.helpers.fixtures import bv_server, bv_server_pg, bv_server_factory  # noqa: F401

- ``bv_server``: a fresh SQLite-backed server for one test.
- ``bv_server_pg``: a fresh PostgreSQL-backed server for one test (``pg_url`` from tests/conftest.py).
- ``bv_server_factory``: ``start(backend="sqlite"|"postgres", database_url=None, **kwargs)`` for
  tests that need several servers (e.g. two processes sharing one PostgreSQL database); every
  server it started is stopped at the end of the test.
- ``bv_backend_server``: one server per test module and back end, parametrized over
  ``sqlite`` and ``postgres``; for tests that do not need a database of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers.pg import temporary_pg_database
from tests.helpers.server_proc import ServerProcess


@pytest.fixture
def bv_server(tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(tmp_path / "bv-server") as server:
        yield server


@pytest.fixture
def bv_server_pg(tmp_path: Path, pg_url: str) -> Iterator[ServerProcess]:
    with ServerProcess(tmp_path / "bv-server", database_url=pg_url) as server:
        yield server


@pytest.fixture
def bv_server_factory(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def start(backend: str = "sqlite", database_url: str | None = None, **kwargs: object) -> ServerProcess:
        if backend == "postgres" and database_url is None:
            database_url = request.getfixturevalue("pg_url")
        data_dir = kwargs.pop("data_dir", None) or tmp_path / f"bv-server-{len(started)}"
        server = ServerProcess(data_dir, database_url=database_url, **kwargs)  # type: ignore[arg-type]
        started.append(server)
        return server.start()

    yield start
    for server in reversed(started):
        server.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def bv_backend_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("bv-server")
    if request.param == "postgres":
        with temporary_pg_database() as url, ServerProcess(data_dir, database_url=url) as server:
            yield server
    else:
        with ServerProcess(data_dir) as server:
            yield server

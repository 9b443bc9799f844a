"""Shared fixtures: temporary PostgreSQL databases and the CI rules for them."""

from __future__ import annotations

import pytest

from tests.helpers.pg import temporary_pg_database


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards.

    Yields a SQLAlchemy URL (postgresql+psycopg://...). Skips when PostgreSQL is
    unreachable, except under CI=true, where that is a failure.
    """
    with temporary_pg_database() as url:
        yield url

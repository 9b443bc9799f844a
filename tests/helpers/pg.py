"""Temporary PostgreSQL databases for fixtures wider than one test.

The ``pg_url`` fixture of tests/conftest.py uses this per test: ``BV_TEST_POSTGRES_URL`` names the
server; unreachable means skip, except under ``CI=true`` where it is a failure.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG_ADMIN_URL = os.environ.get("BV_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _admin():
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)


@contextmanager
def temporary_pg_database() -> Iterator[str]:
    """A fresh database (SQLAlchemy URL ``postgresql+psycopg://...``), dropped afterwards."""
    try:
        admin = _admin()
    except Exception as exc:  # noqa: BLE001 - any connection failure means "unreachable"
        if _in_ci():
            pytest.fail(f"PostgreSQL unreachable at {PG_ADMIN_URL} under CI: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc}")
    name = "bv_test_" + secrets.token_hex(6)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    url = base.replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name
    try:
        yield url
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

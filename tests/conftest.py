"""Shared fixtures: temporary PostgreSQL databases and the CI rules for them."""

from __future__ import annotations

import os
import secrets

import pytest

PG_ADMIN_URL = os.environ.get("BV_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _admin_connect():
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards.

    Yields a SQLAlchemy URL (postgresql+psycopg://...). Skips when PostgreSQL is
    unreachable, except under CI=true, where that is a failure.
    """
    try:
        admin = _admin_connect()
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
        with _admin_connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

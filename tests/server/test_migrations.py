"""Migrations on both back ends: an empty database upgrades to a schema equal to the models,
and `serve` refuses a database that is not migrated."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests.helpers.server_proc import server_command
from vault_server.migrate import head_revision
from vault_server.models import metadata


def _cli(args: list[str], data_dir: Path, database_url: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BV_")}
    if database_url:
        env["BV_DATABASE_URL"] = database_url
    return subprocess.run([*server_command(), *args, "--data-dir", str(data_dir)], env=env, text=True,
                          capture_output=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str | None, str]:
    """(data dir, BV_DATABASE_URL or None, SQLAlchemy URL) of an empty database."""
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        return tmp_path, url, url
    return tmp_path, None, f"sqlite:///{tmp_path / 'blindvault.db'}"


def test_upgrade_an_empty_database_matches_the_models(database) -> None:  # noqa: ANN001
    data_dir, bv_url, sa_url = database
    current = _cli(["db", "current"], data_dir, bv_url)
    assert current.returncode == 1 and "(none)" in current.stdout

    upgraded = _cli(["db", "upgrade"], data_dir, bv_url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert head_revision() in upgraded.stdout
    current = _cli(["db", "current"], data_dir, bv_url)
    assert current.returncode == 0 and f"current: {head_revision()}" in current.stdout
    again = _cli(["db", "upgrade"], data_dir, bv_url)
    assert again.returncode == 0 and "already" in again.stdout

    engine = sa.create_engine(sa_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
            tables = set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert diff == []
    assert tables == set(metadata.tables) | {"alembic_version"}


def test_serve_refuses_an_unmigrated_database_with_one_line(database) -> None:  # noqa: ANN001
    data_dir, bv_url, _ = database
    result = _cli(["serve", "--port", "1"], data_dir, bv_url)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("bv-server: error: ") and "not been migrated" in lines[0]
    assert "--migrate" in lines[0]


def test_serve_refuses_an_outdated_database(tmp_path: Path) -> None:
    assert _cli(["db", "upgrade"], tmp_path, None).returncode == 0
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'blindvault.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '0000'"))
    finally:
        engine.dispose()
    result = _cli(["serve", "--port", "1"], tmp_path, None)
    assert result.returncode == 2
    assert "revision 0000" in result.stderr and head_revision() in result.stderr


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = _cli(["db", "current"], tmp_path, "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.returncode == 2
    assert result.stderr.startswith("bv-server: error: cannot reach the database")
    assert len(result.stderr.strip().splitlines()) == 1

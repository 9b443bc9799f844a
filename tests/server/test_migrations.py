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


def test_upgrading_a_database_with_data_keeps_it(database) -> None:  # noqa: ANN001
    """Rows written under the first schema survive every later revision unchanged."""
    import uuid
    from datetime import UTC, datetime

    from vault_server.migrate import upgrade

    _, _, sa_url = database
    engine = sa.create_engine(sa_url)
    sqlite = engine.dialect.name == "sqlite"

    def uid(value: uuid.UUID) -> object:
        return value.hex if sqlite else value

    account, vault = uuid.uuid4(), uuid.uuid4()
    wrapped, blob, now = b"\x01\x03" + bytes(60), b"\x01\x04" + bytes(300), datetime.now(UTC)
    try:
        upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO accounts (email, id, salt, kdf_memory_kib, kdf_iterations, kdf_parallelism, auth_hash,"
                " wrapped_account_key, wrapped_private_keys, identity_public, sharing_public, bundle_signature,"
                " created_at, updated_at) VALUES ('a@b.co', :a, :s, 19456, 2, 1, '$argon2id$x', :k, :k, :k, :k, :k,"
                " :t, :t)"), {"a": uid(account), "s": bytes(16), "k": wrapped, "t": now})
            conn.execute(sa.text("INSERT INTO vaults (key_generation, id, seq, manifest_version, manifest_mac,"
                                 " created_at, updated_at) VALUES (1, :v, 1, 1, :m, :t, :t)"),
                         {"v": uid(vault), "m": bytes(32), "t": now})
            conn.execute(sa.text("INSERT INTO vault_members (role, key_generation, vault_id, account_id,"
                                 " wrapped_vault_key, created_at, updated_at) VALUES ('owner', 1, :v, :a, :k, :t, :t)"),
                         {"v": uid(vault), "a": uid(account), "k": wrapped, "t": now})
            conn.execute(sa.text("INSERT INTO items (revision, vault_id, item_id, blob, seq, updated_at)"
                                 " VALUES (1, :v, :i, :b, 1, :t)"),
                         {"v": uid(vault), "i": uid(uuid.uuid4()), "b": blob, "t": now})
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT members_version, seq FROM vaults")).all() == [(0, 1)]
            member = conn.execute(sa.text("SELECT role, wrapped_vault_key, pending_grant, granted_by"
                                          " FROM vault_members")).one()
            assert (member[0], bytes(member[1]), member[2], member[3]) == ("owner", wrapped, None, None)
            assert [bytes(r[0]) for r in conn.execute(sa.text("SELECT blob FROM items"))] == [blob]
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        assert diff == []
    finally:
        engine.dispose()

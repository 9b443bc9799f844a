"""Alembic environment: migrates the engine handed over by ``vault_server.migrate`` or, when run
through the ``alembic`` command, the database named by the BV_* settings."""

from __future__ import annotations

from alembic import context

import vault_server.models  # noqa: F401 - registers every table on the metadata
from vault_server.database import make_engine
from vault_server.models import metadata
from vault_server.settings import Settings

config = context.config


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    owned = engine is None
    if owned:
        engine = make_engine(Settings.from_env())
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
    finally:
        if owned:
            engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; connect to the database")
run_migrations_online()

"""Direct access to a test server's database: what the operator (or a thief) would read.

Tests use it to check that a refused request changed nothing, that deleted data is really gone,
and to move a clock-bound value (an expiry) into the past.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests.helpers.server_proc import ServerProcess


class ServerDb:
    def __init__(self, server: ServerProcess):
        self.engine = sa.create_engine(server.database_url)

    def close(self) -> None:
        self.engine.dispose()

    def id(self, value: str) -> object:
        """A UUID as a bind parameter: SQLAlchemy's Uuid is 32 hex digits on SQLite, native on PostgreSQL."""
        return uuid.UUID(value).hex if self.engine.dialect.name == "sqlite" else uuid.UUID(value)

    def rows(self, sql: str, **params: Any) -> list[tuple]:
        with self.engine.connect() as conn:
            return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                    for row in conn.execute(sa.text(sql), params)]

    def execute(self, sql: str, **params: Any) -> int:
        with self.engine.begin() as conn:
            return conn.execute(sa.text(sql), params).rowcount

    def vault_snapshot(self, vault_id: str) -> dict[str, list[tuple]]:
        """Every row about one vault: the vault, its members, items, invitations and attachments."""
        v = self.id(vault_id)
        return {
            "vault": self.rows("SELECT key_generation, seq, manifest_version, manifest_mac, members_version "
                               "FROM vaults WHERE id = :v", v=v),
            "members": self.rows("SELECT account_id, role, key_generation, wrapped_vault_key, pending_grant, "
                                 "granted_by FROM vault_members WHERE vault_id = :v ORDER BY account_id", v=v),
            "items": self.rows("SELECT item_id, revision, blob, seq FROM items WHERE vault_id = :v "
                               "ORDER BY item_id", v=v),
            "invitations": self.rows('SELECT invitee_id, role, key_generation, "grant" FROM invitations '
                                     "WHERE vault_id = :v ORDER BY invitee_id", v=v),
            "attachments": self.rows("SELECT attachment_id, size FROM attachments WHERE vault_id = :v "
                                     "ORDER BY attachment_id", v=v),
        }

    def all_bytes(self) -> bytes:
        """Every bytes value of every row of every table, concatenated."""
        out = bytearray()
        with self.engine.connect() as conn:
            for table in sa.inspect(conn).get_table_names():
                for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                    for value in row:
                        if isinstance(value, (bytes, memoryview)):
                            out += bytes(value)
        return bytes(out)


def issue_reset_token(server: ServerProcess, email: str, minutes: int = 60) -> str:
    """A reset token issued straight through the query layer, as `bv-server reset-token` does
    (without the cost of starting that command; its own test runs the real command)."""
    from vault_server.crud.accounts import get_account_by_email
    from vault_server.crud.resets import issue_token
    from vault_server.database import Database
    from vault_server.models.base import utcnow
    from vault_server.settings import Settings

    settings = Settings(data_dir=server.data_dir,
                        database_url=server.database_url if server.backend == "postgres" else None)
    database = Database.from_settings(settings)
    try:
        with database.write() as session:
            account = get_account_by_email(session, email)
            assert account is not None, "no such account"
            token, _ = issue_token(session, account.id, timedelta(minutes=minutes), utcnow())
    finally:
        database.dispose()
    return token

"""Server secrets: random keys created once per database and shared by every server process."""

from __future__ import annotations

import secrets

from sqlmodel import Session

from vault_server.crud.common import insert_ignoring_conflict
from vault_server.models import ServerSecret
from vault_server.models.base import utcnow

SECRET_BYTES = 32


def get_or_create_secret(session: Session, name: str) -> bytes:
    """The secret called ``name``; the first caller (in any process) creates it."""
    insert_ignoring_conflict(
        session,
        ServerSecret,
        {"name": name, "value": secrets.token_bytes(SECRET_BYTES), "created_at": utcnow()},
    )
    row = session.get(ServerSecret, name)
    assert row is not None  # inserted above or by a concurrent process
    return row.value

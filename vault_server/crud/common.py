"""Small helpers shared by the query modules."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel


def insert_ignoring_conflict(session: Session, model: type[SQLModel], values: dict[str, Any]) -> bool:
    """INSERT a row unless one with the same key exists (atomic on both back ends); True if inserted."""
    if session.get_bind().dialect.name == "postgresql":
        stmt = postgresql.insert(model).values(**values).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(model).values(**values).on_conflict_do_nothing()
    return session.execute(stmt).rowcount == 1

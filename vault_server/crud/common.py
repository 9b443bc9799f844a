"""Small helpers shared by the query modules."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel


def insert_ignoring_conflict(session: Session, model: type[SQLModel], values: dict[str, Any]) -> bool:
    """INSERT a row unless one with the same key exists (atomic on both back ends); True if inserted."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    key = list(model.__table__.primary_key.columns)  # type: ignore[attr-defined]
    # RETURNING rather than rowcount: the driver's rowcount for this statement is not reliable.
    stmt = dialect.insert(model).values(**values).on_conflict_do_nothing().returning(*key)
    return session.execute(stmt).first() is not None

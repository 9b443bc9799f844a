"""Shared pieces of the schema: metadata naming, timestamps, the request base class."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ConfigDict
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

# Deterministic constraint names, so SQLite and PostgreSQL migrations agree.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Timestamp = UTCDateTime  # aware datetimes in, UTC datetimes out, on both back ends


def utcnow() -> datetime:
    return datetime.now(UTC)


class Request(SQLModel):
    """Base of every request body: unknown fields are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Response(SQLModel):
    """Base of every response body."""

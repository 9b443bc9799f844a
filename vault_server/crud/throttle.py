"""Queries on login throttles: failed-attempt counters shared by every server process."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, delete
from sqlmodel import Session, select

from vault_server.crud.common import insert_ignoring_conflict
from vault_server.models import LoginThrottle


# Prebuilt: checked and cleared by every login, on a bare connection or in an ORM session.
_BLOCKED = select(LoginThrottle.blocked_until).where(
    LoginThrottle.key.in_(bindparam("keys", expanding=True)),  # type: ignore[attr-defined]
    LoginThrottle.blocked_until > bindparam("now"),
)
_CLEAR = delete(LoginThrottle).where(LoginThrottle.key == bindparam("key"))


def seconds_blocked(db: Session | Connection, keys: Iterable[str], now: datetime) -> float:
    """How long until every one of ``keys`` may try again (0 when none is blocked)."""
    rows = db.execute(_BLOCKED, {"keys": list(keys), "now": now}).scalars().all()
    return max(((until - now).total_seconds() for until in rows), default=0.0)


def add_failure(session: Session, key: str, now: datetime, window: timedelta) -> int:
    """Count one more failure for ``key`` (forgetting failures older than ``window``); the new count.

    The row is locked for the rest of the transaction (SELECT ... FOR UPDATE on PostgreSQL; the
    write transaction itself on SQLite), so concurrent processes never lose an increment.
    """
    insert_ignoring_conflict(
        session, LoginThrottle, {"key": key, "failures": 0, "last_failure_at": now, "blocked_until": now}
    )
    row = session.exec(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()).one()
    if now - row.last_failure_at > window and row.blocked_until <= now:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    session.add(row)
    return row.failures


def block_until(session: Session, key: str, until: datetime) -> None:
    row = session.get(LoginThrottle, key)
    if row is not None and row.blocked_until < until:
        row.blocked_until = until
        session.add(row)


def clear_failures(db: Session | Connection, key: str) -> None:
    db.execute(_CLEAR, {"key": key})

"""Queries on device sessions: create, authenticate, list, revoke."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, bindparam, delete, insert, update
from sqlmodel import Session, select

from vault_server.models import DeviceSession, DeviceSessionPublic, SessionToken
from vault_server.security import new_session_token


_INSERT_SESSION = insert(DeviceSession)
_PURGE_EXPIRED = delete(DeviceSession).where(
    DeviceSession.account_id == bindparam("account_id"), DeviceSession.expires_at <= bindparam("now"))


def create_session(db: Session | Connection, account_id: uuid.UUID, device_name: str, lifetime: timedelta,
                   now: datetime) -> SessionToken:
    """A new session for a device (one prebuilt INSERT, in an ORM session or on a bare connection)."""
    token, digest = new_session_token()
    session_id, expires_at = uuid.uuid4(), now + lifetime
    db.execute(_INSERT_SESSION, {"id": session_id, "account_id": account_id, "device_name": device_name,
                                 "token_hash": digest, "created_at": now, "last_seen_at": now,
                                 "expires_at": expires_at})
    return SessionToken(token=token, session_id=session_id, expires_at=expires_at)


_LIVE_SESSION = select(DeviceSession.id, DeviceSession.account_id, DeviceSession.last_seen_at).where(
    DeviceSession.token_hash == bindparam("digest"), DeviceSession.expires_at > bindparam("now"))


def live_session(conn: Connection, digest: bytes, now: datetime) -> Row | None:
    """``(id, account_id, last_seen_at)`` of the live session with this token hash, or None.

    The lookup every authenticated request makes: one prebuilt Core statement on a bare
    connection, no ORM session or objects.
    """
    return conn.execute(_LIVE_SESSION, {"digest": digest, "now": now}).first()


def touch_session(session: Session, session_id: uuid.UUID, now: datetime) -> None:
    session.execute(update(DeviceSession).where(DeviceSession.id == session_id).values(last_seen_at=now))


def list_sessions(session: Session, account_id: uuid.UUID, current_id: uuid.UUID,
                  now: datetime) -> list[DeviceSessionPublic]:
    rows = session.exec(
        select(DeviceSession)
        .where(DeviceSession.account_id == account_id, DeviceSession.expires_at > now)
        .order_by(DeviceSession.created_at, DeviceSession.id)
    ).all()
    return [
        DeviceSessionPublic(
            session_id=row.id,
            device_name=row.device_name,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            current=row.id == current_id,
        )
        for row in rows
    ]


def delete_session(session: Session, account_id: uuid.UUID, session_id: uuid.UUID) -> bool:
    result = session.execute(
        delete(DeviceSession).where(DeviceSession.id == session_id, DeviceSession.account_id == account_id)
    )
    return result.rowcount == 1


def delete_other_sessions(session: Session, account_id: uuid.UUID, keep_id: uuid.UUID) -> int:
    result = session.execute(
        delete(DeviceSession).where(DeviceSession.account_id == account_id, DeviceSession.id != keep_id)
    )
    return result.rowcount


def purge_expired_sessions(db: Session | Connection, account_id: uuid.UUID, now: datetime) -> None:
    db.execute(_PURGE_EXPIRED, {"account_id": account_id, "now": now})


def delete_all_sessions(session: Session, account_id: uuid.UUID) -> int:
    result = session.execute(delete(DeviceSession).where(DeviceSession.account_id == account_id))
    return result.rowcount

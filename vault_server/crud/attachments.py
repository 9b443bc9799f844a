"""Queries on attachments: store once, read, delete."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, select

from vault_server.crud.common import insert_ignoring_conflict
from vault_server.models import Attachment


def insert_attachment(session: Session, vault_id: uuid.UUID, attachment_id: uuid.UUID, blob: bytes,
                      now: datetime) -> bool:
    """Store a new attachment; False (nothing stored) when the id exists: attachments never change."""
    return insert_ignoring_conflict(session, Attachment, {
        "vault_id": vault_id, "attachment_id": attachment_id, "size": len(blob), "blob": blob, "created_at": now,
    })


def attachment_blob(session: Session, vault_id: uuid.UUID, attachment_id: uuid.UUID) -> bytes | None:
    return session.exec(
        select(Attachment.blob).where(Attachment.vault_id == vault_id, Attachment.attachment_id == attachment_id)
    ).first()


def delete_attachment(session: Session, vault_id: uuid.UUID, attachment_id: uuid.UUID) -> bool:
    result = session.execute(
        delete(Attachment).where(Attachment.vault_id == vault_id, Attachment.attachment_id == attachment_id)
    )
    return result.rowcount == 1

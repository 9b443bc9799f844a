"""Attachments: files sealed by the client (envelope kind 0x09), stored per vault as opaque bytes.

They travel as raw request and response bodies (``application/octet-stream``), not JSON, so
the only wire schema is the small receipt of an upload.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, LargeBinary
from sqlmodel import Field, SQLModel

from vault_server.models.base import Response, Timestamp, utcnow
from vault_server.models.wire import Id

# Room the client may use beyond the plaintext limit for the envelope and its padding.
ATTACHMENT_OVERHEAD = 64 * 1024


class Attachment(SQLModel, table=True):
    __tablename__ = "attachments"

    vault_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("vaults.id", ondelete="CASCADE"), primary_key=True)
    )
    attachment_id: uuid.UUID = Field(primary_key=True)
    size: int = Field(sa_type=BigInteger)
    blob: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class AttachmentPublic(Response):
    """Receipt of an upload."""

    vault_id: Id
    attachment_id: Id
    size: int

"""Attachments: sealed files as raw bodies (``application/octet-stream``).

Uploads are bounded twice: the body-limit middleware refuses more than the attachment limit
(``BV_MAX_ATTACHMENT_BYTES`` plus 64 KiB for the envelope) for this route, and the route counts
again while reading. The server checks only the envelope header (version 0x01, kind 0x09).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from vault_server.crud import attachments as attachment_queries
from vault_server.crud import vaults as vault_queries
from vault_server.database import Database
from vault_server.deps import AuthContext, CurrentSession, SessionDep, StateDep, WriteSessionDep
from vault_server.errors import BodyTooLarge, Conflict, Forbidden, InvalidRequest, NotFound
from vault_server.models import AttachmentPublic, Role
from vault_server.models.attachments import ATTACHMENT_OVERHEAD
from vault_server.models.base import utcnow
from vault_server.models.wire import ENVELOPE_MIN_LEN, ENVELOPE_VERSION, EnvelopeKind, Id

router = APIRouter(tags=["attachments"])

PATH = "/vaults/{vault_id}/attachments/{attachment_id}"
BINARY = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}


def _require_member(db: Database, vault_id: Id, auth: AuthContext, write: bool) -> None:
    with db.read() as session:
        _check_role(session, vault_id, auth, write)


def _check_role(session: Session, vault_id: Id, auth: AuthContext, write: bool) -> None:
    found = vault_queries.membership(session, vault_id, auth.account_id)
    if found is None:
        raise NotFound("No such vault.")
    if write and not Role(found[1].role).can_write:
        raise Forbidden("Viewers cannot change this vault.")


@router.put(PATH, response_model=AttachmentPublic, status_code=status.HTTP_201_CREATED,
            openapi_extra={"requestBody": {"required": True, "content": BINARY}},
            responses={409: {"description": "`conflict`: an attachment with this id exists"},
                       413: {"description": "`body_too_large`: larger than the attachment limit"}})
async def put_attachment(vault_id: Id, attachment_id: Id, request: Request, auth: CurrentSession,
                         state: StateDep) -> AttachmentPublic:
    """Upload a sealed attachment (owners and editors). Attachments are immutable: a new version
    is a new id."""
    db = state.db
    await run_in_threadpool(_require_member, db, vault_id, auth, True)
    limit = state.settings.max_attachment_bytes + ATTACHMENT_OVERHEAD
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(f"An attachment may be at most {limit} bytes.")
    blob = bytes(body)
    if len(blob) < ENVELOPE_MIN_LEN or blob[0] != ENVELOPE_VERSION or blob[1] != EnvelopeKind.ATTACHMENT:
        raise InvalidRequest("The body must be an attachment ciphertext (envelope 0x01, kind 0x09).")

    def store() -> None:
        with db.write() as session:
            _check_role(session, vault_id, auth, True)
            if not attachment_queries.insert_attachment(session, vault_id, attachment_id, blob, utcnow()):
                raise Conflict("An attachment with this id exists; attachments are never replaced.")

    await run_in_threadpool(store)
    return AttachmentPublic(vault_id=vault_id, attachment_id=attachment_id, size=len(blob))


@router.get(PATH, response_class=Response, responses={200: {"description": "the sealed bytes", "content": BINARY}})
def get_attachment(vault_id: Id, attachment_id: Id, auth: CurrentSession, session: SessionDep) -> Response:
    """Download a sealed attachment (any member)."""
    _check_role(session, vault_id, auth, False)
    blob = attachment_queries.attachment_blob(session, vault_id, attachment_id)
    if blob is None:
        raise NotFound("No such attachment.")
    return Response(content=bytes(blob), media_type="application/octet-stream")


@router.delete(PATH, status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_attachment(vault_id: Id, attachment_id: Id, auth: CurrentSession, session: WriteSessionDep) -> Response:
    """Delete an attachment (owners and editors); its bytes are gone, not flagged."""
    _check_role(session, vault_id, auth, True)
    if not attachment_queries.delete_attachment(session, vault_id, attachment_id):
        raise NotFound("No such attachment.")
    return Response(status_code=status.HTTP_204_NO_CONTENT)

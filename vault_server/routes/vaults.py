"""Vaults, batch writes of items, and delta sync."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from vault_server.crud import vaults as vault_queries
from vault_server.deps import BearerDep, CurrentSession, DatabaseDep, SessionDep, WriteSessionDep
from vault_server.errors import Conflict, Forbidden, NotFound
from vault_server.hotpath import changes_answer, sync_answer
from vault_server.models import ChangeBatch, ChangeResult, Role, SyncPublic, SyncRequest, VaultCreate, VaultList, VaultPublic
from vault_server.models.base import utcnow
from vault_server.models.wire import Id

router = APIRouter(tags=["vaults"])


@router.get("/vaults", response_model=VaultList)
def list_vaults(auth: CurrentSession, session: SessionDep) -> VaultList:
    """The caller's vaults with their role and their copy of each vault key."""
    rows = vault_queries.memberships(session, auth.account_id)
    return VaultList(vaults=[vault_queries.vault_public(vault, member) for vault, member in rows])


@router.post("/vaults", response_model=VaultPublic, status_code=status.HTTP_201_CREATED)
def create_vault(body: VaultCreate, auth: CurrentSession, session: WriteSessionDep) -> VaultPublic:
    """A new vault; the caller is its owner."""
    if vault_queries.vault_exists(session, body.vault_id):
        raise Conflict("This vault id is taken.")
    vault, member = vault_queries.insert_vault(session, auth.account_id, body, utcnow())
    return vault_queries.vault_public(vault, member)


@router.delete("/vaults/{vault_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_vault(vault_id: Id, auth: CurrentSession, session: WriteSessionDep) -> Response:
    """Delete a vault and all its items (owners only)."""
    found = vault_queries.membership(session, vault_id, auth.account_id)
    if found is None:
        raise NotFound("No such vault.")
    if found[1].role != Role.owner.value:
        raise Forbidden("Only an owner can delete a vault.")
    vault_queries.delete_vault(session, vault_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/vaults/{vault_id}/changes", response_model=ChangeResult,
             responses={409: {"description": "stale base_manifest_version or base_revision; "
                              "`current` holds the server's manifest version and stale items"}})
def write_changes(vault_id: Id, body: ChangeBatch, credentials: BearerDep, db: DatabaseDep) -> ChangeResult:
    """Write items (or tombstones) and the new manifest atomically; stale bases get 409."""
    # Well-formed requests are answered by hotpath.HotPath with the same function; this route
    # serves the rest (and documents the endpoint).
    return changes_answer(db, credentials.credentials if credentials else None, vault_id, body)


@router.post("/sync", response_model=SyncPublic)
def sync(body: SyncRequest, credentials: BearerDep, db: DatabaseDep) -> Response:
    """Everything that changed in the caller's vaults since the given cursors."""
    # Well-formed requests are answered by hotpath.HotPath with the same function; this route
    # serves the rest (and documents the endpoint).
    payload = sync_answer(db, credentials.credentials if credentials else None, body)
    return Response(payload, media_type="application/json")

"""Vaults, batch writes of items, and delta sync."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from vault_server.crud import vaults as vault_queries
from vault_server.deps import BearerDep, CurrentSession, DatabaseDep, SessionDep, WriteSessionDep, authenticate
from vault_server.errors import Conflict, Forbidden, NotFound
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
    auth = authenticate(db, credentials)
    # The whole transaction runs in this one worker-thread call: a WriteSessionDep would hold the
    # (SQLite) write lock from the dependency's thread call, across this one, to its commit.
    with db.write() as session:
        role = vault_queries.member_role(session, vault_id, auth.account_id)
        if role is None:
            raise NotFound("No such vault.")
        if not role.can_write:
            raise Forbidden("Viewers cannot change this vault.")
        return vault_queries.apply_changes(session, vault_id, body, utcnow())


@router.post("/sync", response_model=SyncPublic)
def sync(body: SyncRequest, credentials: BearerDep, db: DatabaseDep) -> Response:
    """Everything that changed in the caller's vaults since the given cursors."""
    with db.read() as session:
        auth = authenticate(db, credentials, session.connection())
        result = vault_queries.sync(session, auth.account_id, body.cursors)
    # Serialised here, once: the rows were validated when written.
    return Response(result.model_dump_json(), media_type="application/json")


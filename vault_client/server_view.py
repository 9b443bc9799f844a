"""`bv account server-view`: everything the server holds about this account, as the server sees
it, beside what it means on this device.

The server side is fetched fresh: the account record, the sessions, the invitations addressed to
this account, the members of each vault, and a full sync from cursor 0 (every item id, revision,
blob size and change counter). That sync is a read only: nothing is written to the local cache,
so its cursors and pins stay as they were.

The device side comes from the local cache and the unlocked view (the agent, or keys derived for
this one command): a blob the server holds is shown with its decrypted name and type when this
device has verified exactly that blob (same revision, same bytes). A blob this device has not
seen is shown as such; run `bv sync` to verify it. Secret values appear only when asked for.
"""

from __future__ import annotations

import hashlib
from typing import Any

from vault_client import crypto
from vault_client.account import bundle_from_wire
from vault_client.cache import Cache
from vault_client.encoding import b64d
from vault_client.entry import Entry
from vault_client.errors import IntegrityFailure
from vault_client.state import AccountState
from vault_client.transport import Api

KIND_NAMES = {0x01: "account key wrap", 0x02: "private keys wrap", 0x03: "vault key wrap", 0x04: "item",
              0x05: "recovery wrap", 0x06: "grant", 0x09: "attachment"}


def fetch(api: Api) -> dict[str, Any]:
    """What the server holds about the caller, straight from the API (nothing is stored)."""
    synced = api.sync({})  # every vault from cursor 0; read only
    vaults = synced.get("vaults") or []
    members = {}
    for vault in vaults:
        vault_id = str(vault.get("vault_id"))
        members[vault_id] = api.members(vault_id)
    return {"account": api.me(), "sessions": api.sessions(), "vaults": vaults,
            "members": members, "invitations": api.invitations()}


def blob_info(text: str | None, *, envelope: bool = True) -> dict[str, Any] | None:
    """Size, SHA-256 and (for ciphertext) envelope header of a base64url blob the server sent."""
    if text is None:
        return None
    try:
        blob = b64d(text)
    except ValueError:
        raise IntegrityFailure("the server sent a blob that is not base64url") from None
    info: dict[str, Any] = {"bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
    if envelope and len(blob) >= 2:
        info["envelope"] = f"version 0x{blob[0]:02x}, kind 0x{blob[1]:02x} ({KIND_NAMES.get(blob[1], 'unknown')})"
    return info


def _same(server_b64: str | None, local: bytes | None) -> bool:
    return server_b64 is not None and local is not None and b64d(server_b64) == local


def account_view(server: dict[str, Any], account: AccountState) -> dict[str, Any]:
    bundle = server.get("bundle") or {}
    device_side: dict[str, Any] = {
        "account_id": "same" if server.get("account_id") == account.account_id else "DIFFERENT",
        "email": "same" if server.get("email") == account.email else "DIFFERENT",
        "salt": "same" if server.get("salt") == account.salt else "different (changed on another device?)",
        "kdf": "same" if server.get("kdf") == account.kdf else "different",
        "kdf_pin": account.kdf_pin,
        "wrapped_account_key": "same as this device's copy" if server.get("wrapped_account_key")
        == account.wrapped_account_key else "different from this device's copy (password changed elsewhere?)",
        "bundle": "same as this device's" if bundle == account.bundle else "DIFFERENT from this device's",
    }
    try:
        public = bundle_from_wire(account.account_id, bundle)
        crypto.verify_public_bundle(public, account.email)
        device_side["safety_number"] = crypto.safety_number(public)
        device_side["bundle_signature"] = "valid for this email and account"
    except (crypto.CryptoError, IntegrityFailure):
        device_side["bundle_signature"] = "DOES NOT VERIFY"
    return {
        "server": {
            "account_id": server.get("account_id"), "email": server.get("email"),
            "salt": blob_info(server.get("salt"), envelope=False), "kdf": server.get("kdf"),
            "wrapped_account_key": blob_info(server.get("wrapped_account_key")),
            "wrapped_private_keys": blob_info(server.get("wrapped_private_keys")),
            "identity_public": blob_info(bundle.get("identity_public"), envelope=False),
            "sharing_public": blob_info(bundle.get("sharing_public"), envelope=False),
            "bundle_signature": blob_info(bundle.get("signature"), envelope=False),
            "recovery_enabled": server.get("recovery_enabled"),
        },
        "device": device_side,
    }


def _item_document(entry: Entry, reveal: bool) -> dict[str, Any]:
    item = entry.item
    doc: dict[str, Any] = {"type": item.type, "name": item.name, "trashed": item.trashed is not None,
                           "fields": sorted(item.fields), "attachments": len(item.attachments)}
    if reveal:
        full = item.to_dict()
        full.pop("v", None)
        full.pop("history", None)
        full["attachments"] = [{k: v for k, v in a.items() if k != "key"} for a in full.get("attachments", [])]
        doc["document"] = full
    return doc


def _item_view(vault_id: str, server_item: dict[str, Any], cache: Cache, entries: dict[tuple[str, str], Entry],
               names: dict[str, str], reveal: bool) -> dict[str, Any]:
    item_id = str(server_item.get("item_id"))
    revision = server_item.get("revision")
    blob = server_item.get("blob")
    row = cache.item(vault_id, item_id)
    if row is None:
        status = "not on this device yet (`bv sync` fetches and verifies it)"
    elif row.revision > (revision or 0):
        status = f"OLDER than this device's revision {row.revision}: the server is behind (rolled back?)"
    elif row.revision < (revision or 0):
        status = f"newer than this device's revision {row.revision} (`bv sync` fetches and verifies it)"
    elif blob is None and row.blob is None:
        status = "deleted, as this device knows it"
    elif _same(blob, row.blob):
        status = "same blob as this device verified"
    else:
        status = "DIFFERENT blob at the revision this device verified"
    device: dict[str, Any] = {"status": status}
    entry = entries.get((vault_id, item_id))
    if entry is not None and entry.pending:
        device["queued_edit"] = True  # the entry is this device's newer version, not the server's
    elif status == "same blob as this device verified" and blob is not None:
        if item_id == vault_id:
            device["vault_name"] = names.get(vault_id)
        elif entry is not None:
            device.update(_item_document(entry, reveal))
    return {"item_id": item_id, "server": {"revision": revision, "seq": server_item.get("seq"),
                                           "blob": blob_info(blob), "deleted": blob is None},
            "device": device}


def _members(doc: dict[str, Any]) -> dict[str, Any]:
    return {"members": [{"account_id": m.get("account_id"), "email": m.get("email"), "role": m.get("role")}
                        for m in doc.get("members") or []],
            "invitations": [{"account_id": i.get("account_id"), "email": i.get("email"), "role": i.get("role")}
                            for i in doc.get("invitations") or []]}


def vault_view(vault: dict[str, Any], members: dict[str, Any], cache: Cache,
               entries: dict[tuple[str, str], Entry], names: dict[str, str], reveal: bool) -> dict[str, Any]:
    vault_id = str(vault.get("vault_id"))
    local = cache.vault(vault_id)
    manifest = vault.get("manifest") or {}
    device: dict[str, Any] = {"name": names.get(vault_id) if local else None}
    if local is None:
        device["status"] = "not on this device yet (`bv sync`)"
    else:
        device["key_copy"] = ("same as this device's copy" if _same(vault.get("wrapped_vault_key"),
                                                                      local.wrapped_vault_key)
                              else "different from this device's copy")
        device["verified_manifest_version"] = local.manifest_version
        device["cursor"] = local.seq
    pending = vault.get("pending_grant")
    items = [_item_view(vault_id, i, cache, entries, names, reveal) for i in vault.get("items") or []]
    on_server = {i["item_id"] for i in items}
    queued = [e.item_id for e in entries.values() if e.vault_id == vault_id and e.pending]
    if queued:
        device["queued_on_this_device"] = queued
    if local is not None:
        missing = [r.item_id for r in cache.items(vault_id) if r.item_id not in on_server]
        if missing:
            device["MISSING_ON_SERVER"] = missing  # verified here, absent there
    return {
        "vault_id": vault_id,
        "server": {
            "role": vault.get("role"), "key_generation": vault.get("key_generation"),
            "members_version": vault.get("members_version"), "seq": vault.get("seq"),
            "manifest": {"version": manifest.get("version"), "generation": manifest.get("generation"),
                         "mac": blob_info(manifest.get("mac"), envelope=False)},
            "wrapped_vault_key": blob_info(vault.get("wrapped_vault_key")),
            "pending_grant": None if not pending else {"granted_by": pending.get("granted_by"),
                                                       "role": pending.get("role"),
                                                       "grant": blob_info(pending.get("grant"))},
            **_members(members),
        },
        "device": device,
        "items": items,
    }


def build(server: dict[str, Any], account: AccountState, cache: Cache, entries: list[Entry],
          names: dict[str, str], *, reveal: bool = False) -> dict[str, Any]:
    """The whole view: the server's records, each beside what this device makes of it."""
    by_id = {(e.vault_id, e.item_id): e for e in entries}
    return {
        "account": account_view(server["account"], account),
        "sessions": [{"session_id": s.get("session_id"), "device_name": s.get("device_name"),
                      "created_at": s.get("created_at"), "last_seen_at": s.get("last_seen_at"),
                      "current": bool(s.get("current"))} for s in server["sessions"]],
        "vaults": [vault_view(v, server["members"].get(str(v.get("vault_id")), {}), cache, by_id, names, reveal)
                   for v in server["vaults"]],
        "invitations": [{"vault_id": i.get("vault_id"), "inviter_email": i.get("inviter_email"),
                         "role": i.get("role"), "key_generation": i.get("key_generation"),
                         "grant": blob_info(i.get("grant"))} for i in server["invitations"]],
    }

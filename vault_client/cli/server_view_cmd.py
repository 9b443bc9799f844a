"""`bv account server-view`: what the server holds about this account, beside what it means here."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from vault_client.cli import output
from vault_client.cli.account_cmds import account_app
from vault_client.cli.context import Context


def _size(info: dict[str, Any] | None) -> str:
    if info is None:
        return "none"
    envelope = f", {info['envelope']}" if "envelope" in info else ""
    return f"{info['bytes']} bytes{envelope}"


def _account(doc: dict[str, Any]) -> None:
    server, device = doc["server"], doc["device"]
    kdf = server.get("kdf") or {}
    rows = [
        ("account id", str(server["account_id"]), device["account_id"]),
        ("email", str(server["email"]), device["email"]),
        ("salt", _size(server["salt"]), device["salt"]),
        ("KDF", f"Argon2id m={kdf.get('memory_kib')} KiB t={kdf.get('iterations')} p={kdf.get('parallelism')}",
         device["kdf"]),
        ("account key", _size(server["wrapped_account_key"]), device["wrapped_account_key"]),
        ("private keys", _size(server["wrapped_private_keys"]), "opened only with the account key"),
        ("public keys", f"Ed25519 {_size(server['identity_public'])}, ML-KEM-768+X25519 "
                        f"{_size(server['sharing_public'])}", f"{device['bundle']}; signature "
                                                              f"{device['bundle_signature']}"),
        ("recovery code", "set" if server["recovery_enabled"] else "none", ""),
    ]
    output.out("Account: what the server stores                                     | on this device")
    for label, stored, here in rows:
        output.out(f"  {label:<13} {stored:<54} | {here}")
    if device.get("safety_number"):
        output.out(f"  safety number (from the server's keys): {device['safety_number']}")


def _item_line(item: dict[str, Any], reveal: bool) -> list[str]:
    server, device = item["server"], item["device"]
    stored = "deleted" if server["deleted"] else f"{server['blob']['bytes']} B"
    if "vault_name" in device:
        meaning = f"(vault name) {device['vault_name']}"
    elif "name" in device:
        meaning = f"{device['type']}: {device['name']}" + (" [trash]" if device["trashed"] else "")
    else:
        meaning = ""
    lines = [f"    {item['item_id'][:8]}  rev {server['revision']:<4} {stored:>9}  {meaning:<40} "
             f"{device['status']}{' (edit queued here)' if device.get('queued_edit') else ''}"]
    if reveal and "document" in device:
        doc = device["document"]
        lines += [f"        {k}: {v}" for k, v in doc["fields"].items()]
        lines += [f"        {c['name']}: {c['value']}" for c in doc["custom"]]
        lines += [f"        url: {u}" for u in doc["urls"]]
        if doc["notes"]:
            lines.append(f"        notes: {doc['notes']!r}")
    return lines


def _vault(doc: dict[str, Any], reveal: bool) -> None:
    server, device = doc["server"], doc["device"]
    name = device.get("name") or "(not on this device)"
    output.out("")
    output.out(f"Vault {doc['vault_id']}  {name}")
    output.out(f"  server: you are {server['role']}; key generation {server['key_generation']}; change counter "
               f"{server['seq']}; manifest version {server['manifest']['version']}; membership version "
               f"{server['members_version']}")
    if "status" in device:
        output.out(f"  this device: {device['status']}")
    else:
        output.out(f"  this device: verified manifest version {device['verified_manifest_version']}, synced to "
                   f"change {device['cursor']}; key copy {_size(server['wrapped_vault_key'])}: {device['key_copy']}")
    if server["pending_grant"]:
        output.out(f"  a new vault key awaits you, sealed by {server['pending_grant']['granted_by']} "
                   "(`bv sync` opens and re-wraps it)")
    members = ", ".join(f"{m['email']} ({m['role']})" for m in server["members"])
    output.out(f"  members: {members}")
    if server["invitations"]:
        output.out("  invited: " + ", ".join(f"{i['email']} ({i['role']})" for i in server["invitations"]))
    items = doc["items"]
    deleted = sum(1 for i in items if i["server"]["deleted"])
    total = sum(i["server"]["blob"]["bytes"] for i in items if not i["server"]["deleted"])
    output.out(f"  items on the server: {len(items) - deleted} ({total} bytes of ciphertext), {deleted} deleted")
    for item in items:
        for line in _item_line(item, reveal):
            output.out(line)
    for key, label in (("queued_on_this_device", "queued here, not yet on the server"),
                       ("MISSING_ON_SERVER", "VERIFIED HERE BUT MISSING ON THE SERVER")):
        if device.get(key):
            output.out(f"  {label}: {', '.join(i[:8] for i in device[key])}")


def _render(doc: dict[str, Any], reveal: bool) -> None:
    _account(doc["account"])
    output.out("")
    output.out(f"Sessions: {len(doc['sessions'])}")
    for s in doc["sessions"]:
        here = "  (this device)" if s["current"] else ""
        output.out(f"  {str(s['session_id'])[:8]}  {s['device_name']:<24} signed in {s['created_at']}, "
                   f"last seen {s['last_seen_at']}{here}")
    for vault in doc["vaults"]:
        _vault(vault, reveal)
    output.out("")
    output.out(f"Invitations to you: {len(doc['invitations']) or 'none'}")
    for inv in doc["invitations"]:
        output.out(f"  vault {inv['vault_id']} from {inv['inviter_email']} as {inv['role']} "
                   f"(grant {_size(inv['grant'])})")
    output.out("")
    output.out("Everything above left of '|' and every size, revision and id is what the server holds. "
               "Names and contents come only from this device's keys.")


@account_app.command("server-view")
def server_view(
    json_: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    show: Annotated[bool, typer.Option("--show", help="Also show secret values of items.")] = False,
) -> None:
    """Show everything the server holds about this account, beside what it decrypts to here.

    Reads the server afresh (a full sync from the start, stored nowhere) and compares it with what
    this device has verified. Secret values stay hidden unless --show.
    """
    from vault_client import server_view as view

    ctx = Context()
    try:
        server = view.fetch(ctx.api)
        entries = ctx.view.entries(trashed=None) if ctx.cache.vaults() else []
        names = ctx.view.vault_names() if ctx.cache.vaults() else {}
        doc = view.build(server, ctx.account, ctx.cache, entries, names, reveal=show)
    finally:
        ctx.close()
    if json_:
        output.emit_json(doc)
    else:
        _render(doc, show)

"""Families: three accounts share a vault through wrapped keys; removal rotates the key."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path
from uuid import UUID

import pytest

from tests.client.bv import Device
from tests.helpers.server_proc import ServerProcess


def _account(device: Device, url: str, email: str) -> None:
    device.ok("account", "create", "--server", url, "--email", email)


def _vault_id(device: Device, name: str) -> str:
    rows = json.loads(device.ok("vault", "list", "--json").out)
    return next(r["vault_id"] for r in rows if r["name"] == name)


def _db(server: ServerProcess) -> sqlite3.Connection:
    return sqlite3.connect(server.database_url.removeprefix("sqlite:///"))


@pytest.fixture
def family(bv_server: ServerProcess, tmp_path: Path):
    owner, editor, viewer = Device(tmp_path, "owner"), Device(tmp_path, "editor"), Device(tmp_path, "viewer")
    for dev, email in ((owner, "owner@example.org"), (editor, "editor@example.org"), (viewer, "viewer@example.org")):
        _account(dev, bv_server.url, email)
    owner.ok("vault", "create", "Family")
    owner.ok("add", "login", "Netflix", "--username", "family", "--vault", "Family", input="n3tflix\n")
    vault_id = _vault_id(owner, "Family")
    r = owner.ok("vault", "share", "Family", "editor@example.org", "--role", "editor")
    assert "PINNED" in r.err  # trust on first use is announced loudly
    owner.ok("vault", "share", "Family", "viewer@example.org", "--role", "viewer")
    for dev in (editor, viewer):
        listing = dev.ok("vault", "accept").out
        assert vault_id in listing and "owner@example.org" in listing
        dev.ok("vault", "accept", vault_id, "--trust")
    return owner, editor, viewer, vault_id


def test_family_share_edit_view_remove(family, bv_server: ServerProcess) -> None:
    owner, editor, viewer, vault_id = family
    for dev in (editor, viewer):
        assert dev.ok("get", "Netflix", "--field", "password").out == "n3tflix\n"

    editor.ok("edit", "Netflix", "--username", "edited-by-editor")
    for dev in (owner, viewer):
        dev.ok("sync")
        assert dev.ok("get", "Netflix", "--field", "username").out == "edited-by-editor\n"

    r = viewer.run("edit", "Netflix", "--username", "viewer-was-here")
    assert r.code != 0 and "only view" in r.err, r

    # The editor keeps the old vault key before being removed.
    old_key = _vault_key_of(editor, vault_id)
    members = json.loads(owner.ok("vault", "members", "Family", "--json").out)
    assert {m["email"]: m["role"] for m in members} == {
        "owner@example.org": "owner", "editor@example.org": "editor", "viewer@example.org": "viewer"}

    owner.ok("vault", "remove", "Family", "editor@example.org", "--yes")
    owner.ok("add", "login", "Disney", "--username", "after", "--vault", "Family", input="d1sney\n")

    viewer.ok("sync")  # the viewer adopts the new key from the owner's signed grant
    assert viewer.ok("get", "Disney", "--field", "password").out == "d1sney\n"
    assert viewer.ok("get", "Netflix", "--field", "password").out == "n3tflix\n"

    editor.ok("sync")
    assert editor.run("get", "Netflix", "--vault", vault_id).code != 0

    # Even with the old key and a full copy of the server's database, nothing opens.
    from vault_client import crypto

    with _db(bv_server) as db:
        rows = db.execute("SELECT item_id, revision, blob FROM items WHERE vault_id = ? AND blob IS NOT NULL",
                          (UUID(vault_id).hex,)).fetchall()
    assert len(rows) >= 3  # vault info, Netflix, Disney
    for item_id, revision, blob in rows:
        with pytest.raises(crypto.CryptoError):
            crypto.open_item(old_key, UUID(vault_id), UUID(item_id), revision, blob)


def _vault_key_of(device: Device, vault_id: str):
    """What a member could extract from their own device: the vault key (test-side only)."""
    os.environ["BV_HOME"] = str(device.home)
    try:
        from vault_client import state
        from vault_client.account import open_cache, unlock

        account = state.load_account()
        keys = unlock(account, device.password_file.read_text().strip())
        with open_cache(account) as cache:
            return keys.vault_key(cache.vault(vault_id))
    finally:
        del os.environ["BV_HOME"]


def test_substituted_bundle_is_refused(family, bv_server: ServerProcess) -> None:
    owner, editor, viewer, vault_id = family
    from vault_client import crypto

    # The server swaps in a fresh, validly self-signed bundle for a person the owner has pinned.
    with _db(bv_server) as db:
        account_id = UUID(db.execute("SELECT id FROM accounts WHERE email = 'editor@example.org'").fetchone()[0])
        forged = crypto.make_public_bundle(crypto.KeyPairs.generate(), account_id, "editor@example.org")
        db.execute("UPDATE accounts SET identity_public = ?, sharing_public = ?, bundle_signature = ? WHERE id = ?",
                   (forged.identity_public, forged.sharing_public, forged.signature, account_id.hex))
    owner.ok("vault", "create", "Second")
    r = owner.run("vault", "share", "Second", "editor@example.org", "--role", "viewer")
    assert r.code == 5, r
    pinned = json.loads(owner.ok("contacts", "--json").out)
    number = next(c["safety_number"] for c in pinned if c["email"] == "editor@example.org")
    assert number in r.err and crypto.safety_number(forged) in r.err


def test_overwritten_vault_key_is_detected(family, bv_server: ServerProcess) -> None:
    owner, editor, viewer, vault_id = family
    with _db(bv_server) as db:
        ids = dict(db.execute("SELECT email, id FROM accounts").fetchall())
        owners_copy = db.execute("SELECT wrapped_vault_key FROM vault_members WHERE vault_id = ? AND account_id = ?",
                                 (UUID(vault_id).hex, ids["owner@example.org"])).fetchone()[0]
        db.execute("UPDATE vault_members SET wrapped_vault_key = ? WHERE vault_id = ? AND account_id = ?",
                   (owners_copy, UUID(vault_id).hex, ids["viewer@example.org"]))
        db.execute("UPDATE vaults SET seq = seq + 1 WHERE id = ?", (UUID(vault_id).hex,))
    r = viewer.run("sync")
    assert r.code == 5 and "does not open" in r.err, r


def test_forged_invitation_is_refused(bv_server: ServerProcess, tmp_path: Path) -> None:
    owner, other = Device(tmp_path, "owner"), Device(tmp_path, "other")
    _account(owner, bv_server.url, "owner@example.org")
    _account(other, bv_server.url, "other@example.org")
    owner.ok("vault", "create", "Family")
    owner.ok("vault", "share", "Family", "other@example.org", "--role", "editor")
    with _db(bv_server) as db:
        grant = bytearray(db.execute("SELECT grant FROM invitations").fetchone()[0])
        grant[-5] ^= 0x01  # the server re-seals or alters the grant
        db.execute("UPDATE invitations SET grant = ?", (bytes(grant),))
    vault_id = re.search(r"Vault (\S+)", other.ok("vault", "accept").out).group(1)
    r = other.run("vault", "accept", vault_id, "--trust")
    assert r.code == 5 and "does not open" in r.err, r
    assert json.loads(other.ok("vault", "list", "--json").out)[0]["name"] == "Personal"


def test_queued_edit_survives_a_rotation(family) -> None:
    """An edit queued offline under the old key is carried over to the new key, then merged."""
    from tests.client.test_e2e import _offline

    owner, editor, viewer, vault_id = family
    r = _offline(editor).run("edit", "Netflix", "--username", "queued-offline")
    assert r.code == 0 and "offline" in r.err, r
    owner.ok("vault", "remove", "Family", "viewer@example.org", "--yes")
    editor.ok("sync")
    owner.ok("sync")
    assert owner.ok("get", "Netflix", "--field", "username").out == "queued-offline\n"
    assert editor.ok("get", "Netflix", "--field", "password").out == "n3tflix\n"


def test_member_list_never_pins_and_contacts_add_does(family) -> None:
    owner, editor, viewer, vault_id = family
    members = json.loads(viewer.ok("vault", "members", "Family", "--json").out)
    trust = {m["email"]: m["trust"] for m in members}
    assert trust["owner@example.org"] == "pinned" and trust["editor@example.org"].startswith("NOT PINNED")
    assert "editor@example.org" not in viewer.ok("contacts").out
    number = re.search(r"Safety number: ([\d ]+)", editor.ok("whoami").out).group(1).strip()
    wrong = ("1" if number[0] != "1" else "2") + number[1:]
    assert viewer.run("contacts", "add", "editor@example.org", *wrong.split()).code == 5
    viewer.ok("contacts", "add", "editor@example.org", *number.split())
    pinned = {c["email"]: c for c in json.loads(viewer.ok("contacts", "--json").out)}
    assert pinned["editor@example.org"]["verified"] is True

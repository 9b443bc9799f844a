"""Key substitution in sharing: the paper's attacks on organisations, shared folders and vault keys.

The server holds every public key and every wrapped vault key, so it tries to swap them: a fresh
key pair of its own for a person the owner pinned (so the vault key is sealed to the server), an
invitation it sealed itself under a vault key of its choosing, a vault pushed into an account, a
member's vault key copy replaced after acceptance, a rotation grant it signed. Each time the
client refuses, shows and stores nothing, and sends nothing sealed or wrapped to the server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from uuid import UUID, uuid4

import pytest

from tests.client.bv import Device
from tests.hostile.checks import CacheState, listing, refused
from tests.hostile.proxy import HostileProxy
from tests.hostile.tamper import ServerDb
from vault_client import crypto
from vault_client.account import bundle_to_wire
from vault_client.encoding import b64e


@dataclass
class Scene:
    owner: Device
    owner_email: str
    member: Device
    member_email: str
    family: str     # vault id: shared with the member, who accepted and pinned the owner
    second: str     # vault id: the owner's, shared with nobody yet


@pytest.fixture(scope="module")
def scene(accounts, db: ServerDb) -> Scene:
    owner, owner_email, _ = accounts.create("owner")
    member, member_email, _ = accounts.create("member")
    owner.ok("vault", "create", "Family")
    owner.ok("add", "login", "Netflix", "--username", "family", "--vault", "Family", input="n3tflix\n")
    owner.ok("vault", "create", "Second")
    names = {v["name"]: v["vault_id"] for v in json.loads(owner.ok("vault", "list", "--json").out)}
    owner.ok("vault", "share", "Family", member_email, "--role", "editor")
    member.ok("vault", "accept", names["Family"], "--trust")
    return Scene(owner, owner_email, member, member_email, names["Family"], names["Second"])


def _server_keys_for(email: str, account_id: str) -> tuple[crypto.KeyPairs, crypto.PublicBundle]:
    """A key pair the server made, with a bundle validly self-signed for ``email``."""
    keys = crypto.KeyPairs.generate()
    return keys, crypto.make_public_bundle(keys, UUID(account_id), email)


def _real_bundle(db: ServerDb, email: str) -> crypto.PublicBundle:
    return crypto.PublicBundle(UUID(db.account_id(email)), *db.bundle(email))


def _vault_names(device: Device) -> set[str]:
    return {v["name"] for v in json.loads(device.ok("vault", "list", "--json").out)}


# -- public key substitution -------------------------------------------------------------------------

def test_public_bundle_substituted_for_a_pinned_contact(hostile: HostileProxy, scene: Scene, db: ServerDb) -> None:
    """The server answers with its own (validly self-signed) keys for the member the owner pinned."""
    _, forged = _server_keys_for(scene.member_email, db.account_id(scene.member_email))

    def substitute(doc: dict, _exchange) -> None:
        doc["bundle"] = bundle_to_wire(forged)

    hostile.rewrite("GET", "/v1/bundles", substitute)
    contacts_before = (scene.owner.home / "contacts.json").read_bytes()
    result = scene.owner.run("vault", "share", "Second", scene.member_email, "--role", "viewer")
    refused(result, says=crypto.safety_number(forged))
    assert "substitut" in result.err or "different key" in result.err
    assert hostile.requests("POST", "/v1/vaults/*/invitations") == []  # nothing was sealed to anyone
    assert (scene.owner.home / "contacts.json").read_bytes() == contacts_before


def test_public_bundle_not_signed_for_the_person_asked_for(hostile: HostileProxy, accounts, scene: Scene) -> None:
    """A first contact (nothing pinned): the server's bundle must still be self-signed for that email."""
    stranger, stranger_email, _ = accounts.create("stranger")
    keys = crypto.KeyPairs.generate()

    def substitute(doc: dict, _exchange) -> None:
        bundle = crypto.make_public_bundle(keys, UUID(doc["account_id"]), "someone-else@example.org")
        doc["bundle"] = bundle_to_wire(bundle)

    hostile.rewrite("GET", "/v1/bundles", substitute)
    refused(scene.owner.run("vault", "share", "Second", stranger_email), says="not validly signed")
    assert hostile.requests("POST", "/v1/vaults/*/invitations") == []
    assert stranger_email not in (scene.owner.home / "contacts.json").read_text()


# -- invitations the server sealed itself ----------------------------------------------------------

def test_invitation_sealed_under_a_server_chosen_key(hostile: HostileProxy, scene: Scene, db: ServerDb) -> None:
    """The server invites the member to the owner's second vault, with a grant it made itself: a
    vault key of its choosing, sealed to the member, signed by a key pair it claims is the owner's."""
    scene.owner.ok("vault", "share", "Second", scene.member_email, "--role", "viewer")
    server_keys, fake_owner = _server_keys_for(scene.owner_email, db.account_id(scene.owner_email))
    chosen_key = crypto.new_symmetric_key()
    grant = crypto.seal_grant(chosen_key, UUID(scene.second), 1, "viewer", _real_bundle(db, scene.member_email),
                              server_keys, UUID(db.account_id(scene.owner_email)))
    db.set_invitation_grant(scene.second, scene.member_email, grant)

    def present_fake_owner(doc: dict, _exchange) -> None:
        for inv in doc["invitations"]:
            inv["inviter_bundle"] = bundle_to_wire(fake_owner)

    before = CacheState.of(scene.member)
    # (a) the grant alone: it does not verify under the owner's pinned identity key
    result = scene.member.run("vault", "accept", scene.second, "--trust")
    refused(result, says=f"the invitation to vault {scene.second} does not open")
    # (b) with the server's key presented as the owner's: the pin does not match
    hostile.rewrite("GET", "/v1/invitations", present_fake_owner)
    refused(scene.member.run("vault", "accept", scene.second, "--trust"), says=crypto.safety_number(fake_owner))
    assert hostile.requests("POST", "/v1/invitations/*/accept") == []
    assert CacheState.of(scene.member) == before
    assert "Second" not in _vault_names(scene.member)


def test_invitation_from_an_identity_never_seen_needs_the_users_check(
        hostile: HostileProxy, accounts, scene: Scene, db: ServerDb) -> None:
    """A newcomer has pinned nobody: a forged invitation is not accepted unless the user confirms the
    safety number (here: no confirmation), and nothing is sent."""
    newcomer, newcomer_email, _ = accounts.create("newcomer")
    scene.owner.ok("vault", "share", "Second", newcomer_email, "--role", "viewer")
    server_keys, fake_owner = _server_keys_for(scene.owner_email, db.account_id(scene.owner_email))
    grant = crypto.seal_grant(crypto.new_symmetric_key(), UUID(scene.second), 1, "viewer",
                              _real_bundle(db, newcomer_email), server_keys, UUID(db.account_id(scene.owner_email)))
    db.set_invitation_grant(scene.second, newcomer_email, grant)

    def present_fake_owner(doc: dict, _exchange) -> None:
        for inv in doc["invitations"]:
            inv["inviter_bundle"] = bundle_to_wire(fake_owner)

    hostile.rewrite("GET", "/v1/invitations", present_fake_owner)
    result = newcomer.run("vault", "accept", scene.second)
    assert result.code == 8 and crypto.safety_number(fake_owner) in result.out, result  # shown, not accepted
    assert hostile.requests("POST", "/v1/invitations/*/accept") == []
    assert not (newcomer.home / "contacts.json").exists() or scene.owner_email not in (
        newcomer.home / "contacts.json").read_text()


# -- vaults injected, keys overwritten ---------------------------------------------------------------

def _sync_refused(device: Device, proxy: HostileProxy, says: str) -> None:
    before = CacheState.of(device)  # every row the device shows items and vaults from
    proxy.clear_log()
    refused(device.run("sync"), says=says)
    assert CacheState.of(device) == before
    assert proxy.requests("POST", "/v1/vaults/*/key") == []      # no re-wrap of a key it was handed
    assert proxy.requests("POST", "/v1/vaults/*/changes") == []


@pytest.mark.parametrize("how", ["random-wrap", "another-vaults-wrap", "grant-signed-by-server-as-owner",
                                 "grant-from-an-unknown-account"])
def test_vault_injected_into_an_account(hostile: HostileProxy, scene: Scene, db: ServerDb, how: str) -> None:
    """A vault row and a membership the member never accepted, with a key the server made."""
    injected = str(uuid4())
    owner_id = db.account_id(scene.owner_email)
    wrapped = pending = granted_by = None
    if how == "random-wrap":
        wrapped = bytes((1, 3)) + bytes(60)  # the right shape, the server's bytes
    elif how == "another-vaults-wrap":
        wrapped = db.member(scene.family, scene.member_email)["wrapped_vault_key"]  # genuine, for another vault
    else:
        server_keys, _ = _server_keys_for(scene.owner_email, owner_id)
        pending = crypto.seal_grant(crypto.new_symmetric_key(), UUID(injected), 1, "owner",
                                    _real_bundle(db, scene.member_email), server_keys, UUID(owner_id))
        granted_by = owner_id if how == "grant-signed-by-server-as-owner" else str(uuid4())
    db.inject_vault(injected, scene.member_email, wrapped, bytes(32), pending_grant=pending, granted_by=granted_by)
    try:
        says = {"random-wrap": f"the key of vault {injected} does not open",
                "another-vaults-wrap": f"the key of vault {injected} does not open",
                "grant-signed-by-server-as-owner": f"the new vault key does not open as granted by {scene.owner_email}",
                "grant-from-an-unknown-account": "signed by an account this device has not pinned"}[how]
        _sync_refused(scene.member, hostile, says)
        assert injected not in CacheState.of(scene.member).vault_ids()
    finally:
        db.delete_vault(injected)


@pytest.mark.parametrize("how", ["owners-copy", "own-copy-of-another-vault", "forged-rotation-grant"])
def test_vault_key_copy_overwritten_after_acceptance(hostile: HostileProxy, scene: Scene, db: ServerDb,
                                                    how: str) -> None:
    """After acceptance the member's copy is wrapped under its own account key: the server cannot
    put another key in its place."""
    mine = db.member(scene.family, scene.member_email)
    owner_id = db.account_id(scene.owner_email)
    if how == "owners-copy":
        owners = db.member(scene.family, scene.owner_email)["wrapped_vault_key"]
        db.set_member_key(scene.family, scene.member_email, owners)
        says = f"the key of vault {scene.family} does not open"
    elif how == "own-copy-of-another-vault":
        personal = next(v for v in db.vault_ids(scene.member_email) if v != scene.family)
        other = db.member(personal, scene.member_email)["wrapped_vault_key"]
        db.set_member_key(scene.family, scene.member_email, other)
        says = f"the key of vault {scene.family} does not open"
    else:  # a "rotation": no wrapped copy, a grant the server sealed and signed, naming the owner
        server_keys, _ = _server_keys_for(scene.owner_email, owner_id)
        grant = crypto.seal_grant(crypto.new_symmetric_key(), UUID(scene.family), 1, "editor",
                                  _real_bundle(db, scene.member_email), server_keys, UUID(owner_id))
        db.set_member_key(scene.family, scene.member_email, None, pending_grant=grant, granted_by=owner_id)
        says = f"the new vault key does not open as granted by {scene.owner_email}"
    try:
        _sync_refused(scene.member, hostile, says)
        if how == "owners-copy":
            assert scene.member.ok("get", "Netflix", "--field", "password").out == "n3tflix\n"  # the cache works
    finally:
        db.set_member_key(scene.family, scene.member_email, mine["wrapped_vault_key"])


def test_vault_key_rolled_back_to_an_older_generation(hostile: HostileProxy, accounts, scene: Scene,
                                                     db: ServerDb) -> None:
    """After a rotation the server serves the vault as it was before: the old key generation, the
    member's old (genuine) copy of the old key and the old manifest. The member saw generation 2."""
    extra, extra_email, _ = accounts.create("extra")
    scene.owner.ok("vault", "share", "Family", extra_email, "--role", "viewer")
    extra.ok("vault", "accept", scene.family, "--trust")
    scene.member.ok("sync")
    old_copy, old_vault = db.member(scene.family, scene.member_email), db.vault(scene.family)
    scene.owner.ok("vault", "remove", "Family", extra_email, "--yes")  # new key, generation 2
    scene.member.ok("sync")  # adopts generation 2 from the owner's signed grant
    assert db.member(scene.family, scene.member_email)["key_generation"] == old_copy["key_generation"] + 1

    def roll_back(doc: dict, _exchange) -> None:
        vault = next(v for v in doc["vaults"] if v["vault_id"] == scene.family)
        vault.update(key_generation=old_copy["key_generation"], wrapped_vault_key=b64e(old_copy["wrapped_vault_key"]),
                     manifest={"version": old_vault["manifest_version"], "generation": old_vault["key_generation"],
                               "mac": b64e(old_vault["manifest_mac"])}, items=[])

    hostile.rewrite("POST", "/v1/sync", roll_back)
    _sync_refused(scene.member, hostile, f"vault {scene.family}: the vault key was rolled back to an older generation")


def test_member_injected_into_the_member_list_gets_no_key_at_rotation(
        hostile: HostileProxy, accounts, scene: Scene) -> None:
    """The server adds a member of its own (a fresh, self-signed bundle) to the list the owner reads
    when removing someone: the rotation must not seal the new vault key to a person nobody pinned."""
    leaver, leaver_email, _ = accounts.create("leaver")
    scene.owner.ok("vault", "create", "Rotate")
    scene.owner.ok("vault", "share", "Rotate", leaver_email, "--role", "viewer")
    rotate_id = {v["name"]: v["vault_id"] for v in json.loads(scene.owner.ok("vault", "list", "--json").out)}["Rotate"]
    leaver.ok("vault", "accept", rotate_id, "--trust")
    fake_id = str(uuid4())
    _, fake = _server_keys_for("mallory@example.org", fake_id)

    def add_member(doc: dict, _exchange) -> None:
        doc["members"].append({"account_id": fake_id, "email": "mallory@example.org", "role": "editor",
                               "bundle": bundle_to_wire(fake)})

    hostile.rewrite("GET", "/v1/vaults/*/members", add_member)
    result = scene.owner.run("vault", "remove", "Rotate", leaver_email, "--yes")
    refused(result, says="mallory@example.org")
    assert hostile.requests("POST", "/v1/vaults/*/rotate") == []
    assert "mallory@example.org" not in (scene.owner.home / "contacts.json").read_text()


def test_control_the_member_syncs_the_shared_vault(hostile: HostileProxy, scene: Scene) -> None:
    scene.owner.ok("add", "login", "Disney", "--username", "d", "--vault", "Family", input="d1sney\n")
    scene.member.ok("sync")
    assert {e["name"] for e in listing(scene.member)} >= {"Netflix", "Disney"}

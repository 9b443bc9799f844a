"""Sharing over real HTTP on both back ends: invitations, roles, members, leaving, key rotation.

Grants and wrapped keys are fakes with valid headers: the server forwards them and cannot tell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.helpers import fakes
from tests.server.api import Api, Registered, error_code
from tests.server.db import ServerDb

# Small global body limit, larger one for rotations: shows the per-route limit.
MAX_BODY = 256 * 1024
MAX_ROTATE_BODY = 1024 * 1024
SERVER_ENV = {"BV_MAX_BODY_BYTES": str(MAX_BODY), "BV_MAX_ROTATE_BODY_BYTES": str(MAX_ROTATE_BODY)}


def _new_vault(api: Api, owner: Registered) -> str:
    body = fakes.vault_body()
    assert api.post("/vaults", body, owner.token).status_code == 201
    return body["vault_id"]


def test_bundle_by_account_id(api: Api) -> None:
    alice, bob = api.register(), api.register()
    resp = api.get(f"/bundles/{bob.account_id}", alice.token)
    assert resp.status_code == 200
    assert resp.json() == {"account_id": bob.account_id, "email": bob.email, "bundle": bob.body["bundle"]}
    assert resp.json() == api.get("/bundles", alice.token, params={"email": bob.email}).json()
    resp = api.get(f"/bundles/{fakes.new_id()}", alice.token)
    assert resp.status_code == 404 and error_code(resp) == "not_found"
    assert api.get(f"/bundles/{bob.account_id}").status_code == 401


def test_invite_list_accept(api: Api) -> None:
    owner, bob = api.register(), api.register()
    vault_id = _new_vault(api, owner)
    grant = fakes.grant()
    body = {"invitee_id": bob.account_id, "role": "editor", "key_generation": 1, "grant": grant}
    resp = api.post(f"/vaults/{vault_id}/invitations", body, owner.token)
    assert resp.status_code == 201, resp.text
    assert {k: resp.json()[k] for k in ("vault_id", "invitee_id", "role", "key_generation")} == {
        "vault_id": vault_id, "invitee_id": bob.account_id, "role": "editor", "key_generation": 1}

    (invitation,) = api.get("/invitations", bob.token).json()["invitations"]
    assert {k: v for k, v in invitation.items() if k != "created_at"} == {
        "vault_id": vault_id, "inviter_id": owner.account_id, "inviter_email": owner.email,
        "inviter_bundle": owner.body["bundle"], "role": "editor", "key_generation": 1, "grant": grant}
    assert api.get("/invitations", owner.token).json() == {"invitations": []}
    listed = api.members(owner.token, vault_id)
    assert listed["invitations"] == [{"account_id": bob.account_id, "email": bob.email, "role": "editor"}]
    assert [m["account_id"] for m in listed["members"]] == [owner.account_id]
    before = api.vault_state(owner.token, vault_id)["members_version"]

    own_wrap = fakes.wrapped_vault_key()
    resp = api.post(f"/invitations/{vault_id}/accept", {"key_generation": 1, "wrapped_vault_key": own_wrap}, bob.token)
    assert resp.status_code == 200 and resp.json() == {"vault_id": vault_id, "role": "editor"}
    mine = api.vault_state(bob.token, vault_id)
    assert mine["role"] == "editor" and mine["wrapped_vault_key"] == own_wrap and mine["pending_grant"] is None
    assert mine["members_version"] > before
    assert api.get("/invitations", bob.token).json() == {"invitations": []}
    listed = api.members(bob.token, vault_id)
    assert listed["invitations"] == []
    assert {m["account_id"]: (m["role"], m["email"], m["bundle"]) for m in listed["members"]} == {
        owner.account_id: ("owner", owner.email, owner.body["bundle"]),
        bob.account_id: ("editor", bob.email, bob.body["bundle"])}
    # The editor's write reaches the owner.
    change = fakes.item_change()
    assert api.write(bob.token, vault_id, 0, [change]).status_code == 200
    assert api.vault_state(owner.token, vault_id)["items"][0]["blob"] == change["blob"]


def test_invitation_errors(api: Api) -> None:
    owner, bob, carol, stranger = (api.register() for _ in range(4))
    vault_id = _new_vault(api, owner)
    api.share(owner, vault_id, bob, "editor")

    cases = [
        (api.invite(bob, vault_id, carol, "viewer"), 403, "forbidden"),            # editors cannot invite
        (api.invite(stranger, vault_id, carol, "viewer"), 404, "not_found"),       # not a member
        (api.post(f"/vaults/{vault_id}/invitations", {"invitee_id": fakes.new_id(), "role": "viewer",
                                                      "key_generation": 1, "grant": fakes.grant()}, owner.token),
         404, "not_found"),                                                        # unknown invitee
        (api.invite(owner, vault_id, bob, "viewer"), 409, "conflict"),              # already a member
        (api.invite(owner, vault_id, owner, "viewer"), 409, "conflict"),            # the owner themself
        (api.invite(owner, vault_id, carol, "viewer", key_generation=2), 409, "stale_generation"),
        (api.post(f"/vaults/{vault_id}/invitations", {"invitee_id": carol.account_id, "role": "admin",
                                                      "key_generation": 1, "grant": fakes.grant()}, owner.token),
         400, "invalid_request"),
        (api.post(f"/vaults/{vault_id}/invitations", {"invitee_id": carol.account_id, "role": "viewer",
                                                      "key_generation": 1, "grant": fakes.wrapped_vault_key()},
                  owner.token), 400, "invalid_request"),                            # not a grant envelope
        (api.accept(carol, vault_id), 404, "not_found"),                           # nothing to accept
        (api.delete(f"/invitations/{vault_id}", carol.token), 404, "not_found"),
    ]
    for resp, status, code in cases:
        assert (resp.status_code, error_code(resp)) == (status, code), resp.text
    assert api.members(owner.token, vault_id)["invitations"] == []

    # Re-inviting replaces the pending invitation.
    assert api.invite(owner, vault_id, carol, "viewer").status_code == 201
    assert api.invite(owner, vault_id, carol, "owner").status_code == 201
    (invitation,) = api.get("/invitations", carol.token).json()["invitations"]
    assert invitation["role"] == "owner"
    resp = api.accept(carol, vault_id, key_generation=2)
    assert resp.status_code == 409 and error_code(resp) == "stale_generation"
    # Declining deletes it.
    assert api.delete(f"/invitations/{vault_id}", carol.token).status_code == 204
    assert api.get("/invitations", carol.token).json() == {"invitations": []}
    assert api.accept(carol, vault_id).status_code == 404


def test_roles_are_enforced(api: Api) -> None:
    owner, editor, viewer = (api.register() for _ in range(3))
    vault_id = _new_vault(api, owner)
    api.share(owner, vault_id, editor, "editor")
    api.share(owner, vault_id, viewer, "viewer")
    assert api.write(editor.token, vault_id, 0, [fakes.item_change()]).status_code == 200

    resp = api.write(viewer.token, vault_id, 1, [fakes.item_change()])
    assert resp.status_code == 403 and error_code(resp) == "forbidden"
    members = [editor.account_id, viewer.account_id]
    for who in (editor, viewer):
        for resp in (api.delete(f"/vaults/{vault_id}", who.token),
                     api.invite(who, vault_id, api.register(), "viewer"),
                     api.post(f"/vaults/{vault_id}/rotate",
                              fakes.rotation(1, 2, [], [m for m in members if m != who.account_id]
                                             + [owner.account_id]), who.token)):
            assert resp.status_code == 403 and error_code(resp) == "forbidden", resp.text
    seen = api.vault_state(viewer.token, vault_id)
    assert seen["role"] == "viewer" and len(seen["items"]) == 1 and seen["manifest"]["version"] == 1
    assert len(api.members(viewer.token, vault_id)["members"]) == 3


def test_leave_and_the_last_owner(api: Api) -> None:
    owner, editor, second_owner = (api.register() for _ in range(3))
    vault_id = _new_vault(api, owner)
    api.share(owner, vault_id, editor, "editor")
    version = api.vault_state(owner.token, vault_id)["members_version"]

    assert api.post(f"/vaults/{vault_id}/leave", None, editor.token).status_code == 204
    doc = api.sync(editor.token, {vault_id: 0})
    assert vault_id not in [v["vault_id"] for v in doc["vaults"]] and doc["removed_vaults"] == [vault_id]
    assert api.vault_state(owner.token, vault_id)["members_version"] > version
    assert api.post(f"/vaults/{vault_id}/leave", None, editor.token).status_code == 404

    resp = api.post(f"/vaults/{vault_id}/leave", None, owner.token)
    assert resp.status_code == 409 and error_code(resp) == "last_owner"
    api.share(owner, vault_id, second_owner, "owner")
    assert api.post(f"/vaults/{vault_id}/leave", None, owner.token).status_code == 204
    assert [m["account_id"] for m in api.members(second_owner.token, vault_id)["members"]] == [second_owner.account_id]


def test_deleting_a_shared_vault_removes_it_for_every_member(api: Api, db: ServerDb) -> None:
    owner, viewer = api.register(), api.register()
    vault_id = _new_vault(api, owner)
    api.share(owner, vault_id, viewer, "viewer")
    api.invite(owner, vault_id, api.register(), "editor")
    assert api.write(owner.token, vault_id, 0, [fakes.item_change()]).status_code == 200
    assert api.delete(f"/vaults/{vault_id}", owner.token).status_code == 204
    assert api.sync(viewer.token, {vault_id: 1})["removed_vaults"] == [vault_id]
    assert all(rows == [] for rows in db.vault_snapshot(vault_id).values())


# -- rotation -------------------------------------------------------------------------------------


@dataclass
class Family:
    owner: Registered
    editor: Registered
    viewer: Registered
    vault_id: str
    items: list[tuple[str, int, bool]]  # (item id, revision, tombstone)
    manifest_version: int


def _family(api: Api) -> Family:
    owner, editor, viewer = (api.register() for _ in range(3))
    vault_id = _new_vault(api, owner)
    api.share(owner, vault_id, editor, "editor")
    api.share(owner, vault_id, viewer, "viewer")
    a, b, c = fakes.item_change(), fakes.item_change(), fakes.item_change()
    assert api.write(owner.token, vault_id, 0, [a, b, c]).status_code == 200
    assert api.write(editor.token, vault_id, 1, [fakes.item_change(b["item_id"], 1)]).status_code == 200
    assert api.write(editor.token, vault_id, 2, [fakes.item_change(c["item_id"], 1, tombstone=True)]).status_code == 200
    items = [(a["item_id"], 1, False), (b["item_id"], 2, False), (c["item_id"], 2, True)]
    return Family(owner, editor, viewer, vault_id, items, manifest_version=3)


@pytest.fixture(scope="module")
def family(api: Api) -> Family:
    """A vault with an owner, an editor, a viewer, two items and a tombstone (never rotated)."""
    return _family(api)


def _valid(f: Family) -> dict[str, Any]:
    """A correct rotation of the family vault that removes the editor."""
    return fakes.rotation(f.manifest_version, 2, f.items, [f.viewer.account_id], remove=[f.editor.account_id])


def _mutated(change):  # noqa: ANN001, ANN202 - a test-table helper
    def build(f: Family) -> dict[str, Any]:
        body = _valid(f)
        change(body, f)
        return body
    return build


def _set(key: str, value: Any):  # noqa: ANN202
    return _mutated(lambda body, f: body.__setitem__(key, value))


# Each body is wrong in exactly one way; none may change anything.
BAD_ROTATIONS = [
    ("stale manifest version", _mutated(lambda b, f: b.update(fakes.rotation(2, 2, f.items, [f.viewer.account_id],
                                                                             [f.editor.account_id]))), 409),
    ("generation skipped", _set("new_generation", 3), 409),
    ("one stale item revision", _mutated(lambda b, f: b["items"].__setitem__(
        1, fakes.item_change(f.items[1][0], 1))), 409),
    ("an item missing", _mutated(lambda b, f: b["items"].pop()), 409),
    ("an unknown item", _mutated(lambda b, f: b["items"].append(fakes.item_change())), 409),
    ("no items at all", _set("items", []), 409),
    ("a grant missing", _set("grants", []), 409),
    ("a grant for a stranger", _mutated(lambda b, f: b["grants"].append(
        {"account_id": fakes.new_id(), "grant": fakes.grant()})), 409),
    ("a grant for the removed member", _mutated(lambda b, f: b["grants"].append(
        {"account_id": f.editor.account_id, "grant": fakes.grant()})), 400),
    ("removing a non-member", _mutated(lambda b, f: b["remove"].append(fakes.new_id())), 409),
    ("removing oneself", _mutated(lambda b, f: b["remove"].append(f.owner.account_id)), 400),
    ("a grant for oneself", _mutated(lambda b, f: b["grants"].append(
        {"account_id": f.owner.account_id, "grant": fakes.grant()})), 400),
    ("an item twice", _mutated(lambda b, f: b["items"].append(b["items"][0])), 400),
    ("manifest version not base+1", _mutated(lambda b, f: b["manifest"].__setitem__("version", 9)), 400),
    ("own key of the wrong kind", _set("own_wrapped_vault_key", fakes.grant()), 400),
]


@pytest.mark.parametrize(("build", "status"), [c[1:] for c in BAD_ROTATIONS], ids=[c[0] for c in BAD_ROTATIONS])
def test_a_bad_rotation_changes_nothing(api: Api, db: ServerDb, family: Family, build, status: int) -> None:  # noqa: ANN001
    before = db.vault_snapshot(family.vault_id)
    resp = api.post(f"/vaults/{family.vault_id}/rotate", build(family), family.owner.token)
    assert resp.status_code == status, resp.text
    assert error_code(resp) == {409: "conflict", 400: "invalid_request"}[status]
    assert db.vault_snapshot(family.vault_id) == before


def test_without_the_fault_the_same_rotation_succeeds(api: Api, family: Family) -> None:
    resp = api.post(f"/vaults/{family.vault_id}/rotate", _valid(family), family.owner.token)
    assert resp.status_code == 200, resp.text
    assert resp.json()["key_generation"] == 2


def test_rotation_removes_a_member_and_hands_the_new_key_to_the_rest(api: Api, db: ServerDb) -> None:
    f = _family(api)
    pending = api.register()
    assert api.invite(f.owner, f.vault_id, pending, "viewer").status_code == 201
    cursors = {f.vault_id: api.vault_state(f.editor.token, f.vault_id)["seq"]}
    old_blobs = [row[2] for row in db.vault_snapshot(f.vault_id)["items"] if row[2]]
    body = _valid(f)
    resp = api.post(f"/vaults/{f.vault_id}/rotate", body, f.owner.token)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"seq": 4, "manifest_version": 4, "key_generation": 2}

    # The removed editor: gone from sync (listed as removed), no access, old blobs gone.
    doc = api.sync(f.editor.token, cursors)
    assert doc["vaults"] == [v for v in doc["vaults"] if v["vault_id"] != f.vault_id]
    assert doc["removed_vaults"] == [f.vault_id]
    for resp in (api.write(f.editor.token, f.vault_id, 4, [fakes.item_change()]),
                 api.get(f"/vaults/{f.vault_id}/members", f.editor.token),
                 api.post(f"/vaults/{f.vault_id}/key", {"key_generation": 2,
                                                         "wrapped_vault_key": fakes.wrapped_vault_key()},
                          f.editor.token)):
        assert resp.status_code == 404 and error_code(resp) == "not_found"
    snapshot = db.vault_snapshot(f.vault_id)
    assert sorted(row[2] or b"" for row in snapshot["items"]) == sorted(
        fakes.unb64(i["blob"]) if i["blob"] else b"" for i in body["items"])
    stored = db.all_bytes()
    assert old_blobs and not any(blob in stored for blob in old_blobs)  # replaced, not kept
    assert snapshot["invitations"] == []  # they carried the old key
    assert api.accept(pending, f.vault_id, 1).status_code == 404

    # The owner holds the new key; the viewer has a pending grant instead of a wrapped key.
    mine = api.vault_state(f.owner.token, f.vault_id, cursor=3)
    assert mine["wrapped_vault_key"] == body["own_wrapped_vault_key"] and mine["pending_grant"] is None
    assert mine["key_generation"] == 2 and mine["manifest"] == {"version": 4, "generation": 2,
                                                                 "mac": body["manifest"]["mac"]}
    viewer = api.vault_state(f.viewer.token, f.vault_id, cursor=3)
    assert viewer["wrapped_vault_key"] is None and viewer["key_generation"] == 2
    assert viewer["pending_grant"] == {"grant": body["grants"][0]["grant"], "granted_by": f.owner.account_id,
                                       "role": "viewer"}
    # A rotation is a normal delta: every item (tombstone included) at the new seq.
    assert sorted((i["item_id"], i["revision"], i["blob"], i["seq"]) for i in viewer["items"]) == sorted(
        (i["item_id"], i["revision"], i["blob"], 4) for i in body["items"])
    assert [m["account_id"] for m in api.members(f.viewer.token, f.vault_id)["members"]] == [
        f.owner.account_id, f.viewer.account_id]

    # The viewer opens the grant and stores its own wrap; an old generation is refused.
    wrap = fakes.wrapped_vault_key()
    resp = api.post(f"/vaults/{f.vault_id}/key", {"key_generation": 1, "wrapped_vault_key": wrap}, f.viewer.token)
    assert resp.status_code == 409 and error_code(resp) == "stale_generation"
    resp = api.post(f"/vaults/{f.vault_id}/key", {"key_generation": 2, "wrapped_vault_key": wrap}, f.viewer.token)
    assert resp.status_code == 204
    viewer = api.vault_state(f.viewer.token, f.vault_id, cursor=4)
    assert viewer["wrapped_vault_key"] == wrap and viewer["pending_grant"] is None and viewer["items"] == []

    # Writes based on the old manifest are stale; invitations must use the new generation.
    assert api.write(f.owner.token, f.vault_id, 3, [fakes.item_change()]).status_code == 409
    resp = api.invite(f.owner, f.vault_id, pending, "viewer", key_generation=1)
    assert resp.status_code == 409 and error_code(resp) == "stale_generation"
    api.share(f.owner, f.vault_id, pending, "viewer")


def test_a_plain_rotation_with_many_items_uses_the_larger_body_limit(api: Api) -> None:
    owner, other = api.register(), api.register()
    vault_id = _new_vault(api, owner)
    api.share(owner, vault_id, other, "editor")
    items = [fakes.item_change(size=600) for _ in range(400)]
    for n in range(0, 400, 100):
        assert api.write(owner.token, vault_id, n // 100, items[n:n + 100]).status_code == 200
    body = fakes.rotation(4, 2, [(i["item_id"], 1, False) for i in items], [other.account_id])
    for item in body["items"]:
        item["blob"] = fakes.b64(fakes.envelope(fakes.KIND_ITEM, 600))
    assert MAX_BODY < len(str(body)) < MAX_ROTATE_BODY
    # The same bytes to any other route are too large ...
    resp = api.post(f"/vaults/{vault_id}/changes", body, owner.token)
    assert resp.status_code == 413 and error_code(resp) == "body_too_large"
    # ... while the rotation goes through, and a larger one does not.
    resp = api.post(f"/vaults/{vault_id}/rotate", body, owner.token)
    assert resp.status_code == 200, resp.text
    assert len(api.vault_state(other.token, vault_id, cursor=4)["items"]) == 400
    huge = dict(body, items=[dict(i, blob=fakes.b64(fakes.envelope(fakes.KIND_ITEM, 3000))) for i in body["items"]])
    resp = api.post(f"/vaults/{vault_id}/rotate", huge, owner.token)
    assert resp.status_code == 413 and error_code(resp) == "body_too_large"

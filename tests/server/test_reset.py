"""Account reset with an operator token, over real HTTP on both back ends.

The token comes from the real `bv-server reset-token` command where the command is the point,
and straight from the query layer elsewhere (a process start per token would slow the suite).
After a reset the old blobs must be gone from the database; on SQLite also from the files.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers import fakes
from tests.helpers.server_proc import ServerProcess
from tests.server.api import Api, Registered, error_code
from tests.server.db import ServerDb
from tests.server.db import issue_reset_token as _issue


def _preview(api: Api, email: str, token: str):  # noqa: ANN202 - httpx.Response
    return api.post("/reset/preview", {"email": email, "token": token})


def _reset_body(email: str, token: str) -> tuple[dict, bytes]:
    keys, auth_key = fakes.new_keys()
    return {"email": email, "token": token, **keys, "vault": fakes.vault_body(), "device_name": "after reset"}, auth_key


def _refused(resp) -> None:  # noqa: ANN001 - httpx.Response
    assert resp.status_code == 401 and error_code(resp) == "invalid_token", resp.text


def test_the_operator_command_issues_one_time_tokens(api: Api, server: ServerProcess, db: ServerDb) -> None:
    acct = api.register()
    unknown = server.run_cli("reset-token", "nobody@example.test")
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert unknown.stderr.strip().splitlines() == ["bv-server: error: no account with the email nobody@example.test"]

    issued = server.run_cli("reset-token", acct.email.upper(), "--ttl-minutes", "5")
    assert issued.returncode == 0, issued.stderr
    lines = issued.stdout.splitlines()
    assert lines[0].startswith("token: ") and lines[1].startswith("expires: ")
    first = lines[0].removeprefix("token: ")
    assert len(fakes.unb64(first)) == 32
    expires = datetime.strptime(lines[1].removeprefix("expires: "), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(expires - (datetime.now(UTC) + timedelta(minutes=5))) < timedelta(minutes=1)
    stored = [row[0] for row in db.rows("SELECT token_hash FROM reset_tokens WHERE account_id = :a",
                                        a=db.id(acct.account_id))]
    assert stored == [hashlib.sha256(fakes.unb64(first)).digest()]  # only the hash is kept
    assert _preview(api, acct.email, first).status_code == 200

    # A new token replaces the unused one.
    again = server.run_cli("reset-token", acct.email, "--json")
    assert again.returncode == 0, again.stderr
    doc = json.loads(again.stdout)
    assert (doc["email"], doc["account_id"]) == (acct.email, acct.account_id)
    _refused(_preview(api, acct.email, first))
    second = doc["token"]
    # It works once.
    body, _ = _reset_body(acct.email, second)
    assert api.post("/reset/complete", body).status_code == 200
    _refused(_preview(api, acct.email, second))
    _refused(api.post("/reset/complete", _reset_body(acct.email, second)[0]))
    assert db.rows("SELECT used_at IS NOT NULL FROM reset_tokens WHERE account_id = :a",
                   a=db.id(acct.account_id)) == [(True,)]


def test_bad_and_expired_tokens_are_refused(api: Api, server: ServerProcess, db: ServerDb) -> None:
    acct, other = api.register(), api.register()
    token = _issue(server, acct.email)
    _refused(_preview(api, other.email, token))                        # another account's email
    _refused(_preview(api, fakes.fake_email("ghost"), token))          # unknown email
    _refused(_preview(api, acct.email, fakes.b64(secrets.token_bytes(32))))
    _refused(_preview(api, acct.email, "not a token"))
    assert _preview(api, acct.email, token).status_code == 200       # the preview does not use it up

    db.execute("UPDATE reset_tokens SET expires_at = :t WHERE account_id = :a",
               t=datetime.now(UTC) - timedelta(seconds=1), a=db.id(acct.account_id))
    _refused(_preview(api, acct.email, token))
    _refused(api.post("/reset/complete", _reset_body(acct.email, token)[0]))
    assert api.get("/vaults", acct.token).status_code == 200          # nothing happened


@pytest.fixture
def victim(api: Api, server: ServerProcess) -> dict:
    """An account with everything a reset deletes or leaves: see the preview test for the counts."""
    acct, friend, stranger = api.register(), api.register(), api.register()
    personal = acct.vault_id
    planted = [fakes.envelope(fakes.KIND_ITEM, 300), fakes.envelope(fakes.KIND_ITEM, 20000)]
    items = [{"item_id": fakes.new_id(), "base_revision": 0, "revision": 1, "blob": fakes.b64(b)} for b in planted]
    info = fakes.item_change(personal)  # the vault-info item: item id == vault id
    doomed = fakes.item_change()
    assert api.write(acct.token, personal, 0, [*items, info, doomed]).status_code == 200
    assert api.write(acct.token, personal, 1, [fakes.item_change(doomed["item_id"], 1, tombstone=True)]).status_code == 200
    attachment = fakes.attachment(100_000)
    assert api.put(f"/vaults/{personal}/attachments/{fakes.new_id()}", acct.token, content=attachment).status_code == 201
    second = fakes.vault_body()
    assert api.post("/vaults", second, acct.token).status_code == 201
    assert api.write(acct.token, second["vault_id"], 0, [fakes.item_change()]).status_code == 200
    assert api.invite(acct, second["vault_id"], stranger, "viewer").status_code == 201  # sent, pending

    theirs = fakes.vault_body()                     # shared: the friend owns it, the victim edits
    assert api.post("/vaults", theirs, friend.token).status_code == 201
    api.share(friend, theirs["vault_id"], acct, "editor")
    assert api.write(acct.token, theirs["vault_id"], 0, [fakes.item_change()]).status_code == 200
    ours = fakes.vault_body()                       # shared: the victim owns it, the friend views
    assert api.post("/vaults", ours, acct.token).status_code == 201
    api.share(acct, ours["vault_id"], friend, "viewer")
    assert api.invite(friend, friend.vault_id, acct, "viewer").status_code == 201  # received, pending
    recovery = {"verifier": fakes.b64(secrets.token_bytes(32)),
                "wrapped_account_key": fakes.b64(fakes.envelope(fakes.KIND_RECOVERY, 60))}
    assert api.put("/account/recovery", acct.token, json=recovery).status_code == 204
    return {"acct": acct, "friend": friend, "stranger": stranger, "personal": [personal, second["vault_id"]],
            "theirs": theirs["vault_id"], "ours": ours["vault_id"], "planted": [*planted, attachment],
            "phone": api.login_token(acct, "phone")}


def test_the_preview_counts_what_would_be_lost(api: Api, server: ServerProcess, victim: dict) -> None:
    acct: Registered = victim["acct"]
    resp = _preview(api, acct.email, _issue(server, acct.email))
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert sorted(doc["shared_vaults"], key=lambda v: v["vault_id"]) == sorted(
        [{"vault_id": victim["theirs"], "role": "editor", "members": 2},
         {"vault_id": victim["ours"], "role": "owner", "members": 2}], key=lambda v: v["vault_id"])
    # Two personal vaults; 2 planted + the vault-info item + 1 in the second vault (the tombstone
    # does not count).
    assert {k: doc[k] for k in ("account_id", "personal_vaults", "personal_items", "vault_info_items")} == {
        "account_id": acct.account_id, "personal_vaults": 2, "personal_items": 4, "vault_info_items": 1}


def _sqlite_files(server: ServerProcess) -> bytes:
    path = server.data_dir / "blindvault.db"
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def _fragments_found(blobs: list[bytes], haystack: bytes) -> float:
    """The share of 64-byte fragments of ``blobs`` found in ``haystack``. A large blob spans
    overflow pages, each with a small header, so the whole blob is never contiguous in the file."""
    fragments = [blob[i:i + 64] for blob in blobs for i in range(0, len(blob) - 63, 64)]
    return sum(fragment in haystack for fragment in fragments) / len(fragments)


def test_a_reset_deletes_the_old_data_and_keeps_the_account_id(api: Api, server: ServerProcess, db: ServerDb,
                                                               victim: dict) -> None:
    acct: Registered = victim["acct"]
    friend: Registered = victim["friend"]
    stored = db.all_bytes()
    assert all(blob in stored for blob in victim["planted"])
    if server.backend == "sqlite":  # the check below could fail: the bytes are in the files now
        found = _fragments_found(victim["planted"], _sqlite_files(server))
        assert found > 0.9, f"only {found:.1%} of the planted fragments found before the reset"
    version = api.vault_state(friend.token, victim["theirs"])["members_version"]

    body, new_key = _reset_body(acct.email, _issue(server, acct.email))
    resp = api.post("/reset/complete", body)
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["account_id"] == acct.account_id and set(doc) == {"account_id", "session"}
    token = doc["session"]["token"]

    # The old blobs are gone: rows deleted, bytes nowhere in the database (nor its files).
    stored = db.all_bytes()
    assert not any(blob in stored for blob in victim["planted"])
    for vault_id in victim["personal"]:
        assert all(rows == [] for rows in db.vault_snapshot(vault_id).values())
    if server.backend == "sqlite":  # secure_delete zeroed them, the WAL was truncated
        left = _fragments_found(victim["planted"], _sqlite_files(server))
        assert left == 0, f"{left:.1%} of the planted fragments are still in the SQLite files"

    # The account: same id, all new keys, one new vault, one session, no recovery record.
    for old in (acct.token, victim["phone"]):
        assert api.get("/vaults", old).status_code == 401
    assert [v["vault_id"] for v in api.get("/vaults", token).json()["vaults"]] == [body["vault"]["vault_id"]]
    me = api.get("/accounts/me", token).json()
    assert (me["account_id"], me["email"], me["bundle"], me["recovery_enabled"]) == (
        acct.account_id, acct.email, body["bundle"], False)
    assert me["wrapped_private_keys"] == body["wrapped_private_keys"]
    assert api.login(acct.email, acct.auth_key).status_code == 401
    assert api.login(acct.email, new_key).status_code == 200
    assert api.post("/prelogin", {"email": acct.email}).json()["salt"] == body["salt"]
    assert [s["device_name"] for s in api.get("/sessions", token).json()["sessions"]] == ["after reset", "device B"]

    # Shared vaults lose the member and keep their data; invitations to and from it are gone.
    theirs = api.vault_state(friend.token, victim["theirs"])
    assert theirs["members_version"] > version and len(theirs["items"]) == 1
    for vault_id in (victim["theirs"], victim["ours"]):
        assert acct.account_id not in [m["account_id"] for m in api.members(friend.token, vault_id)["members"]]
    assert api.members(friend.token, friend.vault_id)["invitations"] == []
    assert api.get("/invitations", victim["stranger"].token).json() == {"invitations": []}
    assert api.sync(token, {victim["theirs"]: 0})["removed_vaults"] == [victim["theirs"]]

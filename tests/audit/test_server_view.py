"""`bv account server-view`: the server's records beside what this device makes of them."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.client.bv import Device
from tests.helpers.server_proc import ServerProcess


def _cursors(device: Device) -> list[tuple]:
    with sqlite3.connect(device.home / "cache.sqlite3") as db:
        return sorted(db.execute("SELECT vault_id, seq, manifest_version FROM vaults"))


def _view(device: Device, *args: str, env: dict[str, str] | None = None) -> dict:
    r = device.run("account", "server-view", "--json", *args, env=env)
    assert r.code == 0, r
    return json.loads(r.out)


@pytest.fixture(scope="module")
def family(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("server-view")
    with ServerProcess(root / "server") as server:
        a, b = Device(root, "a"), Device(root, "b")
        a.ok("account", "create", "--server", server.url, "--email", "a@example.org")
        b.ok("account", "create", "--server", server.url, "--email", "b@example.org")
        a.ok("add", "login", "Bank", "--username", "me", input="bank-secret-pw\n")
        a.ok("add", "note", "Diary", input="dear diary\n")
        a.ok("rm", "Diary", "--purge", "--yes")
        a.ok("vault", "create", "Family")
        a.ok("add", "login", "Netflix", "--username", "fam", "--vault", "Family", input="netflix-secret-pw\n")
        vault_id = next(v["vault_id"] for v in json.loads(a.ok("vault", "list", "--json").out)
                        if v["name"] == "Family")
        a.ok("vault", "share", "Family", "b@example.org", "--role", "editor")
        b.ok("vault", "accept", vault_id, "--trust")
        b.ok("edit", "Netflix", "--username", "edited-by-b")  # a has not synced this
        yield server, a, b, vault_id
        a.run("lock")


def test_server_records_beside_their_meaning_without_touching_the_cache(family) -> None:
    server, a, _, vault_id = family
    before = _cursors(a)
    doc = _view(a)
    assert _cursors(a) == before  # a full sync from 0 was read, nothing stored

    account = doc["account"]
    assert account["server"]["email"] == "a@example.org"
    assert account["server"]["wrapped_account_key"]["bytes"] == 62
    assert account["device"]["wrapped_account_key"] == "same as this device's copy"
    assert account["device"]["bundle_signature"] == "valid for this email and account"
    assert [s["current"] for s in doc["sessions"]] == [True]

    vaults = {v["vault_id"]: v for v in doc["vaults"]}
    family_vault = vaults[vault_id]
    assert family_vault["device"]["name"] == "Family"
    assert {m["email"]: m["role"] for m in family_vault["server"]["members"]} == {
        "a@example.org": "owner", "b@example.org": "editor"}
    statuses = {i["device"].get("name", i["device"].get("vault_name")): i["device"]["status"]
                for i in family_vault["items"]}
    assert statuses["Family"] == "same blob as this device verified"
    edited = [i for i in family_vault["items"] if i["server"]["revision"] == 2]
    assert edited and edited[0]["device"]["status"].startswith("newer than this device's revision 1")

    personal = next(v for k, v in vaults.items() if k != vault_id)
    by_name = {i["device"].get("name"): i for i in personal["items"]}
    assert by_name["Bank"]["device"]["type"] == "login"
    assert by_name["Bank"]["server"]["blob"]["envelope"] == "version 0x01, kind 0x04 (item)"
    assert any(i["server"]["deleted"] for i in personal["items"])

    text = json.dumps(doc)
    assert "bank-secret-pw" not in text and "netflix-secret-pw" not in text
    shown = json.dumps(_view(a, "--show"))
    assert "bank-secret-pw" in shown


def test_human_output_and_an_item_the_server_dropped(family) -> None:
    server, a, _, vault_id = family
    out = a.ok("account", "server-view").out
    assert "login: Bank" in out and "same blob as this device verified" in out and "bank-secret-pw" not in out
    # The server loses an item this device verified: the view says so.
    bank = next(i for v in _view(a)["vaults"] for i in v["items"] if i["device"].get("name") == "Bank")
    with sqlite3.connect(server.data_dir / "blindvault.db") as db:
        assert db.execute("DELETE FROM items WHERE item_id = ?", (bank["item_id"].replace("-", ""),)).rowcount == 1
    out = a.ok("account", "server-view").out
    assert f"VERIFIED HERE BUT MISSING ON THE SERVER: {bank['item_id'][:8]}" in out


def test_through_the_agent_no_password_needed(family) -> None:
    _, a, _, _ = family
    a.ok("unlock", "--timeout", "60")
    env = a.env()
    env.pop("BV_PASSWORD_FILE")
    doc = _view(a, env=env)
    family_vault = next(v for v in doc["vaults"] if v["device"]["name"] == "Family")
    assert any(i["device"].get("vault_name") == "Family" for i in family_vault["items"])
    a.ok("lock")
    r = a.run("account", "server-view", env=env)
    assert r.code != 0 and "password" in r.err.lower(), r

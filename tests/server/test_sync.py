"""Vaults, batch writes and delta sync between two sessions, over real HTTP on both back ends."""

from __future__ import annotations

import threading
import uuid

import sqlalchemy as sa

from tests.helpers import fakes
from tests.helpers.server_proc import ServerProcess
from tests.server.api import Api, error_code


def test_a_write_through_one_session_appears_in_the_other_sessions_delta(api: Api) -> None:
    acct = api.register(device_name="A")
    b = api.login_token(acct, "B")
    start = api.vault_state(b, acct.vault_id)
    assert start["seq"] == 0 and start["items"] == []

    change = fakes.item_change()
    resp = api.write(acct.token, acct.vault_id, 0, [change])
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"seq": 1, "manifest_version": 1}

    seen = api.vault_state(b, acct.vault_id, cursor=start["seq"])
    assert seen["seq"] == 1
    assert seen["manifest"]["version"] == 1 and seen["manifest"]["generation"] == 1
    assert seen["items"] == [{"item_id": change["item_id"], "revision": 1, "blob": change["blob"], "seq": 1}]


def test_a_stale_write_gets_409_and_changes_nothing(api: Api, server: ServerProcess) -> None:
    acct = api.register(device_name="A")
    b = api.login_token(acct, "B")
    item = fakes.item_change()
    assert api.write(acct.token, acct.vault_id, 0, [item]).status_code == 200
    edit_a = fakes.item_change(item["item_id"], base_revision=1)
    assert api.write(acct.token, acct.vault_id, 1, [edit_a]).status_code == 200
    before = api.vault_state(acct.token, acct.vault_id)
    rows_before = _item_rows(server, acct.vault_id)

    # B still thinks the item is at revision 1 and the manifest at version 1.
    other = fakes.item_change()
    stale = api.write(b, acct.vault_id, 1, [fakes.item_change(item["item_id"], base_revision=1), other])
    assert stale.status_code == 409 and error_code(stale) == "conflict"
    assert stale.json()["current"] == {
        "manifest_version": 2,
        "items": [{"item_id": item["item_id"], "revision": 2, "blob": edit_a["blob"]}],
    }
    # Right manifest version, stale item revision: still refused, still nothing written.
    stale = api.write(b, acct.vault_id, 2, [fakes.item_change(item["item_id"], base_revision=1), other])
    assert stale.status_code == 409
    assert stale.json()["current"]["items"] == [{"item_id": item["item_id"], "revision": 2, "blob": edit_a["blob"]}]
    # Only the manifest is stale: 409 with no items.
    only_manifest = api.write(b, acct.vault_id, 1, [other])
    assert only_manifest.status_code == 409
    assert only_manifest.json()["current"] == {"manifest_version": 2, "items": []}

    assert api.vault_state(acct.token, acct.vault_id) == before
    assert _item_rows(server, acct.vault_id) == rows_before


def test_a_new_item_whose_id_exists_is_stale(api: Api) -> None:
    acct = api.register()
    item = fakes.item_change()
    assert api.write(acct.token, acct.vault_id, 0, [item]).status_code == 200
    resp = api.write(acct.token, acct.vault_id, 1, [fakes.item_change(item["item_id"], base_revision=0)])
    assert resp.status_code == 409
    assert resp.json()["current"]["items"][0]["revision"] == 1


def test_delta_sync_returns_only_what_changed_after_the_cursor(api: Api) -> None:
    acct = api.register()
    first, second = fakes.item_change(), fakes.item_change()
    assert api.write(acct.token, acct.vault_id, 0, [first, second]).json() == {"seq": 1, "manifest_version": 1}
    third = fakes.item_change()
    assert api.write(acct.token, acct.vault_id, 1, [third]).json()["seq"] == 2
    edit = fakes.item_change(first["item_id"], base_revision=1)
    assert api.write(acct.token, acct.vault_id, 2, [edit]).json()["seq"] == 3

    full = api.vault_state(acct.token, acct.vault_id, cursor=0)
    assert [(i["item_id"], i["seq"]) for i in full["items"]] == sorted(
        [(second["item_id"], 1), (third["item_id"], 2), (first["item_id"], 3)], key=lambda t: (t[1], t[0])
    )
    delta = api.vault_state(acct.token, acct.vault_id, cursor=2)
    assert delta["seq"] == 3
    assert delta["items"] == [{"item_id": first["item_id"], "revision": 2, "blob": edit["blob"], "seq": 3}]
    # Up to date: the vault is still listed (with its manifest), with no items.
    current = api.vault_state(acct.token, acct.vault_id, cursor=3)
    assert current["items"] == [] and current["manifest"]["version"] == 3
    # Vaults the client did not name start at 0.
    (listed,) = [v for v in api.sync(acct.token)["vaults"] if v["vault_id"] == acct.vault_id]
    assert len(listed["items"]) == 3


def test_tombstones_sync_as_null_blobs(api: Api) -> None:
    acct = api.register()
    item = fakes.item_change()
    api.write(acct.token, acct.vault_id, 0, [item])
    gone = fakes.item_change(item["item_id"], base_revision=1, tombstone=True)
    resp = api.write(acct.token, acct.vault_id, 1, [gone])
    assert resp.status_code == 200
    delta = api.vault_state(acct.token, acct.vault_id, cursor=1)
    assert delta["items"] == [{"item_id": item["item_id"], "revision": 2, "blob": None, "seq": 2}]
    # A tombstone is an item revision like any other: it can be revived on top of it.
    revived = fakes.item_change(item["item_id"], base_revision=2)
    assert api.write(acct.token, acct.vault_id, 2, [revived]).status_code == 200


def test_vault_create_list_delete_and_removed_vaults(api: Api) -> None:
    acct = api.register()
    body = fakes.vault_body()
    resp = api.post("/vaults", body, acct.token)
    assert resp.status_code == 201, resp.text
    assert resp.json() == {
        "vault_id": body["vault_id"], "role": "owner", "key_generation": 1,
        "wrapped_vault_key": body["wrapped_vault_key"], "pending_grant": None, "members_version": 0, "seq": 0,
        "manifest": {"version": 0, "generation": 1, "mac": body["manifest"]["mac"]},
    }
    assert api.post("/vaults", body, acct.token).status_code == 409
    ids = [v["vault_id"] for v in api.get("/vaults", acct.token).json()["vaults"]]
    assert ids == [acct.vault_id, body["vault_id"]]

    api.write(acct.token, body["vault_id"], 0, [fakes.item_change()])
    assert api.delete(f"/vaults/{body['vault_id']}", acct.token).status_code == 204
    doc = api.sync(acct.token, {acct.vault_id: 0, body["vault_id"]: 1})
    assert [v["vault_id"] for v in doc["vaults"]] == [acct.vault_id]
    assert doc["removed_vaults"] == [body["vault_id"]]
    resp = api.delete(f"/vaults/{body['vault_id']}", acct.token)
    assert resp.status_code == 404 and error_code(resp) == "not_found"


def test_other_accounts_cannot_see_or_touch_a_vault(api: Api) -> None:
    alice, mallory = api.register(), api.register()
    api.write(alice.token, alice.vault_id, 0, [fakes.item_change()])
    doc = api.sync(mallory.token, {alice.vault_id: 0})
    assert alice.vault_id not in [v["vault_id"] for v in doc["vaults"]]
    assert doc["removed_vaults"] == [alice.vault_id]
    for resp in (api.write(mallory.token, alice.vault_id, 1, [fakes.item_change()]),
                 api.delete(f"/vaults/{alice.vault_id}", mallory.token)):
        assert resp.status_code == 404 and error_code(resp) == "not_found"
    assert api.vault_state(alice.token, alice.vault_id)["seq"] == 1


def test_concurrent_writers_on_one_vault_exactly_one_wins_each_version(api: Api) -> None:
    acct = api.register()
    tokens = [api.login_token(acct, f"device {n}") for n in range(6)]
    results: list[int] = []

    def writer(token: str) -> None:
        client = Api(str(api.client.base_url).rstrip("/"))
        try:
            results.append(client.write(token, acct.vault_id, 0, [fakes.item_change()]).status_code)
        finally:
            client.close()

    threads = [threading.Thread(target=writer, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [409] * 5
    state = api.vault_state(acct.token, acct.vault_id)
    assert state["seq"] == 1 and len(state["items"]) == 1


def test_concurrent_writers_to_separate_vaults_all_succeed(api: Api) -> None:
    accounts = [api.register() for _ in range(4)]
    failures: list[str] = []

    def writer(acct) -> None:  # noqa: ANN001
        client = Api(str(api.client.base_url).rstrip("/"))
        try:
            for version in range(10):
                resp = client.write(acct.token, acct.vault_id, version, [fakes.item_change() for _ in range(5)])
                if resp.status_code != 200:
                    failures.append(resp.text)
        finally:
            client.close()

    threads = [threading.Thread(target=writer, args=(a,)) for a in accounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    for acct in accounts:
        assert api.vault_state(acct.token, acct.vault_id)["seq"] == 10


# -- direct database access ------------------------------------------------------------------------


def _engine(server: ServerProcess) -> sa.Engine:
    return sa.create_engine(server.database_url)


def _item_rows(server: ServerProcess, vault_id: str) -> list[tuple]:
    engine = _engine(server)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT item_id, revision, blob, seq FROM items WHERE vault_id = :v ORDER BY seq, item_id"),
                {"v": _uuid_param(engine, vault_id)},
            ).all()
            vault = conn.execute(sa.text("SELECT seq, manifest_version, manifest_mac FROM vaults WHERE id = :v"),
                                 {"v": _uuid_param(engine, vault_id)}).one()
        return [tuple(r) for r in rows] + [tuple(vault)]
    finally:
        engine.dispose()


def _uuid_param(engine: sa.Engine, value: str) -> object:
    # SQLAlchemy's Uuid type stores 32 hex digits on SQLite and a native uuid on PostgreSQL.
    return uuid.UUID(value).hex if engine.dialect.name == "sqlite" else uuid.UUID(value)

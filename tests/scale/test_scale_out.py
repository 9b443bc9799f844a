"""Scale-out: two bv-server processes on different ports over one PostgreSQL database.

Nothing a request relies on lives in one process's memory: a session made through one server
works on the other, and the compare-and-swap on a vault's manifest version holds across them.
Two devices of one account write through different servers at the same time (the real sync
engine, real sealed items): every write lands exactly once, the races are detected as conflicts
and merged, and both devices end with the same, complete vault.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.helpers import fakes
from tests.helpers.fixtures import bv_server_factory  # noqa: F401 - fixture
from tests.helpers.server_proc import ServerProcess
from vault_client import crypto
from vault_client.account import new_account_keys
from vault_client.cache import Cache
from vault_client.encoding import b64d
from vault_client.items.model import new_item
from vault_client.keychain import Keychain
from vault_client.sync import SyncEngine
from vault_client.transport import Api
from vault_client.vault import VaultView

pytestmark = pytest.mark.postgres

PASSWORD = "scale-out password"
ROUNDS = 6  # push rounds per device
PER_ROUND = 5  # new items per device and round


@pytest.fixture
def two_servers(bv_server_factory: Callable[..., ServerProcess], pg_url: str) -> tuple[ServerProcess, ServerProcess]:  # noqa: F811
    first = bv_server_factory("postgres", database_url=pg_url)
    second = bv_server_factory("postgres", database_url=pg_url)  # already migrated by the first
    assert first.port != second.port
    return first, second


class Device:
    """One device of the account: its own cache, session and server."""

    def __init__(self, server: ServerProcess, token: str, keychain: Keychain, cache_path: Path, vault_id: str):
        self.api = Api(server.url, token)
        self.cache = Cache(cache_path)
        self.engine = SyncEngine(self.cache, keychain, self.api)
        self.view = VaultView(self.cache, keychain)
        self.vault_id = vault_id

    def close(self) -> None:
        self.api.close()
        self.cache.close()


def make_account(monkeypatch: pytest.MonkeyPatch, server: ServerProcess) -> tuple[dict, Keychain, str]:
    """Register through ``server`` with client-made keys (KDF floor); the register body, the
    unlocked keychain and the session token."""
    monkeypatch.setenv("BV_KDF", "19456,2,1")
    account_id = uuid.uuid4()
    new = new_account_keys(fakes.fake_email("scale"), PASSWORD, account_id)
    with Api(server.url) as api:
        token = api.register(new.body)["session"]["token"]
    keys = crypto.derive_account_keys(PASSWORD, new.secret_key, b64d(new.body["salt"]), new.params)
    account_key = crypto.unwrap_account_key(keys.kek, b64d(new.body["wrapped_account_key"]), account_id)
    return new.body, Keychain(account_id, account_key, b64d(new.body["wrapped_private_keys"])), token


def test_a_session_made_on_one_server_works_on_the_other_and_revocation_reaches_both(two_servers):
    a, b = two_servers
    body, _ = fakes.registration()
    token = httpx.post(a.api_url + "/accounts", json=body).json()["session"]["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(b.api_url + "/vaults", headers=headers).status_code == 200
    assert httpx.post(b.api_url + "/logout", headers=headers).status_code == 204
    assert httpx.get(a.api_url + "/vaults", headers=headers).status_code == 401


def test_manifest_compare_and_swap_holds_across_servers(two_servers):
    """Writers race through both servers, each round with the same base version: exactly one
    write per version wins, every loser gets 409, no accepted write is lost or applied twice."""
    a, b = two_servers
    body, _ = fakes.registration()
    token = httpx.post(a.api_url + "/accounts", json=body).json()["session"]["token"]
    vault_id = body["vault"]["vault_id"]
    headers = {"Authorization": f"Bearer {token}"}
    accepted: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def writer(server: ServerProcess, rounds: int) -> list[int]:
        statuses = []
        with httpx.Client(base_url=server.api_url, headers=headers, timeout=30) as http:
            for _ in range(rounds):
                version = http.get("/vaults").json()["vaults"][0]["manifest"]["version"]
                change = fakes.item_change()
                barrier.wait()
                resp = http.post(f"/vaults/{vault_id}/changes", json=fakes.batch(version, [change]))
                statuses.append(resp.status_code)
                if resp.status_code == 200:
                    with lock:
                        accepted.append(change["item_id"])
                barrier.wait()
        return statuses

    rounds = 15
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(writer, [a, b, a, b], [rounds] * 4))
    statuses = [s for r in results for s in r]
    assert set(statuses) <= {200, 409}
    assert statuses.count(200) == len(accepted) == rounds  # one winner per round, whichever server
    with httpx.Client(base_url=b.api_url, headers=headers) as http:
        synced = http.post("/sync", json={"cursors": {}}).json()["vaults"][0]
    assert synced["manifest"]["version"] == rounds
    assert sorted(i["item_id"] for i in synced["items"]) == sorted(accepted)
    assert all(i["revision"] == 1 for i in synced["items"])


def test_two_devices_writing_through_two_servers_lose_nothing(two_servers, monkeypatch, tmp_path):
    a, b = two_servers
    body, keychain, token_a = make_account(monkeypatch, a)
    with Api(b.url) as api:
        token_b = api.login(body["email"], body["auth_key"], "device b")["session"]["token"]
    vault_id = body["vault"]["vault_id"]
    one = Device(a, token_a, keychain, tmp_path / "one.sqlite3", vault_id)
    two = Device(b, token_b, keychain, tmp_path / "two.sqlite3", vault_id)
    try:
        # A shared item both devices will edit at the same moment.
        one.engine.pull()
        shared = one.view.save(vault_id, new_item("login", "Shared", username="u", password="p0", notes=""))
        one.engine.push()
        two.engine.pull()

        created: dict[str, list[str]] = {"one": [], "two": []}
        merged: dict[str, list[str]] = {"one": [], "two": []}
        barrier = threading.Barrier(2)

        def work(name: str, device: Device) -> None:
            for r in range(ROUNDS):
                for k in range(PER_ROUND):
                    item = new_item("login", f"{name}-{r}-{k}", username=name, password=f"{name}{r}{k}")
                    created[name].append(device.view.save(vault_id, item))
                if r == ROUNDS // 2:  # both edit the shared item from the same base: a real race
                    entry = next(e for e in device.view.entries() if e.item_id == shared)
                    item = entry.item.copy()
                    if name == "one":
                        item.fields["password"] = "from one"
                    else:
                        item.notes = "from two"
                    device.view.save(vault_id, item, shared)
                    barrier.wait()
                report = device.engine.sync()
                merged[name] += report.merged

        threads = [threading.Thread(target=work, args=("one", one)), threading.Thread(target=work, args=("two", two))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
        one.engine.sync()
        two.engine.sync()

        # Nothing lost: both devices hold every item, and agree.
        expected = set(created["one"]) | set(created["two"]) | {shared}
        assert len(created["one"]) + len(created["two"]) == 2 * ROUNDS * PER_ROUND
        for device in (one, two):
            entries = {e.item_id: e for e in device.view.entries()}
            assert set(entries) == expected
            assert device.cache.pending() == []
            assert entries[shared].item.fields["password"] == "from one"
            assert entries[shared].item.notes == "from two"
        # The race was seen: at least one device got a 409 on the shared item and merged.
        assert shared in merged["one"] + merged["two"]

        # Exactly once on the server: one row per item, new items at revision 1; the shared
        # item was written three times (create, one edit, one merged edit).
        engine = sa.create_engine(a.database_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT item_id, revision FROM items WHERE vault_id = :v"),
                                    {"v": uuid.UUID(vault_id)}).all()
        finally:
            engine.dispose()
        revisions = {str(item_id): revision for item_id, revision in rows}
        assert len(rows) == len(expected) and set(revisions) == expected
        assert all(revisions[i] == 1 for i in expected - {shared})
        assert revisions[shared] == 3
    finally:
        one.close()
        two.close()

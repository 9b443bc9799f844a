"""SIGKILL the server at random moments during concurrent writes: nothing acknowledged is lost.

Four writers (three accounts, one of them on two devices writing the same vault) seal real items
with the client library and push them, each write carrying a unique token, while a killer thread
SIGKILLs ``bv-server`` every few hundred milliseconds and starts it again on the same port and
data. A write is acknowledged when the writer's sync returned with nothing left queued. Afterwards
a fresh device of each account pulls everything (the sync engine opens every blob and checks the
manifest) and every acknowledged token must be in some item's document (its fields or the
history and conflict copies the client keeps); SQLite's integrity check must pass.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import fakes
from tests.reliability.killable import KillableServer
from tests.reliability.lib_client import LibDevice
from vault_client.errors import BvError

KILLS = 3
MAX_WRITES = 200  # per writer: enough to be mid-write at every kill, few enough to verify quickly
FINAL_SYNC_ATTEMPTS = 20


class Writer(threading.Thread):
    def __init__(self, device: LibDevice, name: str, stop: threading.Event, seed: int) -> None:
        super().__init__(name=name, daemon=True)
        self.device, self.stop, self.rng = device, stop, random.Random(seed)
        self.acked: list[str] = []
        self.unacked: list[str] = []
        self.mine: list[str] = []
        self.errors: list[str] = []
        self.failure: BaseException | None = None
        self.counter = 0

    def token(self) -> str:
        self.counter += 1
        return f"{self.name}-{self.counter:05d}"

    def write(self) -> None:
        token = self.token()
        if self.mine and self.rng.random() < 0.5:
            self.device.edit(self.rng.choice(self.mine), token, field=self.rng.choice(["username", "password"]))
        else:
            self.mine.append(self.device.add(token))
        self.unacked.append(token)

    def try_sync(self) -> bool:
        try:
            self.device.sync()
        except BvError as exc:  # server down or cut off mid-request: the writes stay queued
            self.errors.append(type(exc).__name__)
            return False
        if self.device.cache.pending_count() == 0:
            self.acked += self.unacked
            self.unacked = []
        return True

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                for _ in range(self.rng.randint(1, 4)):
                    if self.counter < MAX_WRITES:
                        self.write()
                if not self.try_sync():
                    time.sleep(0.2)
                else:
                    time.sleep(self.rng.uniform(0.02, 0.15))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.failure = exc


def killer(server: KillableServer, kills: int, rng: random.Random) -> float:
    """Kill the server ``kills`` times, each a random moment after it came up; seconds it was up."""
    up = 0.0
    for _ in range(kills):
        pause = rng.uniform(0.2, 1.0)
        up += pause
        time.sleep(pause)
        server.kill()
        time.sleep(rng.uniform(0.0, 0.2))
        server.start()
    time.sleep(0.5)
    return up


@pytest.fixture(params=["sqlite", "postgres"])
def killable(request: pytest.FixtureRequest, tmp_path: Path):
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    with KillableServer(tmp_path / "server", database_url=url) as server:
        yield server


def test_sigkill_during_concurrent_writes_loses_no_acknowledged_write(killable: KillableServer,
                                                                      tmp_path: Path) -> None:
    started = time.monotonic()
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    alice = LibDevice.register(killable.url, tmp_path / "alice")
    devices = {
        "alice": alice,
        "alice2": alice.login_device(tmp_path / "alice2"),
        "bob": LibDevice.register(killable.url, tmp_path / "bob"),
        "carol": LibDevice.register(killable.url, tmp_path / "carol"),
    }
    stop = threading.Event()
    writers = [Writer(dev, name, stop, rng.randrange(2**32)) for name, dev in devices.items()]
    for w in writers:
        w.start()
    killer(killable, KILLS, rng)
    stop.set()
    for w in writers:
        w.join(60)
        assert not w.is_alive(), f"{w.name} hung (seed {seed})"
        assert w.failure is None, f"{w.name}: {w.failure!r} (seed {seed})"
    assert killable.kills == KILLS, killable.kills
    assert sum(len(w.errors) for w in writers) >= KILLS, "the kills never cut a writer off"
    acked = {w.name: list(w.acked) for w in writers}
    assert sum(len(v) for v in acked.values()) >= 20, acked

    # The server is up again: every writer gets its queue through.
    for w in writers:
        for _ in range(FINAL_SYNC_ATTEMPTS):
            if w.try_sync():
                break
        assert w.device.cache.pending_count() == 0, (w.name, w.errors[-5:])

    for owner, names in (("alice", ["alice", "alice2"]), ("bob", ["bob"]), ("carol", ["carol"])):
        fresh = devices[owner].login_device(tmp_path / f"{owner}-fresh")  # pulls and verifies everything
        text = "\n".join(fresh.documents().values())
        for name in names:
            w = next(w for w in writers if w.name == name)
            lost = [t for t in acked[name] if t not in text]
            assert not lost, f"{name} lost acknowledged writes {lost[:5]} (seed {seed})"
            lost = [t for t in w.acked if t not in text]
            assert not lost, f"{name} lost writes after the final sync {lost[:5]} (seed {seed})"
        fresh.close()

    killable.stop()
    if killable.database_url is None:
        with sqlite3.connect(killable.sqlite_path) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    print(f"\n{time.monotonic() - started:.1f} s, {killable.kills} kills, "
          f"{sum(len(v) for v in acked.values())} writes acknowledged before the last kill ended, "
          f"{sum(len(w.errors) for w in writers)} failed syncs, seed {seed}")
    for dev in devices.values():
        dev.close()


def test_a_full_disk_fails_writes_cleanly_and_loses_nothing(tmp_path: Path) -> None:
    """SQLite on a full disk (RLIMIT_FSIZE on the server process): writes fail with a JSON 5xx,
    reads and health go on, nothing acknowledged is lost, and writes work again once there is room."""
    server = KillableServer(tmp_path / "server").start()
    server.stop()
    limit = server.sqlite_path.stat().st_size + 150_000
    server.start(file_limit=limit)
    try:
        http = httpx.Client(base_url=server.url + "/v1", timeout=30)
        body, _ = fakes.registration()
        token = http.post("/accounts", json=body).json()["session"]["token"]
        auth, vault_id = {"Authorization": f"Bearer {token}"}, body["vault"]["vault_id"]
        acked, failed, version = [], [], 0
        for _ in range(60):
            items = [fakes.item_change(size=5000) for _ in range(5)]
            resp = http.post(f"/vaults/{vault_id}/changes", json=fakes.batch(version, items), headers=auth)
            if resp.status_code == 200:
                version += 1
                acked += [i["item_id"] for i in items]
            else:
                failed.append((resp.status_code, resp.json()["error"]["code"]))
        assert acked and failed, (len(acked), failed[:3])
        assert set(failed) == {(500, "internal_error")}, failed[:5]
        assert http.get("/health").status_code == 200
        assert http.post("/sync", json={"cursors": {}}, headers=auth).status_code == 200

        server.stop()
        server.start()  # room again
        doc = http.post("/sync", json={"cursors": {}}, headers=auth).json()
        stored = {i["item_id"] for v in doc["vaults"] for i in v["items"]}
        assert set(acked) <= stored
        assert [v["manifest"]["version"] for v in doc["vaults"]] == [version]
        resp = http.post(f"/vaults/{vault_id}/changes", json=fakes.batch(version, [fakes.item_change()]), headers=auth)
        assert resp.status_code == 200, resp.text
        http.close()
    finally:
        server.stop()
    with sqlite3.connect(server.sqlite_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    log = server.log_text()
    assert "unexpected OperationalError" in log
    assert "disk I/O error" not in log and "Exception in ASGI application" not in log  # type and frames only

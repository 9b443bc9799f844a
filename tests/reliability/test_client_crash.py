"""SIGKILL `bv sync` at random points of a large push and of a large pull.

After every kill the device's cache must pass SQLite's integrity check, no queued item may have
vanished (each is still queued or stored as synced), and every vault in the cache must verify:
its manifest MAC matches exactly the items cached for it, so no vault is half applied, and so does
every manifest bucket digest the cache keeps. Then a plain `bv sync` completes and a second device
sees every item.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from uuid import UUID

import pytest

from tests.client.bv import BV, Device
from tests.helpers.server_proc import ServerProcess
from tests.reliability.lib_client import stale_bucket_rows
from vault_client import crypto
from vault_client.account import unlock
from vault_client.cache import Cache
from vault_client.items.model import new_item
from vault_client.state import AccountState
from vault_client.vault import VaultView

ROUND_ITEMS = 600  # two push batches per round
KILLS = 3


def _account(device: Device) -> AccountState:
    return AccountState.from_json((device.home / "account.json").read_bytes())


def _keychain(device: Device, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN202 - Keychain
    monkeypatch.setenv("BV_HOME", str(device.home))
    return unlock(_account(device), device.password_file.read_text().strip())


def queue_items(device: Device, keychain, count: int) -> set[str]:  # noqa: ANN001
    """Seal ``count`` new items into the device's queue, as `bv add` does, without syncing."""
    account = _account(device)
    with Cache(device.home / "cache.sqlite3", account_id=account.account_id) as cache:
        view = VaultView(cache, keychain)
        vault_id = account.extra["personal_vault_id"]
        return {view.save(vault_id, new_item("login", f"bulk {i:05d}", username=f"user{i}", notes="x" * 200))
                for i in range(count)}


def check_cache(device: Device, keychain, expected: set[str], *, all_held: bool = True) -> tuple[int, int]:  # noqa: ANN001
    """Integrity, every vault verifies, and (``all_held``) no item of ``expected`` vanished;
    returns how many of ``expected`` are (queued, synced)."""
    path = device.home / "cache.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    account = _account(device)
    with Cache(path, account_id=account.account_id) as cache:
        queued = {p.item_id for p in cache.pending()}
        synced = set()
        for vault in cache.vaults():
            synced |= {r.item_id for r in cache.items(vault.vault_id) if r.blob is not None}
            entries = [(UUID(i), rev, h) for i, rev, h in cache.manifest_entries(vault.vault_id)]
            crypto.verify_manifest(keychain.vault_key(vault), UUID(vault.vault_id), vault.manifest_version,
                                   vault.key_generation, entries, vault.manifest_mac)
            assert not stale_bucket_rows(cache, vault.vault_id, entries), "a cached bucket digest is stale"
    missing = expected - queued - synced
    assert not (all_held and missing), f"{len(missing)} items vanished from the cache"
    return len(expected & queued), len(expected & synced)


def kill_sync(device: Device, delay: float) -> bool:
    """Run `bv sync` and SIGKILL it after ``delay`` seconds; whether it was still running."""
    proc = subprocess.Popen([BV, "sync"], env=device.env(), stdin=subprocess.DEVNULL,  # noqa: S603
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        proc.wait(delay)
    except subprocess.TimeoutExpired:
        pass
    alive = proc.poll() is None
    if alive:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return alive


def timed_sync(device: Device) -> float:
    started = time.monotonic()
    device.ok("sync")
    return time.monotonic() - started


def test_killing_bv_sync_mid_push_and_mid_pull_keeps_the_cache_whole(bv_server: ServerProcess, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    a, b = Device(tmp_path, "a"), Device(tmp_path, "b")
    kit = tmp_path / "kit.txt"
    a.ok("account", "create", "--server", bv_server.url, "--email", "crash@example.org", "--kit", str(kit))
    b.ok("login", "--kit", str(kit))
    a.ok("sync")
    b.ok("sync")
    keys_a = _keychain(a, monkeypatch)
    keys_b = _keychain(b, monkeypatch)

    # How long a sync takes: its fixed cost (start, unlock) and its cost per queued item. The kill
    # window starts from that estimate and narrows whenever a sync finished before its kill.
    fixed = timed_sync(a)
    expected = queue_items(a, keys_a, 200)
    per_item = max(0.0, timed_sync(a) - fixed) / 200
    pull_per_item = max(0.0, timed_sync(b) - fixed) / 200
    push_window = [fixed * 0.6, fixed * 1.5 + per_item * ROUND_ITEMS]
    pull_window = [fixed * 0.6, fixed * 1.5 + pull_per_item * ROUND_ITEMS]

    def kill_at_random(device: Device, window: list[float]) -> tuple[float, bool]:
        delay = rng.uniform(*window)
        alive = kill_sync(device, delay)
        if not alive:  # it was done already: kill earlier next time (both ends of the window move)
            window[0] *= 0.6
            window[1] = max(window[0] + 0.02, delay * 0.8)
        return round(delay, 2), alive

    pushes, pulls = [], []
    rounds = 0
    # Each round: a large push killed at a random moment; a few extra rounds while no kill has yet
    # landed during a sync (a fast machine can finish before the first estimate).
    while rounds < KILLS or (not any(alive for _, alive, _ in pushes) and rounds < KILLS + 6):
        rounds += 1
        expected |= queue_items(a, keys_a, ROUND_ITEMS)
        pushes.append((*kill_at_random(a, push_window), check_cache(a, keys_a, expected)))
    timed_sync(a)
    assert check_cache(a, keys_a, expected) == (0, len(expected))

    rounds = 0
    while rounds < KILLS or (not any(alive for _, alive, _ in pulls) and rounds < KILLS + 6):
        rounds += 1  # each round: a large pull killed at a random moment
        expected |= queue_items(a, keys_a, ROUND_ITEMS)
        timed_sync(a)
        pulls.append((*kill_at_random(b, pull_window), check_cache(b, keys_b, expected, all_held=False)))
    timed_sync(b)
    assert check_cache(b, keys_b, expected) == (0, len(expected))
    listed = json.loads(b.ok("list", "--json").out)
    assert {e["item_id"] for e in listed} >= expected

    report = (f"seed {seed}; sync {fixed:.2f} s + {per_item * 1000:.2f} ms/item pushed, "
              f"{pull_per_item * 1000:.2f} ms/item pulled; kills as (delay, alive, "
              f"(queued, synced)): push {pushes}, pull {pulls}")
    assert any(alive for _, alive, _ in pushes) and any(alive for _, alive, _ in pulls), report
    print("\n" + report)

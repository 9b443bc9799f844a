"""Several devices of one account and several members of a shared vault edit the same and
different items in a tight loop; afterwards every device converges and no edit is lost.

Alice has three devices; Bob and Carol are editors of a vault Alice shares. Each writer loops for
a bounded time: it writes a unique token into a field of one of the items everybody edits, or
creates an item of its own, and syncs now and then. When the loop ends every device syncs until
its queue is empty and nothing changes any more. Then every device of a vault holds the same
revisions and blobs, and every token ever written is in the final item, its conflict copies or
its history. Edits per item stay below the history bound (``MAX_HISTORY_VERSIONS``), so a token
can only be missing if an edit was lost.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest

from tests.helpers.server_proc import ServerProcess
from tests.reliability.lib_client import LibDevice
from vault_client.errors import BvError
from vault_client.items.history import MAX_HISTORY_VERSIONS
from vault_client.sharing import Sharing

LOOP_SECONDS = 5.0
EDITS_PER_WRITER_PER_ITEM = 5
MAX_NEW_ITEMS = 10
SETTLE_ROUNDS = 8


class Editor(threading.Thread):
    def __init__(self, name: str, device: LibDevice, targets: list[tuple[str, str]], vault_for_new: str,
                 stop: threading.Event, seed: int) -> None:
        super().__init__(name=name, daemon=True)
        self.device, self.targets, self.vault_for_new, self.stop = device, targets, vault_for_new, stop
        self.rng = random.Random(seed)
        self.written: list[tuple[str, str]] = []  # (vault id, token)
        self.edits: dict[str, int] = {}
        self.new_items = 0
        self.sync_errors: list[str] = []
        self.failure: BaseException | None = None
        self.n = 0

    def token(self) -> str:
        self.n += 1
        return f"{self.name}-{self.n:04d}"

    def step(self) -> bool:
        open_targets = [t for t in self.targets if self.edits.get(t[1], 0) < EDITS_PER_WRITER_PER_ITEM]
        token = self.token()
        if open_targets and (self.rng.random() < 0.75 or self.new_items >= MAX_NEW_ITEMS):
            vault_id, item_id = self.rng.choice(open_targets)
            self.device.edit(item_id, token, vault_id=vault_id, field=self.rng.choice(["username", "password"]))
            self.edits[item_id] = self.edits.get(item_id, 0) + 1
        elif self.new_items < MAX_NEW_ITEMS:
            vault_id = self.vault_for_new
            self.device.add(token, vault_id=vault_id)
            self.new_items += 1
        else:
            return False
        self.written.append((vault_id, token))
        return True

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                if not self.step():
                    break
                if self.rng.random() < 0.6:
                    try:
                        self.device.sync()
                    except BvError as exc:  # e.g. PushFailed when the vault keeps changing: stays queued
                        self.sync_errors.append(type(exc).__name__)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.failure = exc


def share(owner: LibDevice, member: LibDevice, vault_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Alice invites, the member accepts (contacts are pinned in each device's own home)."""
    monkeypatch.setenv("BV_HOME", str(owner.root))
    Sharing(owner.cache, owner.keys, owner.api, owner.creds.email).share(vault_id, member.creds.email, "editor")
    monkeypatch.setenv("BV_HOME", str(member.root))
    Sharing(member.cache, member.keys, member.api, member.creds.email).accept(vault_id, trust_new=True)


def settle(devices: list[LibDevice]) -> None:
    """Sync every device, round after round, until all queues are empty and a round changes nothing."""
    for _ in range(SETTLE_ROUNDS):
        before = [d.state() for d in devices]
        for d in devices:
            try:
                d.sync()
            except BvError:
                pass
        if all(d.cache.pending_count() == 0 for d in devices) and [d.state() for d in devices] == before:
            return
    raise AssertionError(f"devices did not settle: pending {[d.cache.pending_count() for d in devices]}")


def test_devices_and_members_editing_at_once_converge_and_lose_nothing(bv_server: ServerProcess, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # At most four writers per item; each edit and each merge adds at most one version to its history.
    assert 4 * EDITS_PER_WRITER_PER_ITEM * 2 < MAX_HISTORY_VERSIONS  # so no token can age out of it
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    url = bv_server.url
    a1 = LibDevice.register(url, tmp_path / "alice-1")
    a2, a3 = a1.login_device(tmp_path / "alice-2"), a1.login_device(tmp_path / "alice-3")
    bob, carol = LibDevice.register(url, tmp_path / "bob"), LibDevice.register(url, tmp_path / "carol")

    monkeypatch.setenv("BV_HOME", str(a1.root))
    shared = Sharing(a1.cache, a1.keys, a1.api, a1.creds.email).create_vault("Family")
    share(a1, bob, shared, monkeypatch)
    share(a1, carol, shared, monkeypatch)
    personal_items = [(a1.vault_id, a1.add(f"seed-p{i}")) for i in range(3)]
    shared_items = [(shared, a1.add(f"seed-s{i}", vault_id=shared)) for i in range(3)]
    a1.sync()
    everyone = [a1, a2, a3, bob, carol]
    settle(everyone)

    stop = threading.Event()
    editors = [
        Editor("a1", a1, personal_items + shared_items, a1.vault_id, stop, rng.randrange(2**32)),
        Editor("a2", a2, personal_items + shared_items, shared, stop, rng.randrange(2**32)),
        Editor("a3", a3, personal_items, a1.vault_id, stop, rng.randrange(2**32)),
        Editor("bob", bob, shared_items, shared, stop, rng.randrange(2**32)),
        Editor("carol", carol, shared_items, shared, stop, rng.randrange(2**32)),
    ]
    for e in editors:
        e.start()
    time.sleep(LOOP_SECONDS)
    stop.set()
    for e in editors:
        e.join(60)
        assert not e.is_alive(), f"{e.name} hung (seed {seed})"
        assert e.failure is None, f"{e.name}: {e.failure!r} (seed {seed})"
    settle(everyone)

    personal_state = {k: v for k, v in a1.state().items() if k.startswith(a1.vault_id)}
    for d in (a2, a3):
        assert {k: v for k, v in d.state().items() if k.startswith(a1.vault_id)} == personal_state, d
    shared_state = {k: v for k, v in a1.state().items() if k.startswith(shared)}
    for d in (a2, a3, bob, carol):
        assert {k: v for k, v in d.state().items() if k.startswith(shared)} == shared_state, d

    texts = {vid: "\n".join(a1.documents(vid).values()) for vid in (a1.vault_id, shared)}
    assert "\n".join(bob.documents(shared).values()) == texts[shared]
    written = [(e.name, vid, token) for e in editors for vid, token in e.written]
    lost = [(name, token) for name, vid, token in written if token not in texts[vid]]
    assert not lost, f"{len(lost)} of {len(written)} edits lost, e.g. {lost[:5]} (seed {seed})"
    conflicts = sum(text.count('"field"') for text in texts.values())
    print(f"\n{len(written)} edits by {len(editors)} writers, {conflicts} conflict copies, "
          f"{sum(len(e.sync_errors) for e in editors)} sync retries, seed {seed}")
    for d in everyone:
        d.close()

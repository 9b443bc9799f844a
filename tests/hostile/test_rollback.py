"""Rollbacks done in the server's database: one item, or the whole vault, put back to an older state.

A hostile operator keeps an old copy of a vault (ciphertext it legitimately held) and serves it
again later. Device B saw the newer state, so it refuses; a device that never saw it cannot tell,
and the last test states that limit as a fact (docs/threat-model.md says it plainly).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.client.bv import Device
from tests.hostile.checks import CacheState, item_ids, listing, refused
from tests.hostile.proxy import HostileProxy
from tests.hostile.tamper import ServerDb, VaultSnapshot


@dataclass
class Scene:
    a: Device
    b: Device
    kit: object
    vault_id: str
    alpha: str
    old: VaultSnapshot   # the vault when B first synced: Alpha at revision 1, manifest version 1
    new: VaultSnapshot   # after A edited Alpha and added Beta; B has synced to it


@pytest.fixture(scope="module")
def scene(accounts, db: ServerDb) -> Scene:
    a, _, kit = accounts.create("rollback")
    a.ok("add", "login", "Alpha", "--username", "old-name", input="old-password\n")
    b = accounts.second_device(kit, "rollback-b")
    b.ok("sync")
    vault_id = listing(a)[0]["vault_id"]
    old = db.snapshot(vault_id)
    a.ok("edit", "Alpha", "--username", "new-name")
    a.ok("add", "login", "Beta", "--username", "b", input="beta-password\n")
    b.ok("sync")
    return Scene(a, b, kit, vault_id, item_ids(a)["Alpha"], old, db.snapshot(vault_id))


@pytest.fixture
def restore(scene: Scene, db: ServerDb):
    yield
    db.restore(scene.new, fresh_seq=True)  # the honest state again, for the next test


def _refused(scene: Scene, proxy: HostileProxy, says: str) -> None:
    before = CacheState.of(scene.b)
    proxy.clear_log()
    refused(scene.b.run("sync"), says=says)
    assert CacheState.of(scene.b) == before
    assert proxy.paths() == ["POST /v1/sync"], proxy.paths()


def test_single_item_rolled_back_on_a_device_that_saw_the_newer_revision(
        hostile: HostileProxy, scene: Scene, db: ServerDb, restore) -> None:
    old = scene.old.items[scene.alpha]
    db.put_item(scene.vault_id, scene.alpha, old.revision, old.blob)  # a genuine old blob, sent anew
    db.set_manifest(scene.vault_id, scene.new.vault["manifest_version"] + 1, scene.new.vault["manifest_mac"])
    _refused(scene, hostile, f"item {scene.alpha} was rolled back to revision 1 (this device has seen 2)")


def test_single_item_rolled_back_but_labelled_as_the_current_revision(
        hostile: HostileProxy, scene: Scene, db: ServerDb, restore) -> None:
    db.put_item(scene.vault_id, scene.alpha, 2, scene.old.items[scene.alpha].blob)
    db.set_manifest(scene.vault_id, scene.new.vault["manifest_version"] + 1, scene.new.vault["manifest_mac"])
    _refused(scene, hostile, f"item {scene.alpha} changed without a new revision")


def test_whole_vault_rolled_back_with_a_fresh_change_counter(
        hostile: HostileProxy, scene: Scene, db: ServerDb, restore) -> None:
    """Old manifest and old items, sent again as if new: the manifest version went down."""
    db.restore(scene.old, fresh_seq=True)
    old, new = scene.old.vault["manifest_version"], scene.new.vault["manifest_version"]
    _refused(scene, hostile, f"the vault was rolled back (manifest {old} < {new})")


def test_whole_vault_rolled_back_exactly_as_it_was(hostile: HostileProxy, scene: Scene, db: ServerDb, restore) -> None:
    """The old database rows, change counter included."""
    db.restore(scene.old)
    old, new = scene.old.vault["manifest_version"], scene.new.vault["manifest_version"]
    _refused(scene, hostile, f"the vault was rolled back (manifest {old} < {new})")


def test_limit_a_device_that_never_saw_the_newer_state_cannot_tell(
        hostile: HostileProxy, accounts, scene: Scene, db: ServerDb, restore) -> None:
    """What remains possible (docs/threat-model.md): a consistent old state fools a new device."""
    db.restore(scene.old)
    c = accounts.second_device(scene.kit, "rollback-c")
    c.ok("sync")
    assert [(e["name"], e["fields"]["username"]) for e in listing(c)] == [("Alpha", "old-name")]
    # ...while the device that saw the newer state keeps refusing it.
    refused(scene.b.run("sync"), says="the vault was rolled back")

"""Forged sync answers: items swapped, edited, replayed, reordered, dropped, duplicated, injected.

One scenario serves the whole module. Device A wrote items; device B synced once, then A wrote
more, so the server holds a delta for B. Every test rewrites that delta in the ``/v1/sync`` answer,
runs ``bv sync`` on B and checks the three things a hostile-server test checks:

1. B refuses: exit status 5 and one ``bv: error:`` line naming the failed check;
2. B stores nothing from the answer: its cache is row-for-row what it was (so the next test finds
   the same delta again);
3. B sends nothing after the forged answer: no write, no key, only the one ``/v1/sync``.

The last test is the control: the same delta, untampered apart from its order, is accepted.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest

from tests.client.bv import Device
from tests.hostile.checks import CacheState, item_ids, listing, refused
from tests.hostile.proxy import HostileProxy
from vault_client.encoding import b64d as unb64
from vault_client.encoding import b64e


@dataclass
class Scene:
    a: Device
    b: Device
    personal: str          # vault ids
    second: str
    alpha: str             # item ids: edited after B's first sync (revision 2 waits for B)
    beta: str              # purged after B's first sync (a tombstone waits for B)
    delta: str             # added after B's first sync
    gamma: str             # in the second vault, edited after B's first sync
    alpha_rev1_blob: str   # what the server saw before the edit (a hostile server keeps it)
    beta_rev1_blob: str


@pytest.fixture(scope="module")
def scene(accounts, proxy: HostileProxy) -> Scene:
    a, _, kit = accounts.create("items")
    a.ok("add", "login", "Alpha", "--username", "alice", input="alpha-password\n")
    a.ok("add", "login", "Beta", "--username", "bob", input="beta-password\n")
    a.ok("vault", "create", "Second")
    a.ok("add", "note", "Gamma", "--vault", "Second", input="gamma notes\n")
    b = accounts.second_device(kit, "items-b")
    proxy.clear_log()
    b.ok("sync")
    first = proxy.requests("POST", "/v1/sync")[-1].reply.json
    ids = item_ids(a)
    a.ok("edit", "Alpha", "--tag", "edited")
    a.ok("rm", "Beta", "--purge", "--yes")
    a.ok("add", "login", "Delta", "--username", "dan", input="delta-password\n")
    a.ok("edit", "Gamma", "--tag", "edited")
    by_name = {e["name"]: e for e in listing(a)}
    personal, second = by_name["Alpha"]["vault_id"], by_name["Gamma"]["vault_id"]
    old = {i["item_id"]: i for v in first["vaults"] for i in v["items"]}
    return Scene(a, b, personal, second, ids["Alpha"], ids["Beta"], by_name["Delta"]["item_id"], ids["Gamma"],
                 old[ids["Alpha"]]["blob"], old[ids["Beta"]]["blob"])


def _vault(doc: dict, vault_id: str) -> dict:
    return next(v for v in doc["vaults"] if v["vault_id"] == vault_id)


def _entry(doc: dict, vault_id: str, item_id: str) -> dict:
    return next(i for i in _vault(doc, vault_id)["items"] if i["item_id"] == item_id)


def _attack(scene: Scene, proxy: HostileProxy, forge, says: str) -> None:
    """Rewrite B's sync answer with ``forge(doc)``; B must refuse, keep its cache, send nothing more."""
    before = CacheState.of(scene.b)

    def hook(doc: dict, _exchange) -> Any:
        forged = copy.deepcopy(doc)
        result = forge(forged)
        return forged if result is None else result

    proxy.rewrite("POST", "/v1/sync", hook)
    result = scene.b.run("sync")
    refused(result, says=says)
    assert CacheState.of(scene.b) == before
    assert proxy.paths() == ["POST /v1/sync"], proxy.paths()


# -- swapped blobs ---------------------------------------------------------------------------------

def test_blobs_swapped_between_items(hostile: HostileProxy, scene: Scene) -> None:
    def forge(doc: dict) -> None:
        x, y = _entry(doc, scene.personal, scene.alpha), _entry(doc, scene.personal, scene.delta)
        x["blob"], y["blob"] = y["blob"], x["blob"]

    _attack(scene, hostile, forge, f"item {scene.alpha} revision 2 does not decrypt")


def test_blob_moved_from_another_vault(hostile: HostileProxy, scene: Scene) -> None:
    def forge(doc: dict) -> None:
        _entry(doc, scene.personal, scene.alpha)["blob"] = _entry(doc, scene.second, scene.gamma)["blob"]

    _attack(scene, hostile, forge, "does not decrypt")


def test_blob_of_an_older_revision_presented_as_the_newer(hostile: HostileProxy, scene: Scene) -> None:
    def forge(doc: dict) -> None:
        _entry(doc, scene.personal, scene.alpha)["blob"] = scene.alpha_rev1_blob  # labelled revision 2

    _attack(scene, hostile, forge, f"item {scene.alpha} revision 2 does not decrypt")


# -- edited metadata -------------------------------------------------------------------------------

def test_item_revision_edited(hostile: HostileProxy, scene: Scene) -> None:
    def forge(doc: dict) -> None:
        _entry(doc, scene.personal, scene.alpha)["revision"] = 7

    _attack(scene, hostile, forge, "revision 7 does not decrypt")


def test_item_id_edited(hostile: HostileProxy, scene: Scene) -> None:
    new_id = str(uuid4())

    def forge(doc: dict) -> None:
        _entry(doc, scene.personal, scene.delta)["item_id"] = new_id

    _attack(scene, hostile, forge, f"item {new_id} revision 1 does not decrypt")


def test_item_ids_of_two_entries_exchanged(hostile: HostileProxy, scene: Scene) -> None:
    """Reordering which blob belongs to which id and revision (a cut-and-paste of whole entries)."""
    def forge(doc: dict) -> None:
        x, y = _entry(doc, scene.personal, scene.alpha), _entry(doc, scene.personal, scene.delta)
        x["item_id"], y["item_id"] = y["item_id"], x["item_id"]
        x["revision"], y["revision"] = y["revision"], x["revision"]

    _attack(scene, hostile, forge, "does not decrypt")


def test_manifest_version_edited(hostile: HostileProxy, scene: Scene) -> None:
    def forge(doc: dict) -> None:
        _vault(doc, scene.personal)["manifest"]["version"] += 1

    _attack(scene, hostile, forge, "the manifest does not match the items")


def test_manifest_generation_edited(hostile: HostileProxy, scene: Scene) -> None:
    def forge(doc: dict) -> None:
        _vault(doc, scene.personal)["manifest"]["generation"] = 2

    _attack(scene, hostile, forge, "the manifest is for another key generation")


def test_key_generation_raised_with_the_same_key(hostile: HostileProxy, scene: Scene) -> None:
    """The wrapped vault key is bound to its generation: it does not open as generation 2."""
    def forge(doc: dict) -> None:
        vault = _vault(doc, scene.personal)
        vault["key_generation"] = vault["manifest"]["generation"] = 2

    _attack(scene, hostile, forge, f"the key of vault {scene.personal} does not open")


def test_vault_records_exchanged(hostile: HostileProxy, scene: Scene) -> None:
    """The second vault's record (key, manifest, items) presented under the personal vault's id."""
    def forge(doc: dict) -> None:
        mine, other = _vault(doc, scene.personal), _vault(doc, scene.second)
        mine.update({k: v for k, v in other.items() if k != "vault_id"})

    _attack(scene, hostile, forge, f"the key of vault {scene.personal} does not open")


def test_manifest_mac_of_the_other_vault(hostile: HostileProxy, scene: Scene) -> None:
    def forge(doc: dict) -> None:
        _vault(doc, scene.personal)["manifest"]["mac"] = _vault(doc, scene.second)["manifest"]["mac"]

    _attack(scene, hostile, forge, "the manifest does not match the items")


# -- replayed, dropped, duplicated, injected ---------------------------------------------------------

def test_item_replayed_at_its_old_revision(hostile: HostileProxy, scene: Scene) -> None:
    """Alpha's genuine revision-1 entry served again instead of revision 2: a one-item rollback."""
    def forge(doc: dict) -> None:
        _entry(doc, scene.personal, scene.alpha).update(revision=1, blob=scene.alpha_rev1_blob)

    # B holds revision 1 already, so the replay is "no change" for Alpha; the manifest then misses
    # revision 2. (The DB-level rollback of an item B has seen at revision 2 is in test_rollback.py.)
    _attack(scene, hostile, forge, "the manifest does not match the items")


def test_new_item_dropped(hostile: HostileProxy, scene: Scene) -> None:
    def forge(doc: dict) -> None:
        vault = _vault(doc, scene.personal)
        vault["items"] = [i for i in vault["items"] if i["item_id"] != scene.delta]

    _attack(scene, hostile, forge, "the manifest does not match the items")


def test_deletion_withheld_to_keep_a_purged_item_alive(hostile: HostileProxy, scene: Scene) -> None:
    def forge(doc: dict) -> None:
        vault = _vault(doc, scene.personal)
        vault["items"] = [i for i in vault["items"] if i["item_id"] != scene.beta]

    _attack(scene, hostile, forge, "the manifest does not match the items")


def test_purged_item_revived_with_its_last_blob(hostile: HostileProxy, scene: Scene) -> None:
    def forge(doc: dict) -> None:
        _entry(doc, scene.personal, scene.beta)["blob"] = scene.beta_rev1_blob  # tombstone -> old blob

    _attack(scene, hostile, forge, f"item {scene.beta} revision 2 does not decrypt")


def test_item_duplicated(hostile: HostileProxy, scene: Scene) -> None:
    def forge(doc: dict) -> None:
        vault = _vault(doc, scene.personal)
        vault["items"].append(dict(_entry(doc, scene.personal, scene.alpha)))  # the same entry twice

    _attack(scene, hostile, forge, f"item {scene.alpha} was sent twice")


def test_item_injected_with_a_copied_blob(hostile: HostileProxy, scene: Scene) -> None:
    def forge(doc: dict) -> None:
        vault = _vault(doc, scene.personal)
        vault["items"].append(dict(_entry(doc, scene.personal, scene.alpha), item_id=str(uuid4()), revision=1))

    _attack(scene, hostile, forge, "revision 1 does not decrypt")


def test_tombstone_injected_for_an_item_that_never_existed(hostile: HostileProxy, scene: Scene) -> None:
    """No blob to decrypt: only the manifest can tell this entry was never written."""
    def forge(doc: dict) -> None:
        vault = _vault(doc, scene.personal)
        seq = max(i["seq"] for i in vault["items"])
        vault["items"].append({"item_id": str(uuid4()), "revision": 1, "blob": None, "seq": seq})

    _attack(scene, hostile, forge, "the manifest does not match the items")


# -- whole-vault rollback and forks, as answers ------------------------------------------------------

def test_manifest_older_than_this_device_has_seen(hostile: HostileProxy, scene: Scene) -> None:
    known = dict((row[0], row[5]) for row in CacheState.of(scene.b).vaults)[scene.personal]

    def forge(doc: dict) -> None:
        vault = _vault(doc, scene.personal)
        vault["manifest"]["version"], vault["items"] = known - 1, []

    _attack(scene, hostile, forge, f"the vault was rolled back (manifest {known - 1} < {known})")


def test_same_manifest_version_with_another_mac_is_a_fork(hostile: HostileProxy, scene: Scene) -> None:
    known = dict((row[0], row[5]) for row in CacheState.of(scene.b).vaults)[scene.personal]

    def forge(doc: dict) -> None:
        vault = _vault(doc, scene.personal)
        vault["manifest"]["version"], vault["items"] = known, []

    _attack(scene, hostile, forge, "the manifest changed without a new version")


def test_change_counter_going_backwards(hostile: HostileProxy, scene: Scene) -> None:
    known = dict((row[0], row[4]) for row in CacheState.of(scene.b).vaults)[scene.personal]

    def forge(doc: dict) -> None:
        _vault(doc, scene.personal)["seq"] = known - 1

    _attack(scene, hostile, forge, "the change counter went backwards")


# -- format versions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [b"\x00\x04", b"\x02\x04", b"\xff\x04", b"\x01\x03", b"\x01\x07"],
                         ids=["version-0", "version-2", "version-255", "kind-vault-key", "kind-export"])
def test_ciphertext_with_an_unknown_or_older_format(hostile: HostileProxy, scene: Scene, header: bytes) -> None:
    def forge(doc: dict) -> None:
        entry = _entry(doc, scene.personal, scene.alpha)
        entry["blob"] = b64e(header + unb64(entry["blob"])[2:])

    _attack(scene, hostile, forge, f"item {scene.alpha} revision 2 does not decrypt")


# -- the control -----------------------------------------------------------------------------------

def test_control_the_same_delta_untampered_is_accepted(hostile: HostileProxy, scene: Scene) -> None:
    """Through the same proxy the real delta is accepted, in any order: every refusal above came
    from the forgery, not from the harness. (Runs last: it moves B forward.)"""
    def reverse(doc: dict, _exchange) -> None:
        for vault in doc["vaults"]:
            vault["items"].reverse()
        doc["vaults"].reverse()

    hostile.rewrite("POST", "/v1/sync", reverse)
    scene.b.ok("sync")
    mine = {(e["name"], e["revision"]) for e in listing(scene.b)}
    assert mine == {(e["name"], e["revision"]) for e in listing(scene.a)} == {
        ("Alpha", 2), ("Delta", 1), ("Gamma", 2)}

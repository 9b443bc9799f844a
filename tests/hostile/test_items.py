"""Forged sync answers: items swapped, edited, replayed, reordered, dropped, duplicated, injected.

One scenario serves the whole module. Device A wrote items; device B synced once, then A wrote
more, so the server holds a delta for B. Each attack below rewrites that delta in the ``/v1/sync``
answer while B runs ``bv sync``, and the test checks the three things a hostile-server test checks:

1. B refuses: exit status 5 and one ``bv: error:`` line naming the failed check;
2. B stores nothing from the answer: its stored state is exactly what it was (so the next attack
   finds the same delta again);
3. B sends nothing after the forged answer: no write, no key, only the one ``/v1/sync``.

All attacks are played by one process calling the `bv` entry point once each (``replay.py``); two
spot checks run as separate `bv` processes, and the control (the same delta, untampered apart from
its order, is accepted) runs last.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest

from tests.client.bv import Device
from tests.hostile.checks import CacheState, item_ids, listing, refused
from tests.hostile.proxy import HostileProxy
from tests.hostile.replay import play
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
    known_version: int     # B's manifest version and change counter for the personal vault
    known_seq: int
    second_as_known: dict  # the second vault's record as B holds it: version, MAC, counter


@pytest.fixture(scope="module")
def scene(accounts, proxy: HostileProxy) -> Scene:
    a, _, kit = accounts.create("items")
    a.ok("add", "login", "Alpha", "--username", "alice", input="alpha-password\n")
    a.ok("add", "login", "Beta", "--username", "bob", input="beta-password\n")
    a.ok("vault", "create", "Second")
    a.ok("add", "note", "Gamma", "--vault", "Second", input="gamma notes\n")
    proxy.clear_log()
    b = accounts.second_device(kit, "items-b")
    b.ok("sync")
    seen = [x.reply.json for x in proxy.requests("POST", "/v1/sync")]  # what B received, kept by the server
    ids = item_ids(a)
    a.ok("edit", "Alpha", "--tag", "edited")
    a.ok("rm", "Beta", "--purge", "--yes")
    a.ok("add", "login", "Delta", "--username", "dan", input="delta-password\n")
    a.ok("edit", "Gamma", "--tag", "edited")
    by_name = {e["name"]: e for e in listing(a)}
    personal, second = by_name["Alpha"]["vault_id"], by_name["Gamma"]["vault_id"]
    old = {i["item_id"]: i for doc in seen for v in doc["vaults"] for i in v["items"]}
    rows = {row[0]: row for row in CacheState.of(b).vaults}
    known, other = rows[personal], rows[second]
    return Scene(a, b, personal, second, ids["Alpha"], ids["Beta"], by_name["Delta"]["item_id"], ids["Gamma"],
                 old[ids["Alpha"]]["blob"], old[ids["Beta"]]["blob"], known[5], known[4],
                 {"seq": other[4], "manifest": {"version": other[5], "generation": other[2], "mac": b64e(other[6])}})


def _vault(doc: dict, vault_id: str) -> dict:
    return next(v for v in doc["vaults"] if v["vault_id"] == vault_id)


def _entry(doc: dict, vault_id: str, item_id: str) -> dict:
    return next(i for i in _vault(doc, vault_id)["items"] if i["item_id"] == item_id)


@dataclass
class Attack:
    forge: Callable[[Scene, dict], Any]
    says: str  # the refusal names the check; formatted with the scene's fields


ATTACKS: dict[str, Attack] = {}


def attack(says: str) -> Callable:
    def register(fn: Callable[[Scene, dict], Any]) -> Callable:
        ATTACKS[fn.__name__] = Attack(fn, says)
        return fn
    return register


# -- swapped blobs ---------------------------------------------------------------------------------

@attack("item {alpha} revision 2 does not decrypt")
def blobs_swapped_between_items(s: Scene, doc: dict) -> None:
    x, y = _entry(doc, s.personal, s.alpha), _entry(doc, s.personal, s.delta)
    x["blob"], y["blob"] = y["blob"], x["blob"]


@attack("item {alpha} revision 2 does not decrypt")
def blob_moved_from_another_vault(s: Scene, doc: dict) -> None:
    _entry(doc, s.personal, s.alpha)["blob"] = _entry(doc, s.second, s.gamma)["blob"]


@attack("item {alpha} revision 2 does not decrypt")
def blob_of_an_older_revision_presented_as_the_newer(s: Scene, doc: dict) -> None:
    _entry(doc, s.personal, s.alpha)["blob"] = s.alpha_rev1_blob  # genuine, but of revision 1


# -- edited metadata -------------------------------------------------------------------------------

@attack("item {alpha} revision 7 does not decrypt")
def item_revision_edited(s: Scene, doc: dict) -> None:
    _entry(doc, s.personal, s.alpha)["revision"] = 7


@attack("revision 1 does not decrypt")
def item_id_edited(s: Scene, doc: dict) -> None:
    _entry(doc, s.personal, s.delta)["item_id"] = str(uuid4())


@attack("does not decrypt")
def item_ids_of_two_entries_exchanged(s: Scene, doc: dict) -> None:
    """Reordering which blob belongs to which id and revision (a cut-and-paste of whole entries)."""
    x, y = _entry(doc, s.personal, s.alpha), _entry(doc, s.personal, s.delta)
    x["item_id"], y["item_id"] = y["item_id"], x["item_id"]
    x["revision"], y["revision"] = y["revision"], x["revision"]


@attack("the manifest does not match the items")
def manifest_version_edited(s: Scene, doc: dict) -> None:
    _vault(doc, s.personal)["manifest"]["version"] += 1


@attack("the manifest is for another key generation")
def manifest_generation_edited(s: Scene, doc: dict) -> None:
    _vault(doc, s.personal)["manifest"]["generation"] = 2


@attack("the key of vault {personal} does not open")
def key_generation_raised_with_the_same_key(s: Scene, doc: dict) -> None:
    """The wrapped vault key is bound to its generation: it does not open as generation 2."""
    vault = _vault(doc, s.personal)
    vault["key_generation"] = vault["manifest"]["generation"] = 2


@attack("the key of vault {personal} does not open")
def vault_records_exchanged(s: Scene, doc: dict) -> None:
    """The second vault's record (key, manifest, items) presented under the personal vault's id."""
    mine, other = _vault(doc, s.personal), _vault(doc, s.second)
    mine.update({k: v for k, v in other.items() if k != "vault_id"})


@attack("the manifest does not match the items")
def manifest_mac_of_the_other_vault(s: Scene, doc: dict) -> None:
    _vault(doc, s.personal)["manifest"]["mac"] = _vault(doc, s.second)["manifest"]["mac"]


# -- replayed, dropped, duplicated, injected ---------------------------------------------------------

@attack("the manifest does not match the items")
def item_replayed_at_its_old_revision(s: Scene, doc: dict) -> None:
    """Alpha's genuine revision-1 entry served instead of revision 2. B holds revision 1 already,
    so for Alpha it is "no change"; the manifest then misses revision 2. (The rollback of an item B
    has seen at revision 2 is in test_rollback.py.)"""
    _entry(doc, s.personal, s.alpha).update(revision=1, blob=s.alpha_rev1_blob)


@attack("the manifest does not match the items")
def new_item_dropped(s: Scene, doc: dict) -> None:
    vault = _vault(doc, s.personal)
    vault["items"] = [i for i in vault["items"] if i["item_id"] != s.delta]


@attack("the manifest does not match the items")
def deletion_withheld_to_keep_a_purged_item_alive(s: Scene, doc: dict) -> None:
    vault = _vault(doc, s.personal)
    vault["items"] = [i for i in vault["items"] if i["item_id"] != s.beta]


@attack("item {beta} revision 2 does not decrypt")
def purged_item_revived_with_its_last_blob(s: Scene, doc: dict) -> None:
    _entry(doc, s.personal, s.beta)["blob"] = s.beta_rev1_blob  # the tombstone replaced by the old blob


@attack("item {alpha} was sent twice")
def item_duplicated(s: Scene, doc: dict) -> None:
    _vault(doc, s.personal)["items"].append(dict(_entry(doc, s.personal, s.alpha)))  # the same entry twice


@attack("revision 1 does not decrypt")
def item_injected_with_a_copied_blob(s: Scene, doc: dict) -> None:
    _vault(doc, s.personal)["items"].append(dict(_entry(doc, s.personal, s.alpha), item_id=str(uuid4()), revision=1))


@attack("the manifest does not match the items")
def tombstone_injected_for_an_item_that_never_existed(s: Scene, doc: dict) -> None:
    """No blob to decrypt: only the manifest can tell this entry was never written."""
    vault = _vault(doc, s.personal)
    seq = max(i["seq"] for i in vault["items"])
    vault["items"].append({"item_id": str(uuid4()), "revision": 1, "blob": None, "seq": seq})


@attack("vault {second}: the vault was sent twice")
def vault_record_duplicated_with_its_older_state(s: Scene, doc: dict) -> None:
    """The second vault listed twice: its new state, then the state B already holds (which alone
    would pass: it is what B verified last). Applied in that order, it would lower B's pins."""
    doc["vaults"].append(dict(_vault(doc, s.second), items=[], **s.second_as_known))


@attack("vault {second}: the server left the vault out of its answer")
def vault_left_out_of_the_answer(s: Scene, doc: dict) -> None:
    doc["vaults"] = [v for v in doc["vaults"] if v["vault_id"] != s.second]


# -- whole-vault rollback and forks, as answers ------------------------------------------------------

@attack("the vault was rolled back (manifest {older} < {known_version})")
def manifest_older_than_this_device_has_seen(s: Scene, doc: dict) -> None:
    vault = _vault(doc, s.personal)
    vault["manifest"]["version"], vault["items"] = s.known_version - 1, []


@attack("the manifest changed without a new version")
def same_manifest_version_with_another_mac_is_a_fork(s: Scene, doc: dict) -> None:
    vault = _vault(doc, s.personal)
    vault["manifest"]["version"], vault["items"] = s.known_version, []


@attack("the change counter went backwards")
def change_counter_going_backwards(s: Scene, doc: dict) -> None:
    _vault(doc, s.personal)["seq"] = s.known_seq - 1


# -- format versions ---------------------------------------------------------------------------------

def _with_header(header: bytes) -> Callable[[Scene, dict], None]:
    def forge(s: Scene, doc: dict) -> None:
        entry = _entry(doc, s.personal, s.alpha)
        entry["blob"] = b64e(header + unb64(entry["blob"])[2:])
    return forge


for _name, _header in (("version_0", b"\x00\x04"), ("version_2", b"\x02\x04"), ("version_255", b"\xff\x04"),
                       ("kind_vault_key", b"\x01\x03"), ("kind_export", b"\x01\x07")):
    ATTACKS[f"ciphertext_with_an_unknown_or_older_format_{_name}"] = Attack(
        _with_header(_header), "item {alpha} revision 2 does not decrypt")


@attack("the key of vault {personal} does not open")
def wrapped_vault_key_in_an_older_format(s: Scene, doc: dict) -> None:
    vault = _vault(doc, s.personal)
    vault["wrapped_vault_key"] = b64e(b"\x00" + unb64(vault["wrapped_vault_key"])[1:])


@attack("signed by an account this device has not pinned")
def key_replaced_by_a_grant_from_nobody_this_device_knows(s: Scene, doc: dict) -> None:
    """No wrapped key, a "rotation" grant instead, from an account the server made up."""
    vault = _vault(doc, s.personal)
    vault["wrapped_vault_key"] = None
    vault["pending_grant"] = {"grant": b64e(b"\x01\x06" + bytes(1232)), "granted_by": str(uuid4()), "role": "owner"}


# -- the tests -------------------------------------------------------------------------------------

def _forged(scene: Scene, attack_: Attack) -> Callable[[dict], dict]:
    def forge(doc: dict) -> dict:
        forged = copy.deepcopy(doc)
        result = attack_.forge(scene, forged)
        return forged if result is None else result
    return forge


@pytest.fixture(scope="module")
def played(scene: Scene, proxy: HostileProxy):
    proxy.reset()
    before, runs = play(proxy, scene.b, "POST", "/v1/sync", [_forged(scene, a) for a in ATTACKS.values()], ["sync"],
                        first="POST /v1/sync")
    return before, dict(zip(ATTACKS, runs))


@pytest.mark.parametrize("name", list(ATTACKS))
def test_forged_sync_answer_is_refused(scene: Scene, played, name: str) -> None:
    before, runs = played
    run = runs[name]
    says = ATTACKS[name].says.format(**vars(scene), older=scene.known_version - 1)
    refused(run.result, says=says)
    assert run.state == before        # nothing stored
    assert run.sent == ["POST /v1/sync"]  # nothing sent after the forged answer


@pytest.mark.parametrize("name", ["blobs_swapped_between_items", "new_item_dropped"])
def test_spot_check_in_a_separate_bv_process(hostile: HostileProxy, scene: Scene, played, name: str) -> None:
    """The same refusals from a `bv` process of its own, with the cache compared row by row."""
    before = CacheState.of(scene.b)
    hostile.rewrite("POST", "/v1/sync", lambda doc, _x: _forged(scene, ATTACKS[name])(doc))
    refused(scene.b.run("sync"), says=ATTACKS[name].says.format(**vars(scene)))
    assert CacheState.of(scene.b) == before
    assert hostile.paths() == ["POST /v1/sync"]


def test_control_the_same_delta_untampered_is_accepted(hostile: HostileProxy, scene: Scene, played) -> None:
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

"""Null, empty, truncated, oversized and mistyped values in every field the client reads.

For each answer the client parses at login (``/v1/prelogin``, ``/v1/login``, ``/v1/vaults``) and at
sync (``/v1/sync``), the proxy replaces one field (or drops it) per run. Every run must end in a
clear refusal: a non-zero status, one ``bv: error:`` line, no "internal error", no Python exception
text; and at the end the device has stored nothing (no account set up, cache row-for-row the same).

Hundreds of runs would take minutes as separate processes, so each group of cases is played by
one process that calls the `bv` entry point once per case (``replay.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.client.bv import Device
from tests.hostile.checks import clean, listing
from tests.hostile.proxy import HostileProxy
from tests.hostile.replay import Run, play
DROP = object()  # the field is removed
BIG = "A" * (256 * 1024)


def _truncated(v: Any) -> Any:
    return v[: len(v) // 2 // 4 * 4] if isinstance(v, str) else "AAAA"


BYTES = {"null": None, "empty": "", "truncated": _truncated, "oversized": lambda v: (v or "") + BIG,
         "number": 12345, "not-base64": "not base64!", "missing": DROP}
INT = {"null": None, "string": "1", "negative": -1, "huge": 2**64, "bool": True, "missing": DROP}
ID = {"null": None, "empty": "", "not-a-uuid": "vault-1", "number": 7, "truncated": _truncated, "missing": DROP}
OBJECT = {"null": None, "string": "x", "list": [], "empty": {}, "missing": DROP}
LIST = {"null": None, "string": "x", "object": {}, "missing": DROP}
ROLE = {"null": None, "unknown": "admin", "number": 1, "empty": "", "missing": DROP}


@dataclass(frozen=True)
class Case:
    path: tuple
    name: str
    value: Any

    @property
    def id(self) -> str:
        return ".".join(str(p) for p in self.path) + ":" + self.name


def _cases(fields: dict[tuple, dict[str, Any]]) -> list[Case]:
    return [Case(path, name, value) for path, kinds in fields.items() for name, value in kinds.items()]


KDF = {**OBJECT, "extra-field": lambda v: {**v, "rounds": 1}, "as-text": "65536,3,4"}
PRELOGIN = _cases({("salt",): BYTES, ("kdf",): KDF, ("kdf", "memory_kib"): INT, ("kdf", "iterations"): INT,
                   ("kdf", "parallelism"): INT})
LOGIN = _cases({
    ("session",): OBJECT, ("account",): OBJECT, ("account", "account_id"): ID,
    ("account", "wrapped_account_key"): BYTES, ("account", "wrapped_private_keys"): BYTES,
    ("account", "bundle"): OBJECT, ("account", "bundle", "identity_public"): BYTES,
    ("account", "bundle", "sharing_public"): BYTES, ("account", "bundle", "signature"): BYTES,
})
VAULTS = _cases({("vaults",): LIST, ("vaults", 0): {k: v for k, v in OBJECT.items() if k != "missing"},
                 ("vaults", 0, "vault_id"): ID, ("vaults", 0, "role"): ROLE})
# "V" is the vault record that carries the pending delta, "I" its first item.
SYNC = _cases({
    ("vaults",): LIST, ("removed_vaults",): {"null": None, "string": "x", "object": {}},
    ("V",): OBJECT, ("V", "vault_id"): ID, ("V", "role"): ROLE, ("V", "key_generation"): INT,
    ("V", "seq"): INT, ("V", "wrapped_vault_key"): BYTES, ("V", "manifest"): OBJECT,
    ("V", "manifest", "version"): INT, ("V", "manifest", "generation"): INT, ("V", "manifest", "mac"): BYTES,
    ("V", "items"): LIST, ("I",): OBJECT, ("I", "item_id"): ID, ("I", "revision"): INT, ("I", "seq"): INT,
    ("I", "blob"): {k: v for k, v in BYTES.items() if k not in ("null",)},  # null is a tombstone: test_items
})


def _resolve(doc: Any, step: Any) -> Any:
    if step == "V":
        return next(v for v in doc["vaults"] if v["items"])
    if step == "I":
        return _resolve(doc, "V")["items"][0]
    return doc[step]


def _apply(doc: Any, case: Case) -> None:
    *parents, last = case.path
    if last in ("V", "I"):  # replace the record itself, in its list
        holder = _resolve(doc, "V")["items"] if last == "I" else doc["vaults"]
        index = holder.index(_resolve(doc, last))
        target, last = holder, index
    else:
        target = doc
        for step in parents:
            target = _resolve(target, step) if step in ("V", "I") else target[step]
    value = case.value
    if value is DROP:
        del target[last]
    else:
        target[last] = value(target[last]) if callable(value) else value


def _forge(case: Case):
    def forge(doc: Any) -> None:
        _apply(doc, case)
    return forge


# -- login: prelogin, login and the vault list --------------------------------------------------------

@pytest.fixture(scope="module")
def kit(accounts) -> Path:
    _, _, kit = accounts.create("malformed")
    return kit


LOGIN_GROUPS = {"/v1/prelogin": ("POST", PRELOGIN, ["POST /v1/prelogin"]),
                "/v1/login": ("POST", LOGIN, ["POST /v1/prelogin", "POST /v1/login"]),
                "/v1/vaults": ("GET", VAULTS, ["POST /v1/prelogin", "POST /v1/login", "GET /v1/vaults"])}


@pytest.fixture(scope="module")
def login_runs(proxy: HostileProxy, accounts, kit: Path) -> dict[str, tuple[Case, Run, str, list[str]]]:
    """Every login-time case, played on a fresh device per answer: case id -> (case, run, the
    device's state before, what the run may send)."""
    runs = {}
    for path, (method, cases, allowed) in LOGIN_GROUPS.items():
        proxy.reset()
        device = accounts.device("malformed-login")
        before, played = play(proxy, device, method, path, [_forge(c) for c in cases], ["login", "--kit", str(kit)],
                              first="POST /v1/prelogin")
        runs.update({c.id: (c, run, before, allowed) for c, run in zip(cases, played)})
    return runs


@pytest.mark.parametrize("case", PRELOGIN + LOGIN + VAULTS, ids=lambda c: c.id)
def test_malformed_login_answer_is_a_clear_error(login_runs: dict, case: Case) -> None:
    _, run, before, allowed = login_runs[case.id]
    result = run.result
    assert result.code != 0, result
    clean(result)
    if case.path[0] in ("salt", "kdf"):
        assert result.code in (1, 5), result       # refused before deriving anything
    elif case.path[0] == "account" and len(case.path) > 1:
        assert result.code == 5, result            # keys that do not verify: an integrity failure
    assert run.state == before                     # no account set up, no session kept
    assert run.sent == allowed                     # no login after a bad prelogin, nothing after a bad login


# -- sync -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sync_runs(proxy: HostileProxy, accounts, kit: Path) -> tuple[Device, str, dict[str, Run]]:
    a = accounts.device("malformed-a")
    a.ok("login", "--kit", str(kit))
    a.ok("add", "login", "First", "--username", "one", input="first-password\n")
    b = accounts.device("malformed-b")
    b.ok("login", "--kit", str(kit))
    b.ok("sync")
    a.ok("add", "login", "Second", "--username", "two", input="second-password\n")  # the delta B has not seen
    proxy.reset()
    before, runs = play(proxy, b, "POST", "/v1/sync", [_forge(c) for c in SYNC], ["sync"], first="POST /v1/sync")
    return b, before, {c.id: run for c, run in zip(SYNC, runs)}


@pytest.mark.parametrize("case", SYNC, ids=lambda c: c.id)
def test_malformed_sync_answer_is_refused(sync_runs, case: Case) -> None:
    _, before, runs = sync_runs
    run = runs[case.id]
    assert run.result.code == 5, run.result
    clean(run.result)
    assert run.state == before
    assert run.sent == ["POST /v1/sync"]


def test_control_the_untampered_sync_is_accepted(sync_runs) -> None:
    b, _, _ = sync_runs
    b.ok("sync")
    assert {e["name"] for e in listing(b)} == {"First", "Second"}

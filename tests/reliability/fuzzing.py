"""API fuzzing with schemathesis against a real ``bv-server``, driven operation by operation.

The schema comes from the running server (``/v1/openapi.json``). For every operation the fuzzer
draws cases in schemathesis' positive mode (schema-valid) and negative mode (schema-invalid).
Random data rarely passes the server's stricter checks (canonical base64url, envelope headers),
so positive cases are also steered deeper: path ids are swapped for ids that exist (the fuzz
account's vault, session, another account), and the body may be a valid body (``valid_body``)
with one field replaced by the generated value. Most cases carry the fuzz account's bearer
token; when a case ends the session or deletes the vault (logout, password change...),
``FuzzAccount.refresh`` makes a new account so the next cases are authenticated again.

Every response must pass schemathesis' checks (no 5xx, status and body as the schema documents)
except ``positive_data_acceptance``: the schema cannot express every rule the server enforces
(an envelope's header bytes), so schema-valid requests may be refused with a 400. Every error
must also be the JSON error shape ``{"error": {"code", "message"}}`` with a snake_case code.
"""

from __future__ import annotations

import collections
import json
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.helpers import fakes

DEFAULT_EXAMPLES = 10  # per operation and mode: ~34 operations x 2 modes x 10 = ~680 cases
EXAMPLES_ENV = "BV_FUZZ_EXAMPLES"
STEERED_CASES = 2  # per operation, in positive mode: see _fuzz_operation
SEED_ENV = "BV_FUZZ_SEED"
CODE = re.compile(r"^[a-z][a-z0-9_]*$")

# Throttles off: the fuzzer registers and fails logins far more than a person would.
FUZZ_SERVER_ENV = {
    "BV_REGISTER_FREE_PER_ADDRESS": "100000",
    "BV_REGISTER_LOCKOUT_PER_ADDRESS": "1000000",
    "BV_ADDRESS_FREE_FAILURES": "1000",
    "BV_ADDRESS_LOCKOUT_FAILURES": "100000",
    "BV_LOGIN_FREE_FAILURES": "1000",
    "BV_LOGIN_LOCKOUT_FAILURES": "100000",
    "BV_BACKOFF_BASE_SECONDS": "0",
    "BV_MAX_BODY_BYTES": str(1024 * 1024),
}

# Operations after which the fuzz account may have lost its session or its vault.
DISRUPTIVE = {"POST /v1/logout", "DELETE /v1/sessions/{session_id}", "POST /v1/account/password",
              "POST /v1/recovery/complete", "POST /v1/reset/complete", "DELETE /v1/vaults/{vault_id}",
              "POST /v1/vaults/{vault_id}/leave", "POST /v1/vaults/{vault_id}/rotate"}


def examples_per_operation() -> int:
    return max(1, int(os.environ.get(EXAMPLES_ENV, DEFAULT_EXAMPLES)))


@dataclass
class FuzzAccount:
    """A registered account the fuzzer acts as, and a second one to point at."""

    api_url: str
    email: str = ""
    auth_key: bytes = b""
    token: str = ""
    session_id: str = ""
    account_id: str = ""
    vault_id: str = ""
    other_id: str = ""
    other_email: str = ""
    accounts_made: int = 0

    def __repr__(self) -> str:
        return f"FuzzAccount(account_id={self.account_id!r}, vault_id={self.vault_id!r})"

    def setup(self) -> FuzzAccount:
        other = self._register()
        self.other_id, self.other_email = other["account_id"], other["email"]
        self._adopt(self._register())
        return self

    def _register(self) -> dict[str, Any]:
        body, auth_key = fakes.registration()
        resp = httpx.post(self.api_url + "/accounts", json=body, timeout=30)
        assert resp.status_code == 201, resp.text
        self.accounts_made += 1
        doc = resp.json()
        return {"email": body["email"], "auth_key": auth_key, "account_id": doc["account_id"],
                "token": doc["session"]["token"], "session_id": doc["session"]["session_id"],
                "vault_id": body["vault"]["vault_id"]}

    def _adopt(self, acct: dict[str, Any]) -> None:
        self.email, self.auth_key, self.token = acct["email"], acct["auth_key"], acct["token"]
        self.session_id, self.account_id, self.vault_id = acct["session_id"], acct["account_id"], acct["vault_id"]

    def refresh(self) -> None:
        """A new account when the session or the personal vault is gone."""
        resp = httpx.get(self.api_url + "/vaults", headers=self.headers(), timeout=30)
        if resp.status_code == 200 and any(v["vault_id"] == self.vault_id for v in resp.json()["vaults"]):
            return
        self._adopt(self._register())

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def manifest_version(self) -> int:
        resp = httpx.post(self.api_url + "/sync", json={"cursors": {}}, headers=self.headers(), timeout=30)
        if resp.status_code != 200:
            return 0
        versions = [v["manifest"]["version"] for v in resp.json()["vaults"] if v["vault_id"] == self.vault_id]
        return versions[0] if versions else 0


def valid_body(label: str, acct: FuzzAccount) -> Any:
    """A body the server accepts for ``label`` (or a near miss), or None when there is none here."""
    keys, _ = fakes.registration()
    password = {k: keys[k] for k in ("salt", "kdf", "auth_key", "wrapped_account_key")}
    verifier = fakes.b64(secrets.token_bytes(32))
    bodies: dict[str, Callable[[], Any]] = {
        "POST /v1/prelogin": lambda: {"email": acct.email},
        "POST /v1/accounts": lambda: keys,
        "POST /v1/login": lambda: {"email": acct.email, "auth_key": fakes.b64(acct.auth_key),
                                   "device_name": "fuzz"},
        "POST /v1/account/password": lambda: {"old_auth_key": fakes.b64(acct.auth_key), **password},
        "PUT /v1/account/recovery": lambda: {"verifier": verifier,
                                             "wrapped_account_key": fakes.b64(fakes.envelope(0x05, 60))},
        "POST /v1/recovery/account-id": lambda: {"email": acct.email},
        "POST /v1/recovery/fetch": lambda: {"email": acct.email, "verifier": verifier},
        "POST /v1/reset/preview": lambda: {"email": acct.email, "token": fakes.b64(secrets.token_bytes(32))},
        "POST /v1/vaults": lambda: fakes.vault_body(),
        "POST /v1/vaults/{vault_id}/changes": lambda: fakes.batch(
            acct.manifest_version(), [fakes.item_change() for _ in range(secrets.randbelow(3) + 1)]),
        "POST /v1/sync": lambda: {"cursors": {acct.vault_id: secrets.randbelow(4)}},
        "POST /v1/vaults/{vault_id}/invitations": lambda: {
            "invitee_id": acct.other_id, "role": "editor", "key_generation": 1,
            "grant": fakes.b64(fakes.envelope(0x06, 1232))},
        "POST /v1/invitations/{vault_id}/accept": lambda: {
            "key_generation": 1, "wrapped_vault_key": fakes.b64(fakes.envelope(0x03, 60))},
        "POST /v1/vaults/{vault_id}/key": lambda: {
            "key_generation": 1, "wrapped_vault_key": fakes.b64(fakes.envelope(0x03, 60))},
        "PUT /v1/vaults/{vault_id}/attachments/{attachment_id}": lambda: fakes.envelope(0x09, 200),
    }
    make = bodies.get(label)
    return None if make is None else make()


def known_ids(acct: FuzzAccount) -> dict[str, list[str]]:
    """Path parameter values that exist on the server (or, for attachments, may)."""
    return {
        "vault_id": [acct.vault_id],
        "session_id": [acct.session_id],
        "account_id": [acct.other_id, acct.account_id],
        "attachment_id": [fakes.new_id()],
    }


def error_shape_problem(response: Any) -> str | None:
    """Why an error response is not ``{"error": {"code", "message"}}`` (None when it is)."""
    if response.status_code < 400:
        return None
    ctype = response.headers.get("content-type", "")
    if isinstance(ctype, list):
        ctype = ctype[0] if ctype else ""
    if not ctype.startswith("application/json"):
        return f"error with content-type {ctype!r}"
    try:
        doc = json.loads(response.content)
    except ValueError:
        return "error body is not JSON"
    err = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(err, dict):
        return "error body has no 'error' object"
    if not isinstance(err.get("code"), str) or not CODE.match(err["code"]):
        return f"error code {err.get('code')!r} is not a snake_case string"
    if not isinstance(err.get("message"), str) or not err["message"]:
        return "error message is missing or empty"
    return None


@dataclass
class FuzzReport:
    cases: int = 0
    statuses: collections.Counter = field(default_factory=collections.Counter)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)

    def fail(self, label: str, title: str, detail: str) -> None:
        self.failures.setdefault((label, title), detail[:2000])

    def summary(self) -> str:
        lines = [f"{len(self.failures)} distinct failure(s) in {self.cases} cases:"]
        for (label, title), detail in sorted(self.failures.items()):
            lines.append(f"--- {label}: {title}\n{detail}")
        return "\n".join(lines)

    def reached(self, label: str, lo: int, hi: int) -> bool:
        return any(lo <= status < hi for (lab, status) in self.statuses if lab == label)


EXCLUDED_CHECKS = [schemathesis.checks.positive_data_acceptance]


def fuzz(server_url: str, acct: FuzzAccount, examples: int, seed: int) -> FuzzReport:
    """Fuzz every operation of the server's schema; failures are collected, not raised."""
    schema = schemathesis.openapi.from_url(server_url + "/v1/openapi.json")
    report = FuzzReport()
    http = requests.Session()
    ids = known_ids(acct)
    for result in schema.get_all_operations():
        op = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(op, mode, server_url, acct, ids, http, report, examples, seed)
    return report


def _fuzz_operation(op: Any, mode: GenerationMode, server_url: str, acct: FuzzAccount,
                    ids: dict[str, list[str]], http: requests.Session, report: FuzzReport,
                    examples: int, seed: int) -> None:
    label = op.label
    positive = mode is GenerationMode.POSITIVE
    made = 0

    @hypothesis.seed(seed)
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(case=op.as_strategy(generation_mode=mode), data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        nonlocal made
        made += 1
        # The first positive cases of each operation are steered all the way (known ids, a valid
        # body, the token): Hypothesis draws small integers more often than large ones, so the
        # random steering below alone left some runs with no case past validation at all.
        steer = positive and made <= STEERED_CASES
        if positive:
            for name in list(case.path_parameters or {}):
                if name in ids and (steer or data.draw(st.integers(0, 3)) > 0):
                    case.path_parameters[name] = data.draw(st.sampled_from(ids[name]))
            body = valid_body(label, acct) if steer or data.draw(st.integers(0, 3)) > 0 else None
            if body is not None:
                generated = case.body if isinstance(case.body, dict) else {}
                if not steer and isinstance(body, dict) and generated and data.draw(st.integers(0, 2)) == 0:
                    key = data.draw(st.sampled_from(sorted(generated)))
                    body[key] = generated[key]
                case.body = body
        authenticated = steer or data.draw(st.integers(0, 3)) > 0
        headers = acct.headers() if authenticated else None
        report.cases += 1
        try:
            response = case.call(base_url=server_url, session=http, headers=headers, timeout=60)
        except requests.RequestException as exc:
            report.fail(label, "transport error", f"{type(exc).__name__}: {exc}")
            return
        report.statuses[(label, response.status_code)] += 1
        problem = error_shape_problem(response)
        if problem:
            report.fail(label, "error shape", f"{problem}: HTTP {response.status_code} {response.text[:300]}")
        try:
            case.validate_response(response, excluded_checks=EXCLUDED_CHECKS, headers=headers)
        except BaseException as exc:  # noqa: BLE001 - schemathesis raises a (Base)ExceptionGroup
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            first = str(exc).strip().splitlines()
            report.fail(label, first[0] if first else type(exc).__name__, str(exc))
        if label in DISRUPTIVE and response.status_code < 300:
            acct.refresh()
            ids.update(known_ids(acct))

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        pass  # e.g. no schema-invalid request exists for an operation without parameters

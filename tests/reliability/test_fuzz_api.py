"""Schemathesis against a real bv-server on SQLite and on PostgreSQL: no 5xx, every error in the
JSON error shape, every response as the schema documents it.

Budget: ``BV_FUZZ_EXAMPLES`` cases per operation and generation mode (default
``fuzzing.DEFAULT_EXAMPLES``; about 700 cases per back end, under a minute each). Raise it
for a deeper local run, e.g. ``BV_FUZZ_EXAMPLES=200``. ``BV_FUZZ_SEED`` replays a run; a failing
run prints its seed.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import httpx
import pytest

from tests.helpers.server_proc import ServerProcess
from tests.reliability.fuzzing import FUZZ_SERVER_ENV, FuzzAccount, examples_per_operation, fuzz, SEED_ENV

DOCS_OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


@pytest.fixture(params=["sqlite", "postgres"])
def fuzz_server(request: pytest.FixtureRequest, tmp_path: Path):
    database_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    with ServerProcess(tmp_path / "server", database_url=database_url, env=FUZZ_SERVER_ENV) as server:
        yield server


def test_fuzz_the_api_from_its_own_schema(fuzz_server: ServerProcess) -> None:
    seed = int(os.environ.get(SEED_ENV) or secrets.randbits(64))
    acct = FuzzAccount(fuzz_server.api_url).setup()
    examples = examples_per_operation()
    report = fuzz(fuzz_server.url, acct, examples, seed)

    assert not report.failures, f"seed {seed} ({SEED_ENV}={seed} to replay)\n" + report.summary()
    log = fuzz_server.log_text()
    assert "unexpected" not in log and "Traceback" not in log, log[-4000:]
    # The fuzzer got past validation, not only 400s: these answered 2xx at least once.
    for label in ("POST /v1/accounts", "POST /v1/login", "POST /v1/vaults", "POST /v1/sync", "GET /v1/vaults"):
        assert report.reached(label, 200, 300), (label, sorted(k for k in report.statuses if k[0] == label))
    # A valid batch write needs the vault's current manifest version, which random cases rarely
    # hit: past validation means a domain answer (2xx, or 403/404/409 from the vault's state).
    changes = "POST /v1/vaults/{vault_id}/changes"
    assert report.reached(changes, 200, 300) or report.reached(changes, 403, 410), (
        changes, sorted(k for k in report.statuses if k[0] == changes))
    operations = {label for label, _ in report.statuses}
    assert len(operations) >= 30, sorted(operations)
    print(f"\nfuzz {fuzz_server.backend}: {report.cases} cases, {len(operations)} operations, "
          f"{acct.accounts_made} accounts, seed {seed}")


def test_served_schema_is_the_committed_one(bv_server: ServerProcess) -> None:
    served = httpx.get(bv_server.api_url + "/openapi.json", timeout=30).json()
    assert served == json.loads(DOCS_OPENAPI.read_text(encoding="utf-8"))

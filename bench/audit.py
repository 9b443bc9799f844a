"""How long `bv-server audit` takes on a server holding many items.

    .venv/bin/python bench/audit.py [--items 10000] [--accounts 10] [--runs 3] [--postgres]

Starts a real `bv-server` (SQLite in a temporary data directory, or a temporary PostgreSQL
database), registers accounts and writes items sealed by the client's crypto core through the
HTTP API in batches of 1000 (item documents of 200 to 3000 bytes, so the blobs fall into several
padding buckets), then runs `bv-server audit --json` as a subprocess, as an operator would, and
prints its wall time (process start included), the CPU time of that process (the better figure
on a busy machine) and the audit's own figure. Prints figures only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.helpers.pg import temporary_pg_database  # noqa: E402
from tests.helpers.server_proc import ServerProcess, server_command  # noqa: E402
from vault_client import crypto  # noqa: E402
from vault_client.account import bundle_to_wire  # noqa: E402
from vault_client.encoding import b64e  # noqa: E402

BATCH = 1000
SERVER_ENV = {"BV_REGISTER_FREE_PER_ADDRESS": "100000", "BV_REGISTER_LOCKOUT_PER_ADDRESS": "1000000"}


def register(client: httpx.Client, email: str) -> tuple[str, uuid.UUID, crypto.SecretBytes]:
    """A new account with its personal vault; (session token, vault id, vault key)."""
    account_id, vault_id = uuid.uuid4(), uuid.uuid4()
    salt = crypto.new_salt()
    keys = crypto.derive_account_keys("bench password", crypto.SecretKey.generate(), salt, crypto.KDF_FLOOR)
    account_key, vault_key = crypto.new_symmetric_key(), crypto.new_symmetric_key()
    pairs = crypto.KeyPairs.generate()
    body = {
        "email": email, "account_id": str(account_id), "salt": b64e(salt), "kdf": crypto.KDF_FLOOR.to_dict(),
        "auth_key": b64e(keys.auth_key.reveal()),
        "wrapped_account_key": b64e(crypto.wrap_account_key(keys.kek, account_key, account_id)),
        "wrapped_private_keys": b64e(crypto.wrap_private_keys(account_key, pairs, account_id)),
        "bundle": bundle_to_wire(crypto.make_public_bundle(pairs, account_id, email)),
        "vault": {"vault_id": str(vault_id), "key_generation": 1,
                  "wrapped_vault_key": b64e(crypto.wrap_vault_key(account_key, vault_key, vault_id, 1)),
                  "manifest": {"version": 0, "mac": b64e(crypto.manifest_mac(vault_key, vault_id, 0, 1, []))}},
        "device_name": "bench",
    }
    resp = client.post("/accounts", json=body)
    resp.raise_for_status()
    return resp.json()["session"]["token"], vault_id, vault_key


def fill(client: httpx.Client, token: str, vault_id: uuid.UUID, vault_key: crypto.SecretBytes, count: int,
         rng: random.Random) -> None:
    entries: list[tuple[uuid.UUID, int, bytes | None]] = []
    version = 0
    for start in range(0, count, BATCH):
        changes = []
        for _ in range(min(BATCH, count - start)):
            item_id = uuid.uuid4()
            doc = json.dumps({"type": "login", "name": f"site {rng.random()}",
                              "notes": "x" * rng.randint(200, 3000)}).encode()
            blob = crypto.seal_item(vault_key, vault_id, item_id, 1, doc)
            entries.append((item_id, 1, crypto.blob_hash(blob)))
            changes.append({"item_id": str(item_id), "base_revision": 0, "revision": 1, "blob": b64e(blob)})
        mac = crypto.manifest_mac(vault_key, vault_id, version + 1, 1, entries)
        resp = client.post(f"/vaults/{vault_id}/changes", headers={"Authorization": f"Bearer {token}"},
                           json={"base_manifest_version": version, "manifest": {"version": version + 1,
                                                                                "mac": b64e(mac)},
                                 "items": changes})
        resp.raise_for_status()
        version += 1


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_audit(server: ServerProcess) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds of the audit process, its report)."""
    cpu, started = _children_cpu(), time.perf_counter()
    proc = subprocess.run([*server_command(), "audit", "--json", "--data-dir", str(server.data_dir)],
                          env=server.environment(), capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"audit exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return wall, _children_cpu() - cpu, json.loads(proc.stdout)


def bench(server: ServerProcess, args: argparse.Namespace) -> None:
    rng = random.Random(1)
    per_account = args.items // args.accounts
    seeded = time.perf_counter()
    with httpx.Client(base_url=server.api_url, timeout=120) as client:
        for n in range(args.accounts):
            token, vault_id, vault_key = register(client, f"bench{n}@example.org")
            fill(client, token, vault_id, vault_key, per_account, rng)
    print(f"seeded {per_account * args.accounts} items in {args.accounts} accounts "
          f"in {time.perf_counter() - seeded:.1f} s")
    if server.backend == "sqlite":
        size = sum(p.stat().st_size for p in server.data_dir.iterdir() if p.is_file())
        print(f"data directory: {size / 1e6:.1f} MB")
    walls, cpus, own = [], [], []
    for _ in range(args.runs):
        wall, cpu, report = run_audit(server)
        walls.append(wall)
        cpus.append(cpu)
        own.append(report["seconds"])
    seen = report["operator_can_see"]
    print(f"audit ({server.backend}, server running): {seen['items']} items, {seen['item_bytes'] / 1e6:.1f} MB of "
          f"item ciphertext, clean={report['clean']}")
    print(f"  wall time, process start included: median {statistics.median(walls):.2f} s, "
          f"best {min(walls):.2f} s of {args.runs}")
    print(f"  CPU time of the audit process:     median {statistics.median(cpus):.2f} s, best {min(cpus):.2f} s")
    print(f"  the audit's own figure:            median {statistics.median(own):.2f} s, best {min(own):.2f} s")
    print(f"  load average during the runs: {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (BV_TEST_POSTGRES_URL) instead")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bv-audit-bench-") as tmp:
        if args.postgres:
            with temporary_pg_database() as url, ServerProcess(Path(tmp) / "server", database_url=url,
                                                               env=SERVER_ENV) as server:
                bench(server, args)
        else:
            with ServerProcess(Path(tmp) / "server", env=SERVER_ENV) as server:
                bench(server, args)


if __name__ == "__main__":
    main()

"""Server throughput and latency on loopback: no-change sync and item writes.

    .venv/bin/python bench/server_load.py [--backends sqlite,postgres] [--workers 1,2]
        [--requests 6000] [--concurrency 32] [--max-seconds 20]

For each back end and worker count, a fresh ``bv-server serve --workers N`` starts on loopback
(PostgreSQL in a database this script creates and drops). ``--concurrency`` accounts are
registered, each with a vault of 20 items. Then a bounded closed-loop load generator
(bench/_load.py: asyncio streams speaking HTTP/1.1, one keep-alive connection per lane) runs each
scenario until ``--requests`` requests are done or ``--max-seconds`` pass:

- sync: ``POST /v1/sync`` with the caller's current cursor (authenticated; nothing changed);
- write: ``POST /v1/vaults/{id}/changes`` adding one item (a ~1 KB envelope) per request, each
  lane writing to its own account's vault with the right base manifest version;
- writes at 500/s: the same requests, the lanes paced to 500 requests per second in all (open
  loop, like devices writing independently): the latency at the target rate, where the closed
  loop above measures the most the server can do (and its latency is ``--concurrency`` divided
  by its throughput, by construction).

It prints requests per second, p50 and p99 latency, errors, and the ratio to the targets
(sync >= 2,000 req/s; writes >= 500 req/s with p99 < 100 ms on SQLite). The load generator runs
on the same machine as the server and takes CPU from it; the ``--calibrate`` line shows what the
generator alone can push through a trivial endpoint (``GET /v1/health``), its ceiling here.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import uuid
from contextlib import ExitStack
from pathlib import Path

import httpx

from _common import Seeder, ServerProcess, bench_server, machine, pg_database, process_tree_cpu, register
from _load import LoadResult, json_body, run_load

from vault_client.encoding import b64e

SYNC_TARGET = 2000.0
WRITE_TARGET = 500.0
WRITE_P99_TARGET = 0.100
BLOB_BYTES = 1054  # a sealed item of bench/_common.sample_plaintext


class Lanes:
    """Per-lane state: one account, its vault, its cursor and manifest version."""

    def __init__(self, http: httpx.Client, count: int, items: int):
        self.tokens: list[str] = []
        self.vaults: list[str] = []
        self.cursors: list[int] = []
        self.versions: list[int] = []
        for _ in range(count):
            account = register(http)
            seeder = Seeder(http, account)
            seeder.add(items, real=False)
            self.tokens.append(account.token)
            self.vaults.append(account.vault_id)
            self.versions.append(seeder.manifest_version)
            self.cursors.append(1 if items else 0)

    def headers(self, n: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[n]}", "Content-Type": "application/json"}

    def sync_request(self, n: int):
        return "POST", "/sync", json_body({"cursors": {self.vaults[n]: self.cursors[n]}}), self.headers(n)

    def write_request(self, n: int):
        blob = b"\x01\x04" + secrets.token_bytes(BLOB_BYTES - 2)
        base = self.versions[n]
        body = {"base_manifest_version": base, "manifest": {"version": base + 1, "mac": b64e(secrets.token_bytes(32))},
                "items": [{"item_id": str(uuid.uuid4()), "base_revision": 0, "revision": 1, "blob": b64e(blob)}]}
        return "POST", f"/vaults/{self.vaults[n]}/changes", json_body(body), self.headers(n)

    def on_write(self, n: int, status: int, _content: bytes) -> None:
        if status == 200:
            self.versions[n] += 1


def measured(server: ServerProcess, make, on, args: argparse.Namespace,  # noqa: ANN001
             rate: float | None = None) -> LoadResult:
    """Warm up (connections, caches; not counted), then run and note the server's CPU time.
    With ``rate``, the lanes are paced to that many requests per second in total."""
    run_load(server.api_url, make, concurrency=args.concurrency, total=args.concurrency * 4, max_seconds=5,
             on_response=on)
    pid = server._proc.pid  # noqa: SLF001 - the process whose CPU time we read
    before = process_tree_cpu(pid)
    interval = None if rate is None else (lambda _n: args.concurrency / rate)
    result = run_load(server.api_url, make, concurrency=args.concurrency, total=args.requests,
                      max_seconds=args.max_seconds, on_response=on, interval=interval)
    result.server_cpu = process_tree_cpu(pid) - before
    return result


def scenario(server: ServerProcess, lanes: Lanes, kind: str, args: argparse.Namespace) -> LoadResult:
    if kind == "sync":
        return measured(server, lanes.sync_request, None, args)
    if kind == "paced write":
        return measured(server, lanes.write_request, lanes.on_write, args, rate=WRITE_TARGET)
    return measured(server, lanes.write_request, lanes.on_write, args)


def calibrate(server: ServerProcess, args: argparse.Namespace) -> LoadResult:
    def health(_n: int):
        return "GET", "/health", b"", {}
    return measured(server, health, None, args)


def line(label: str, r: LoadResult, target: float | None, p99_target: float | None = None) -> str:
    text = (f"{label:34} {r.completed:>6} in {r.seconds:4.1f}s {r.rate:>6.0f} req/s  "
            f"p50 {r.p(50) * 1000:5.1f} ms  p99 {r.p(99) * 1000:6.1f} ms  "
            f"server CPU {r.server_cpu / max(1, r.completed + r.errors) * 1000:.2f} ms/req  errors {r.errors}")
    if target:
        text += f"  | {r.rate / target:.2f}x target"
    if p99_target:
        text += f", p99 {r.p(99) / p99_target:.2f}x limit"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--requests", type=int, default=6000, help="requests per scenario")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight (one account each)")
    parser.add_argument("--max-seconds", type=float, default=20.0, help="time cap per scenario")
    parser.add_argument("--items", type=int, default=20, help="items in each account's vault")
    parser.add_argument("--no-calibrate", dest="calibrate", action="store_false")
    args = parser.parse_args()
    print(machine())
    print(f"closed loop, {args.concurrency} in flight, up to {args.requests} requests or {args.max_seconds:.0f} s "
          "per scenario; generator and server share the machine\n")
    with tempfile.TemporaryDirectory(prefix="bv-bench-") as tmp:
        for backend in args.backends.split(","):
            for workers in (int(w) for w in args.workers.split(",")):
                with ExitStack() as stack:
                    url = stack.enter_context(pg_database()) if backend == "postgres" else None
                    server = stack.enter_context(bench_server(Path(tmp) / f"{backend}-{workers}", database_url=url,
                                                               workers=workers))
                    http = stack.enter_context(httpx.Client(base_url=server.api_url, timeout=60))
                    lanes = Lanes(http, args.concurrency, args.items)
                    label = f"{backend}, {workers} worker{'s' if workers > 1 else ''}"
                    if args.calibrate:
                        print(line(f"{label}: GET /health", calibrate(server, args), None), flush=True)
                    r = scenario(server, lanes, "sync", args)
                    print(line(f"{label}: no-change sync", r, SYNC_TARGET), flush=True)
                    r = scenario(server, lanes, "write", args)
                    p99 = WRITE_P99_TARGET if backend == "sqlite" else None
                    print(line(f"{label}: write one item", r, WRITE_TARGET, p99), flush=True)
                    r = scenario(server, lanes, "paced write", args)
                    print(line(f"{label}: writes at {WRITE_TARGET:.0f}/s", r, WRITE_TARGET, p99), flush=True)
                print()


if __name__ == "__main__":
    main()

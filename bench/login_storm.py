"""A login storm must not stall other requests: sync latency with and without 20 concurrent logins.

    .venv/bin/python bench/login_storm.py [--backend sqlite|postgres] [--workers 1] [--logins 20]
        [--sync-rate 200] [--seconds 10]

A bv-server on loopback with its default Argon2id for auth keys (64 MiB, t=3, p=4: each login
verification is deliberately slow). Devices sync at a steady ``--sync-rate`` requests per second
in total (8 lanes on a timer, authenticated, nothing changed), first alone for ``--seconds``
(quiet), then for as long again while ``--logins`` clients log in over and over, each starting its
next login as soon as the last one answers (the storm). It prints the sync latency of both phases,
the logins done, the CPU of the server process (its hashing processes excluded) for one login
alone and per second in each phase, and the ratio of the storm's p99 to the quiet p99 (target:
at most 3x).
"""

from __future__ import annotations

import argparse
import tempfile
from contextlib import ExitStack
from pathlib import Path

import httpx

from _common import bench_server, machine, pg_database, percentile, process_tree_cpu, register
from _load import json_body, run_load
from server_load import Lanes

TARGET_RATIO = 3.0
SYNC_LANES = 8
LOGINS_ALONE = 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--logins", type=int, default=20, help="concurrent login clients")
    parser.add_argument("--sync-rate", type=float, default=200.0, help="sync requests per second, all lanes")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--argon2-concurrency", type=int, default=None,
                        help="the server's BV_ARGON2_CONCURRENCY (default: the server's default)")
    parser.add_argument("--argon2", default=None, metavar="MEMORY_KIB,TIME,LANES",
                        help="the server's Argon2id parameters for auth keys (default: the server's defaults)")
    args = parser.parse_args()
    print(machine())
    argon2 = f"Argon2id {args.argon2} (KiB, t, p)" if args.argon2 else "default Argon2id"
    print(f"bv-server on loopback ({args.backend}, {args.workers} worker(s)), {argon2} for auth keys; "
          f"sync at {args.sync_rate:.0f}/s from {SYNC_LANES} lanes\n")
    with tempfile.TemporaryDirectory(prefix="bv-bench-") as tmp, ExitStack() as stack:
        url = stack.enter_context(pg_database()) if args.backend == "postgres" else None
        env = {} if args.argon2_concurrency is None else {"BV_ARGON2_CONCURRENCY": str(args.argon2_concurrency)}
        if args.argon2:
            memory, time_cost, lanes = args.argon2.split(",")
            env.update(BV_ARGON2_MEMORY_KIB=memory, BV_ARGON2_TIME_COST=time_cost, BV_ARGON2_PARALLELISM=lanes)
        server = stack.enter_context(bench_server(Path(tmp) / "server", database_url=url, workers=args.workers,
                                                  fast_hashing=False, env=env))
        http = stack.enter_context(httpx.Client(base_url=server.api_url, timeout=120))
        devices = Lanes(http, SYNC_LANES, 20)
        users = [register(http) for _ in range(args.logins)]
        logins = [json_body({"email": u.email, "auth_key": u.auth_key, "device_name": "storm"}) for u in users]
        headers = {"Content-Type": "application/json"}
        pause = SYNC_LANES / args.sync_rate

        def quiet_request(n: int):
            return devices.sync_request(n)

        run_load(server.api_url, quiet_request, concurrency=SYNC_LANES, total=10**9, max_seconds=2,
                 interval=lambda n: pause)  # warm-up
        pid = server._proc.pid  # noqa: SLF001 - the process whose CPU time we read
        # What one login costs the process that answers the syncs (its hashing processes excluded):
        # logins one after another, nothing else running.
        for body in logins[:2]:
            http.post("/login", content=body, headers=headers).raise_for_status()
        cpu = process_tree_cpu(pid, descendants=False)
        for n in range(LOGINS_ALONE):
            http.post("/login", content=logins[n % len(logins)], headers=headers).raise_for_status()
        login_cpu = (process_tree_cpu(pid, descendants=False) - cpu) / LOGINS_ALONE
        cpu = process_tree_cpu(pid, descendants=False)
        quiet = run_load(server.api_url, quiet_request, concurrency=SYNC_LANES, total=10**9,
                         max_seconds=args.seconds, interval=lambda n: pause)
        quiet_cpu, cpu = process_tree_cpu(pid, descendants=False) - cpu, process_tree_cpu(pid, descendants=False)

        def storm_request(n: int):
            if n < args.logins:
                return "POST", "/login", logins[n], headers
            return devices.sync_request(n - args.logins)

        storm = run_load(server.api_url, storm_request, concurrency=args.logins + SYNC_LANES, total=10**9,
                         max_seconds=args.seconds, interval=lambda n: 0.0 if n < args.logins else pause)
        storm_cpu = process_tree_cpu(pid, descendants=False) - cpu

    sync_lanes = range(args.logins, args.logins + SYNC_LANES)
    storm_sync = storm.lanes(sync_lanes)
    storm_login = storm.lanes(range(args.logins))
    login_errors = sum(v for k, v in storm.statuses.items() if k != 200)
    q50, q99 = percentile(quiet.latencies, 50), percentile(quiet.latencies, 99)
    s50, s99 = percentile(storm_sync, 50), percentile(storm_sync, 99)
    print(f"quiet: {len(quiet.latencies):>5} syncs   p50 {q50 * 1000:6.1f} ms  p99 {q99 * 1000:6.1f} ms  "
          f"errors {quiet.errors}")
    print(f"storm: {len(storm_sync):>5} syncs   p50 {s50 * 1000:6.1f} ms  p99 {s99 * 1000:6.1f} ms")
    print(f"       {len(storm_login):>5} logins  p50 {percentile(storm_login, 50) * 1000:6.1f} ms  "
          f"p99 {percentile(storm_login, 99) * 1000:6.1f} ms  "
          f"({len(storm_login) / storm.seconds:.1f} logins/s; non-200 answers: {login_errors})")
    # The CPU the process answering the syncs spent (its hashing processes excluded), per second.
    print(f"server process CPU a login, logins alone (hashing processes excluded): {login_cpu * 1000:.1f} ms")
    print(f"server process CPU (hashing processes excluded): quiet {quiet_cpu / quiet.seconds * 1000:.0f} ms/s, "
          f"storm {storm_cpu / storm.seconds * 1000:.0f} ms/s")
    print(f"\nstorm p99 / quiet p99 = {s99 / q99:.2f} (target <= {TARGET_RATIO:.0f})")


if __name__ == "__main__":
    main()

"""Delta sync: what one changed item costs a device, in vaults of 100, 10,000 and 100,000 items.

    .venv/bin/python bench/sync_delta.py [--sizes 100,10000,100000] [--runs 5]

For each size, on a fresh bv-server (SQLite, loopback): one account's vault is filled with real
sealed items (client crypto core, written through the HTTP API in batches of 1,000). A device
(the client's ``SyncEngine`` with its own cache and the real HTTP client) pulls the whole vault
once: that is the full download, timed with verification and cache writes. Then, ``--runs``
times: another device changes one item, and the first device runs ``SyncEngine.pull``; the
figures are the median time and the bytes on the wire (request and response, headers included)
of that pull, and the time of the same answer fetched again over HTTP alone (the server's work
and the transfer, without the client's verification). A sync with nothing new is timed too.
Beside them: the raw HTTP cost of a whole-vault download (``POST /v1/sync`` with
cursor 0, the response read but not verified), which is what a sync protocol that always sends the
whole vault (Bitwarden's ``/api/sync``) costs on every sync.

Ratios printed: delta time and bytes at each size against the smallest size (target: flat),
and delta against full download at the same size.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import (
    CountingTransport,
    Seeder,
    bench_server,
    human_bytes,
    machine,
    median,
    register,
)

import httpx

from vault_client.cache import Cache
from vault_client.sync import SyncEngine
from vault_client.transport import Api


def measure(size: int, runs: int, tmp: Path) -> dict[str, float]:
    with bench_server(tmp / f"server-{size}") as server, httpx.Client(base_url=server.api_url, timeout=600) as http:
        account = register(http)
        seeder = Seeder(http, account)
        t0 = time.perf_counter()
        ids = seeder.add(size, progress=size >= 50_000)
        seed_s = time.perf_counter() - t0

        counter = CountingTransport()
        with Cache(tmp / f"cache-{size}.sqlite3") as cache, \
                Api(server.url, account.token, transport=counter) as api:
            engine = SyncEngine(cache, account.keychain, api)
            t0 = time.perf_counter()
            report = engine.pull()
            full_client_s = time.perf_counter() - t0
            full_client_bytes = counter.received + counter.sent
            assert report.pulled == size, report

            # The raw whole-vault download, for comparison (best of 3).
            raw_times = []
            for _ in range(3):
                counter.reset()
                t0 = time.perf_counter()
                api.sync({})
                raw_times.append(time.perf_counter() - t0)
            full_raw_bytes = counter.received + counter.sent

            delta_times, delta_bytes, http_times = [], [], []
            for run in range(runs):
                seeder.change(ids[(run * 7919) % len(ids)], run)
                counter.reset()
                t0 = time.perf_counter()
                report = engine.pull()
                delta_times.append(time.perf_counter() - t0)
                delta_bytes.append(counter.received + counter.sent)
                assert report.pulled == 1, report
                # The same answer again, HTTP only (server and transfer, no client work).
                seq = cache.vault(account.vault_id).seq
                t0 = time.perf_counter()
                answer = api.sync({account.vault_id: seq - 1})
                http_times.append(time.perf_counter() - t0)
                assert len(answer["vaults"][0]["items"]) == 1
            # A sync with nothing new, for the floor.
            counter.reset()
            t0 = time.perf_counter()
            engine.pull()
            idle_s = time.perf_counter() - t0
            idle_bytes = counter.received + counter.sent
    return {
        "size": size, "seed_s": seed_s, "full_client_s": full_client_s, "full_client_bytes": full_client_bytes,
        "full_raw_s": min(raw_times), "full_raw_bytes": full_raw_bytes,
        "delta_s": median(delta_times), "delta_bytes": median(delta_bytes), "delta_http_s": median(http_times),
        "idle_s": idle_s, "idle_bytes": idle_bytes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000,100000", help="vault sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=5, help="one-item changes pulled per size")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(machine())
    print("bv-server on loopback, SQLite; client: SyncEngine.pull over the real HTTP client\n")
    results = []
    with tempfile.TemporaryDirectory(prefix="bv-bench-") as tmp:
        for size in sizes:
            r = measure(size, args.runs, Path(tmp))
            results.append(r)
            print(f"{size:>7,} items: seeded in {r['seed_s']:.1f} s; first pull {r['full_client_s']:.2f} s, "
                  f"{human_bytes(r['full_client_bytes'])}", flush=True)

    print(f"\n{'items':>8} | {'delta sync':>10} {'bytes':>8} {'HTTP part':>9} | {'no change':>9} {'bytes':>6} | "
          f"{'full download':>13} {'bytes':>9} | {'first sync':>10} | {'full/delta':>10} {'bytes':>7}")
    for r in results:
        print(f"{r['size']:>8,} | {r['delta_s'] * 1000:>8.1f}ms {human_bytes(r['delta_bytes']):>8} "
              f"{r['delta_http_s'] * 1000:>7.1f}ms | "
              f"{r['idle_s'] * 1000:>7.1f}ms {human_bytes(r['idle_bytes']):>6} | "
              f"{r['full_raw_s'] * 1000:>11.1f}ms {human_bytes(r['full_raw_bytes']):>9} | "
              f"{r['full_client_s'] * 1000:>8.0f}ms | "
              f"{r['full_raw_s'] / r['delta_s']:>9.1f}x {r['full_raw_bytes'] / r['delta_bytes']:>6.0f}x")
    base = results[0]
    print(f"\ndelta sync against the {base['size']:,}-item vault (target: flat, 1.0x):")
    for r in results[1:]:
        print(f"  {r['size']:>7,} items: time {r['delta_s'] / base['delta_s']:.2f}x "
              f"(HTTP part {r['delta_http_s'] / base['delta_http_s']:.2f}x, no-change sync "
              f"{r['idle_s'] / base['idle_s']:.2f}x), bytes {r['delta_bytes'] / base['delta_bytes']:.2f}x")


if __name__ == "__main__":
    main()

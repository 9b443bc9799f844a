"""Scale: delta sync and login on a PostgreSQL database with 1,000,000 items in 10,000 accounts,
against the same requests on a small database.

    .venv/bin/python bench/scale_pg.py [--accounts 10000] [--items-per-account 100] [--rounds 20]

The script creates two PostgreSQL databases (``BV_TEST_POSTGRES_URL``, default
postgresql://postgres@127.0.0.1:5432/test, names the server) and drops them at the end: a large
one and a small one, each with its own bv-server (loopback, one worker; auth-key hashing at test
strength, so login latency shows the database's share rather than Argon2's 0.2 s). In each, a
probe account is created through the client library with 100 real sealed items, and a client
device pulls them once; only the large database is then seeded.

The measurements alternate between the two databases (small, large, large, small, ...),
``--rounds`` times, so that other load on the machine falls on both alike. Each round, per database:

- delta sync over HTTP: 25 sequential ``POST /v1/sync`` with a cursor one change behind (one
  item comes back);
- delta sync by the client: twice, another device changes one item and the probe device runs
  ``SyncEngine.pull`` (download, verification, cache);
- login: 10 times ``POST /v1/prelogin`` then ``POST /v1/login``.

Seeding writes straight into the schema with ``INSERT ... SELECT generate_series``: accounts,
device sessions, vaults and memberships copied from the probe account's rows with new ids, and
``--items-per-account`` items per vault (1,058-byte envelopes). VACUUM (ANALYZE) and a CHECKPOINT
run before measuring, so autovacuum and dirty-page writes of the bulk load do not fall on the
measured requests.
Target: every large-database figure within 1.5x of the small one.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import psycopg

from _common import (
    Seeder,
    bench_server,
    libpq_url,
    login,
    machine,
    median,
    percentile,
    pg_database,
    register,
)

from vault_client.cache import Cache
from vault_client.sync import SyncEngine
from vault_client.transport import Api

TARGET = 1.5
PROBE_ITEMS = 100
CHUNK_ACCOUNTS = 500


def timed(fn, n: int) -> list[float]:  # noqa: ANN001
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _columns(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                        "ORDER BY ordinal_position", (table,)).fetchall()
    return [r[0] for r in rows]


def _copy_rows(conn: psycopg.Connection, table: str, source: str, overrides: dict[str, str], tail: str) -> int:
    """INSERT into ``table`` a copy of the ``source`` row(s) (alias t) with some columns replaced
    by SQL expressions; ``tail`` adds the generate_series FROM items. Every other column (whatever
    the migrations added) is copied as is, so the rows are always complete."""
    cols = _columns(conn, table)
    select = ", ".join(overrides.get(c, f"t.{c}") for c in cols)
    sql = f"INSERT INTO {table} ({', '.join(cols)}) SELECT {select} FROM ({source}) t, {tail}"
    return conn.execute(sql).rowcount


def seed(url: str, probe_account: str, accounts: int, items_per_account: int) -> None:
    """Bulk rows modelled on the probe account's own rows."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        t0 = time.perf_counter()
        probe_vault = conn.execute("SELECT vault_id FROM vault_members WHERE account_id = %s",
                                   (probe_account,)).fetchone()[0]
        acc = f"(md5('acc' || g)::uuid)"
        vault = f"(md5('vault' || g)::uuid)"
        for start in range(1, accounts + 1, CHUNK_ACCOUNTS):
            end = min(accounts, start + CHUNK_ACCOUNTS - 1)
            series = f"generate_series({start}, {end}) g"
            with conn.transaction():
                _copy_rows(conn, "accounts", f"SELECT * FROM accounts WHERE id = '{probe_account}'",
                           {"id": acc, "email": "'scale-' || g || '@example.org'"}, series)
                _copy_rows(conn, "device_sessions",
                           f"SELECT * FROM device_sessions WHERE account_id = '{probe_account}' LIMIT 1",
                           {"id": "(md5('session' || g)::uuid)", "account_id": acc,
                            "token_hash": "sha256(('token' || g)::bytea)"}, series)
                _copy_rows(conn, "vaults", f"SELECT * FROM vaults WHERE id = '{probe_vault}'",
                           {"id": vault, "seq": str(items_per_account),
                            "manifest_version": str(items_per_account)}, series)
                _copy_rows(conn, "vault_members",
                           f"SELECT * FROM vault_members WHERE vault_id = '{probe_vault}'",
                           {"vault_id": vault, "account_id": acc}, series)
                _copy_rows(conn, "items", f"SELECT * FROM items WHERE vault_id = '{probe_vault}' LIMIT 1",
                           {"vault_id": vault, "item_id": "(md5('item' || g || '-' || k)::uuid)",
                            "revision": "1", "seq": "k",
                            "blob": "'\\x0104'::bytea || decode(repeat(md5(g || '-' || k), 66), 'hex')"},
                           f"{series}, generate_series(1, {items_per_account}) k")
            done = end * items_per_account
            print(f"  seeded {end:,} accounts, {done:,} items ({time.perf_counter() - t0:.0f} s)", flush=True)
        # Measure the steady state, not the aftermath of a bulk load: vacuum (hint bits, visibility
        # map, statistics) and flush it now, rather than under the measured requests.
        conn.execute("VACUUM (ANALYZE)")
        conn.execute("CHECKPOINT")
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("accounts", "device_sessions", "vaults", "items")}
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
        print(f"  rows: {', '.join(f'{t} {n:,}' for t, n in counts.items())}; database {size}; "
              f"{time.perf_counter() - t0:.0f} s", flush=True)


class Probe:
    """The measured requests, against one account with real items."""

    def __init__(self, server, http: httpx.Client, tmp: Path):  # noqa: ANN001 - ServerProcess
        self.server = server
        self.http = http
        self.account = register(http)
        self.seeder = Seeder(http, self.account)
        self.ids = self.seeder.add(PROBE_ITEMS)
        self.api = Api(server.url, login(http, self.account, "probe device"))
        tmp.mkdir(parents=True, exist_ok=True)
        self.cache = Cache(tmp / "probe-cache.sqlite3")
        self.engine = SyncEngine(self.cache, self.account.keychain, self.api)
        self.changes = 1
        self.seeder.change(self.ids[0])  # so the last change holds exactly one item
        self.engine.pull()

    def close(self) -> None:
        self.api.close()
        self.cache.close()

    def warm_up(self) -> None:
        self.measure(20, 2, 20, {})

    def measure(self, requests: int, pulls: int, logins: int, out: dict[str, list[float]]) -> None:
        """Add one round of each measured request to ``out``."""
        headers = self.account.headers()
        vault = self.account.vault_id

        def http_delta() -> None:
            seq = self.cache.vault(vault).seq
            resp = self.http.post("/sync", json={"cursors": {vault: seq - 1}}, headers=headers)
            assert resp.status_code == 200 and len(resp.json()["vaults"][0]["items"]) == 1

        body = {"email": self.account.email, "auth_key": self.account.auth_key, "device_name": "scale"}

        def do_login() -> None:
            assert self.http.post("/prelogin", json={"email": self.account.email}).status_code == 200
            assert self.http.post("/login", json=body).status_code == 200

        out.setdefault("http delta sync", []).extend(timed(http_delta, requests))
        for _ in range(pulls):
            self.changes += 1
            self.seeder.change(self.ids[self.changes % len(self.ids)], self.changes)
            t0 = time.perf_counter()
            report = self.engine.pull()
            out.setdefault("client delta pull", []).append(time.perf_counter() - t0)
            assert report.pulled == 1
        out.setdefault("prelogin + login", []).extend(timed(do_login, logins))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--items-per-account", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20, help="alternating measurement rounds")
    args = parser.parse_args()
    print(machine())
    print(f"PostgreSQL on loopback; one bv-server (1 worker) per database; large database: "
          f"{args.accounts:,} accounts x {args.items_per_account} items = "
          f"{args.accounts * args.items_per_account:,} items\n")
    small: dict[str, list[float]] = {}
    large: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bv-bench-") as tmp_s, ExitStack() as stack:
        tmp = Path(tmp_s)
        probes = {}
        for name in ("large", "small"):
            url = stack.enter_context(pg_database(f"bv_scale_{name}_"))
            server = stack.enter_context(bench_server(tmp / f"server-{name}", database_url=url))
            http = stack.enter_context(httpx.Client(base_url=server.api_url, timeout=60))
            probe = Probe(server, http, tmp / name)
            stack.callback(probe.close)
            if name == "large":
                print("seeding the large database", flush=True)
                seed(url, str(probe.account.account_id), args.accounts, args.items_per_account)
            probes[name] = probe
        for probe in probes.values():
            probe.warm_up()
        # Alternate (ABBA), so that other load on the machine, and whatever one round leaves
        # behind for the next, falls on both databases alike.
        results = {"small": small, "large": large}
        for r in range(args.rounds):
            for name in ("small", "large") if r % 2 == 0 else ("large", "small"):
                probes[name].measure(25, 2, 10, results[name])

    print(f"\n{args.rounds} alternating rounds; per database: {len(small['http delta sync'])} delta syncs over "
          f"HTTP, {len(small['client delta pull'])} client pulls, {len(small['prelogin + login'])} logins")
    print(f"\n{'':22} {'small db: p50':>14} {'p99':>9} | {'large db: p50':>14} {'p99':>9} | "
          f"{'ratio p50':>9} {'p99':>6}")
    worst = 0.0
    for key in small:
        s50, s99 = median(small[key]), percentile(small[key], 99)
        l50, l99 = median(large[key]), percentile(large[key], 99)
        worst = max(worst, l50 / s50)
        print(f"{key:22} {s50 * 1000:11.2f} ms {s99 * 1000:6.2f} ms | {l50 * 1000:11.2f} ms {l99 * 1000:6.2f} ms | "
              f"{l50 / s50:8.2f}x {l99 / s99:5.2f}x")
    print(f"\nworst median ratio large/small = {worst:.2f} (target <= {TARGET})")


if __name__ == "__main__":
    main()

"""First sync of a 10,000-item vault on a new device.

    .venv/bin/python bench/first_sync.py [--items 10000] [--runs 3]

A bv-server on loopback (SQLite, its default Argon2 for auth keys) holds one account created at
the client's default KDF (Argon2id 64 MiB, t=3, p=4) with ``--items`` real sealed items. Each run
sets up a brand-new device (an empty state directory) and times:

- library: ``account.login`` (prelogin, key derivation, the server's check, verification of the
  account keys), ``account.unlock`` (the keychain), and ``SyncEngine.pull`` on an empty cache:
  download, base64, opening and parsing every item, the manifest check and the cache writes.
  The server's share of the pull (building and sending the whole answer) is timed on its own.
- CLI: ``bv login --kit KIT`` as its own process (password from a file), which logs in and
  fetches every vault before it returns: what a user waits for; then ``bv list --json`` counts
  the items, to show the device holds them all.

Target: the first sync, decryption and cache included, under 3 s.
"""

from __future__ import annotations

import os

os.environ["BV_KDF"] = "65536,3,4"  # the client's default: a real new device pays it

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import httpx  # noqa: E402
from _common import PASSWORD, Seeder, bench_server, machine, median, register  # noqa: E402

from vault_client.crypto import SecretKey  # noqa: E402

TARGET_S = 3.0
BV = str(Path(sys.executable).with_name("bv"))


def library_run(server_url: str, email: str, secret_key_text: str, home: Path) -> dict[str, float]:
    os.environ["BV_HOME"] = str(home)
    from vault_client import account as acct
    from vault_client.sync import SyncEngine
    from vault_client.transport import Api

    out: dict[str, float] = {}
    with Api(server_url) as api:
        t0 = time.perf_counter()
        account = acct.login(api, server_url, email, PASSWORD, SecretKey.parse(secret_key_text), insecure=False).account
        out["login"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        keychain = acct.unlock(account, PASSWORD)
        out["unlock"] = time.perf_counter() - t0
        with acct.open_cache(account) as cache:
            t0 = time.perf_counter()
            report = SyncEngine(cache, keychain, api).pull()
            out["pull"] = time.perf_counter() - t0
        out["items"] = report.pulled
        t0 = time.perf_counter()
        api.sync({})
        out["server_answer"] = time.perf_counter() - t0
    return out


def cli_run(server_url: str, email: str, secret_key_text: str, tmp: Path, n: int) -> tuple[float, int]:
    home = tmp / f"cli-home-{n}"
    kit = tmp / f"kit-{n}.txt"
    kit.write_text(f"Server: {server_url}\nEmail: {email}\nSecret Key: {secret_key_text}\n")
    pw = tmp / "pw"
    pw.write_text(PASSWORD + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BV_")}
    env.update(BV_HOME=str(home), BV_PASSWORD_FILE=str(pw))
    t0 = time.perf_counter()
    proc = subprocess.run([BV, "login", "--kit", str(kit)], env=env, capture_output=True, timeout=300)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"bv login failed: {proc.stderr.decode()[:500]}")
    listed = subprocess.run([BV, "list", "--json"], env=env, capture_output=True, timeout=300)
    count = len(json.loads(listed.stdout)) if listed.returncode == 0 else -1
    subprocess.run([BV, "lock"], env=env, capture_output=True, timeout=60)
    return elapsed, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    print(f"bv-server on loopback (SQLite, default Argon2); account KDF Argon2id 64 MiB t=3 p=4; "
          f"{args.items:,} items\n")
    with tempfile.TemporaryDirectory(prefix="bv-bench-") as tmp_s, \
            bench_server(Path(tmp_s) / "server", fast_hashing=False) as server, \
            httpx.Client(base_url=server.api_url, timeout=600) as http:
        tmp = Path(tmp_s)
        account = register(http)
        Seeder(http, account).add(args.items)
        runs = [library_run(server.url, account.email, account.secret_key_text, tmp / f"home-{n}")
                for n in range(args.runs)]
        cli = [cli_run(server.url, account.email, account.secret_key_text, tmp, n) for n in range(args.runs)]

    def med(key: str) -> float:
        return median([r[key] for r in runs])

    print(f"library, median of {args.runs} new devices:")
    print(f"  login (derive, server check, verify keys)   {med('login') * 1000:7.0f} ms")
    print(f"  unlock (derive again, open the account key) {med('unlock') * 1000:7.0f} ms")
    print(f"  first pull of {int(med('items')):,} items             {med('pull') * 1000:7.0f} ms"
          f"   (of which the server's answer alone: {med('server_answer') * 1000:.0f} ms)")
    total = med("login") + med("unlock") + med("pull")
    print(f"  total                                       {total * 1000:7.0f} ms")
    cli_s = median([c[0] for c in cli])
    print(f"\nCLI: bv login --kit (new device, process start to ready), median of {args.runs}: "
          f"{cli_s * 1000:.0f} ms; bv list then shows {cli[-1][1]:,} items")
    print(f"\nfirst pull / target {TARGET_S:.0f} s = {med('pull') / TARGET_S:.2f}; "
          f"whole bv login / target = {cli_s / TARGET_S:.2f}")


if __name__ == "__main__":
    main()

"""Whole-process latency of the hot path with an unlocked agent and a 10,000-item vault.

    .venv/bin/python bench/cli_latency.py [--items 10000] [--runs 30]

Starts a bv-server on loopback (SQLite, temporary directory), creates an account, fills the vault
through the client library (sealed and pushed in batches like any sync), runs `bv unlock`, then
times as separate processes: `bv get NAME --field password`, `bv search QUERY`, `bv --version`.
In the same run it times the official Bitwarden CLI's `bw --version` (npm package @bitwarden/cli,
installed into a temporary folder when `bw` is not on PATH) and prints the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers.server_proc import ServerProcess  # noqa: E402

BV = str(Path(sys.executable).with_name("bv"))


def timed(cmd: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True)
        samples.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode()[:300]}")
    return statistics.median(samples), min(samples)


def fill(home: Path, password: str, count: int) -> None:
    os.environ["BV_HOME"] = str(home)
    from vault_client import state
    from vault_client.account import open_cache, personal_vault, unlock
    from vault_client.items.model import new_item
    from vault_client.sync import SyncEngine
    from vault_client.transport import Api
    from vault_client.vault import VaultView

    account = state.load_account()
    keys = unlock(account, password)
    with open_cache(account) as cache, Api(account.server, state.load_session().token) as api:
        engine = SyncEngine(cache, keys, api)
        engine.pull()
        vault_id = personal_vault(account, cache).vault_id
        view = VaultView(cache, keys)
        for i in range(count):
            item = new_item("login", f"site-{i:05d}", username=f"user{i}@example.org", password=f"pw-{i:05d}-x",
                            urls=[f"https://site-{i:05d}.example.com/login"], notes="n" * 200)
            view.save(vault_id, item)
        engine.push()


def bitwarden_cli(tmp: Path) -> list[str] | None:
    found = shutil.which("bw")
    if found:
        return [found]
    prefix = tmp / "bw"
    proc = subprocess.run(["npm", "install", "--silent", "--prefix", str(prefix), "@bitwarden/cli"],
                          capture_output=True, timeout=600)
    exe = prefix / "node_modules" / ".bin" / "bw"
    if proc.returncode != 0 or not exe.exists():
        print(f"  (could not install @bitwarden/cli: {proc.stderr.decode()[:200]})")
        return None
    return [str(exe)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    password = "bench password"
    with tempfile.TemporaryDirectory(prefix="bv-bench-") as tmp_s, ServerProcess(Path(tmp_s) / "server") as server:
        tmp = Path(tmp_s)
        home = tmp / "home"
        pw_file = tmp / "pw"
        pw_file.write_text(password + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("BV_")}
        env.update(BV_HOME=str(home), BV_PASSWORD_FILE=str(pw_file), BV_KDF="19456,2,1")
        subprocess.run([BV, "account", "create", "--server", server.url, "--email", "bench@example.org"],
                       env=env, check=True, capture_output=True)
        t0 = time.perf_counter()
        fill(home, password, args.items)
        print(f"filled {args.items} items in {time.perf_counter() - t0:.1f} s")
        subprocess.run([BV, "unlock", "--timeout", "600"], env=env, check=True, capture_output=True)
        env_locked = dict(env)
        env_locked.pop("BV_PASSWORD_FILE")
        name = f"site-{args.items // 2:05d}"
        subprocess.run([BV, "get", name, "--field", "password"], env=env_locked, check=True, capture_output=True)
        try:
            rows = [
                ("bv get NAME --field password", timed([BV, "get", name, "--field", "password"], env_locked, args.runs)),
                ("bv search QUERY", timed([BV, "search", "site-0420"], env_locked, args.runs)),
                ("bv --version", timed([BV, "--version"], env_locked, args.runs)),
                ("python -c pass", timed([sys.executable, "-c", "pass"], env_locked, args.runs)),
            ]
            bw = bitwarden_cli(tmp)
            if bw:
                rows.append(("bw --version (Bitwarden CLI)", timed([*bw, "--version"], env, max(5, args.runs // 3))))
        finally:
            subprocess.run([BV, "lock"], env=env_locked, capture_output=True)
    print(f"\n{'command':34} {'median':>9} {'min':>9}")
    for label, (med, low) in rows:
        print(f"{label:34} {med * 1000:8.1f}ms {low * 1000:8.1f}ms")
    if bw:
        bw_median = rows[-1][1][0]
        get_median = rows[0][1][0]
        print(f"\nbv get / bw --version = {get_median / bw_median:.3f} (target <= 0.2)")


if __name__ == "__main__":
    main()

"""Importing a 10,000-item Bitwarden JSON export, end to end.

    .venv/bin/python bench/import.py [--items 10000] [--parse-runs 3]

Writes a synthetic unencrypted Bitwarden export (logins with one to three URIs, some with TOTP,
custom fields and password history; notes, cards and identities; nested folders), then:

1. times the parse alone in this process (``vault_client.importers.parse``), best of N runs;
2. starts a bv-server on loopback (SQLite, temporary directory), creates an account (Argon2id at
   the default parameters), and times `bv import bitwarden-json FILE` as a separate process: start,
   unlock, parse, duplicate check against the vault, sealing and queueing every item, and the
   sync that pushes them in batches of 500;
3. times the same import again, which finds every item already there and writes nothing.

Prints figures only; docs/performance.md records a run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers.server_proc import ServerProcess  # noqa: E402

BV = str(Path(sys.executable).with_name("bv"))
WORDS = ("alpha", "bravo", "café", "delta", "echo", "föxtrot", "golf", "hotel", "india", "juliett")


def synthetic_export(count: int, seed: int = 7) -> bytes:
    """A Bitwarden JSON export of ``count`` items, as Bitwarden writes it."""
    rng = random.Random(seed)
    folders = [{"id": str(uuid.UUID(int=rng.getrandbits(128))), "name": f"{a}/{b}"}
               for a in WORDS[:4] for b in WORDS[4:8]]
    items = []
    for i in range(count):
        kind = 1 if i % 20 < 17 else (2, 3, 4)[i % 3]
        word = rng.choice(WORDS)
        item = {"id": str(uuid.UUID(int=rng.getrandbits(128))), "organizationId": None,
                "folderId": rng.choice(folders)["id"] if i % 3 else None, "type": kind, "reprompt": 0,
                "name": f"{word} {i:05d}", "notes": f"note {i}\nsecond line {word}" if i % 4 == 0 else None,
                "favorite": i % 50 == 0, "collectionIds": None,
                "creationDate": "2022-01-02T03:04:05.000Z", "revisionDate": "2023-01-02T03:04:05.000Z"}
        if i % 5 == 0:
            item["fields"] = [{"name": "PIN", "value": f"{i % 10000:04d}", "type": 1, "linkedId": None},
                              {"name": "account", "value": f"acct-{i}", "type": 0, "linkedId": None}]
        if kind == 1:
            item["login"] = {
                "uris": [{"match": None, "uri": f"https://{word}{i}.example.com/{p}"}
                         for p in ("login", "account", "reset")[: 1 + i % 3]],
                "username": f"user{i}@example.org", "password": f"{word}-{rng.getrandbits(64):016x}",
                "totp": "otpauth://totp/Ex?secret=JBSWY3DPEHPK3PXP" if i % 10 == 0 else None}
            if i % 10 == 1:
                item["passwordHistory"] = [{"lastUsedDate": "2021-05-01T10:00:00.000Z", "password": f"old-{i}"}]
        elif kind == 2:
            item["secureNote"] = {"type": 0}
            item["notes"] = f"secure note {i}\n" + word * 20
        elif kind == 3:
            item["card"] = {"cardholderName": f"Holder {i}", "brand": "Visa", "number": f"4111{i:012d}",
                            "expMonth": str(1 + i % 12), "expYear": "2030", "code": f"{i % 1000:03d}"}
        else:
            item["identity"] = {"title": "Dr", "firstName": "Anna", "lastName": f"Test{i}",
                                "email": f"anna{i}@example.org", "city": "Köln", "ssn": f"{i:09d}"}
        items.append(item)
    return json.dumps({"encrypted": False, "folders": folders, "items": items}, ensure_ascii=False).encode()


def bench_parse(data: bytes, runs: int) -> float:
    from vault_client import importers

    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        result = importers.parse("bitwarden-json", data)
        best = min(best, time.perf_counter() - start)
        assert not result.problems
    return best


def run_bv(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run([BV, *args], env=env, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"bv {' '.join(args[:2])} failed: {proc.stderr[:500]}")
    return elapsed, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--parse-runs", type=int, default=3)
    args = parser.parse_args()

    import cryptography

    print(f"python {platform.python_version()}, cryptography {cryptography.__version__}, "
          f"{os.cpu_count()} CPUs, {platform.machine()}")
    with tempfile.TemporaryDirectory(prefix="bv-bench-import-") as tmp_name:
        tmp = Path(tmp_name)
        export = tmp / "bitwarden.json"
        export.write_bytes(synthetic_export(args.items))
        print(f"input: {args.items} items, {export.stat().st_size / 2**20:.1f} MiB of Bitwarden JSON")
        parse_s = bench_parse(export.read_bytes(), args.parse_runs)
        print(f"parse only (in process, best of {args.parse_runs}):  {parse_s:6.2f} s  "
              f"{parse_s / args.items * 1e6:6.1f} us/item")

        password = tmp / "password"
        password.write_text("correct horse battery staple\n")
        home = tmp / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith("BV_")}
        env.update(BV_HOME=str(home), BV_PASSWORD_FILE=str(password), NO_COLOR="1")
        with ServerProcess(tmp / "server") as server:
            run_bv(["account", "create", "--server", server.url, "--email", "bench@example.org",
                    "--kit", str(tmp / "kit.txt")], env)
            first, out = run_bv(["import", "bitwarden-json", str(export), "--json"], env)
            summary = json.loads(out)
            assert summary["imported"] == args.items, summary
            print(f"bv import, empty vault (whole process):  {first:6.2f} s  "
                  f"{first / args.items * 1e6:6.1f} us/item   imported {summary['imported']}")
            again, out = run_bv(["import", "bitwarden-json", str(export), "--json"], env)
            summary = json.loads(out)
            assert summary["imported"] == 0 and summary["duplicates"] == args.items, summary
            print(f"bv import again, all duplicates:         {again:6.2f} s  "
                  f"{again / args.items * 1e6:6.1f} us/item   imported 0")
        status = "met" if first < 5 else "NOT met"
        print(f"target: {args.items} items in under 5 s: {status}")


if __name__ == "__main__":
    main()

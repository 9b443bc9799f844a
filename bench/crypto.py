"""Crypto core benchmark: unlock time and the item path against raw AES-256-GCM.

    .venv/bin/python bench/crypto.py [--items N] [--unlock-runs N] [--rounds N]

Prints figures only; nothing here is asserted. docs/performance.md records a run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import uuid

import cryptography
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vault_client import crypto
from vault_client.crypto.derive import subkey

ITEM_SIZE = 500


def _median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_unlock(runs: int) -> float:
    secret_key, salt = crypto.SecretKey.generate(), crypto.new_salt()
    return _median_time(
        lambda: crypto.derive_account_keys("correct horse battery staple", secret_key, salt, crypto.DEFAULT_KDF),
        runs,
    )


def bench_items(count: int, rounds: int) -> dict[str, float]:
    vault_key, vault_id = crypto.new_symmetric_key(), uuid.uuid4()
    item_ids = [uuid.uuid4() for _ in range(count)]
    plaintexts = [os.urandom(ITEM_SIZE) for _ in range(count)]

    def ours() -> None:
        blobs = [crypto.seal_item(vault_key, vault_id, i, 1, p) for i, p in zip(item_ids, plaintexts)]
        for item_id, blob, plaintext in zip(item_ids, blobs, plaintexts):
            if crypto.open_item(vault_key, vault_id, item_id, 1, blob) != plaintext:
                raise AssertionError("round trip failed")

    raw_aead = AESGCM(os.urandom(32))

    def raw_one_key() -> None:
        sealed = []
        for plaintext in plaintexts:
            nonce = os.urandom(12)
            sealed.append((nonce, raw_aead.encrypt(nonce, plaintext, None)))
        for (nonce, ct), plaintext in zip(sealed, plaintexts):
            if raw_aead.decrypt(nonce, ct, None) != plaintext:
                raise AssertionError("round trip failed")

    item_keys = [os.urandom(32) for _ in range(count)]

    def raw_key_per_item() -> None:
        sealed = []
        for key, plaintext in zip(item_keys, plaintexts):
            nonce = os.urandom(12)
            sealed.append((nonce, AESGCM(key).encrypt(nonce, plaintext, None)))
        for key, (nonce, ct), plaintext in zip(item_keys, sealed, plaintexts):
            if AESGCM(key).decrypt(nonce, ct, None) != plaintext:
                raise AssertionError("round trip failed")

    raw_vault_key = vault_key.reveal()

    def item_key_derivation() -> None:
        for item_id in item_ids:
            subkey(raw_vault_key, b"blindvault/v1/item-key" + vault_id.bytes + item_id.bytes)

    measures = {"ours": ours, "raw": raw_one_key, "raw_per_item_key": raw_key_per_item,
                "derive": item_key_derivation}
    for fn in measures.values():
        fn()  # warm up
    # Interleaved rounds, best of each: other load on the machine only ever adds time, and it
    # then falls on every measure alike instead of on whichever ran during a busy moment.
    times: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(rounds):
        for name, fn in measures.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: min(values) for name, values in times.items()}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--unlock-runs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    print(f"python {platform.python_version()}, cryptography {cryptography.__version__}, "
          f"{os.cpu_count()} CPUs, {platform.machine()}")
    kdf = crypto.DEFAULT_KDF
    unlock = bench_unlock(args.unlock_runs)
    print(f"unlock at DEFAULT_KDF (Argon2id m={kdf.memory_kib} KiB, t={kdf.iterations}, "
          f"p={kdf.parallelism}, then HKDF): median {unlock * 1000:.0f} ms of {args.unlock_runs} runs")

    n = args.items
    r = bench_items(n, args.rounds)
    per = {k: v / n * 1e6 for k, v in r.items()}
    print(f"items: {n} x {ITEM_SIZE} B, seal then open each, best of {args.rounds} interleaved rounds")
    print(f"  seal_item + open_item               {r['ours'] * 1000:8.1f} ms  {per['ours']:6.2f} us/item")
    print(f"  raw AES-256-GCM, one key            {r['raw'] * 1000:8.1f} ms  {per['raw']:6.2f} us/item")
    print(f"  raw AES-256-GCM, a key per item     {r['raw_per_item_key'] * 1000:8.1f} ms  "
          f"{per['raw_per_item_key']:6.2f} us/item")
    print(f"  item key derivation alone (HKDF)    {r['derive'] * 1000:8.1f} ms  {per['derive']:6.2f} us/item")
    print(f"ratio to raw AES-256-GCM, one key:        {r['ours'] / r['raw']:.1f}x")
    print(f"ratio to raw AES-256-GCM, a key per item: {r['ours'] / r['raw_per_item_key']:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

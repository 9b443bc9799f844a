"""Auth-key hashing (Argon2id, deliberately slow) runs on its own threads below the priority of
request handling, so a burst of logins cannot starve syncs and writes (bench/login_storm.py
measures the effect on latency)."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from vault_server.security import HASH_THREAD_NICE, AuthKeyHasher
from vault_server.settings import Settings


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.fixture
def hasher(tmp_path: Path):
    h = AuthKeyHasher(Settings(data_dir=tmp_path, argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1))
    yield h
    h.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_hashing_threads_run_at_a_lower_priority_than_the_caller(hasher: AuthKeyHasher):
    caller = _nice()
    seen = hasher._pool.submit(_nice).result()  # noqa: SLF001 - the hashing threads themselves
    assert seen == min(19, caller + HASH_THREAD_NICE) > caller or caller == 19
    assert _nice() == caller  # the request thread keeps its priority


def test_hashing_on_its_own_threads_still_hashes_and_verifies(hasher: AuthKeyHasher):
    key = os.urandom(32)
    encoded = hasher.hash(key)
    assert hasher.verify(encoded, key)
    assert not hasher.verify(encoded, os.urandom(32))
    assert not hasher.verify(None, key)  # unknown account: same work, always False

"""Auth-key hashing (Argon2id, deliberately slow) runs in worker processes below the priority of
request handling, so a burst of logins cannot starve syncs and writes (bench/login_storm.py
measures the effect on latency)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from vault_server import hashing
from tests.helpers.server_proc import ServerProcess
from vault_server.hashing import AuthKeyHasher


@pytest.fixture(scope="module")
def hasher():
    h = AuthKeyHasher(time_cost=1, memory_kib=8, parallelism=1, concurrency=2)
    yield h
    h.close()


def test_hashing_runs_in_other_processes_at_the_lowest_priority(hasher: AuthKeyHasher):
    pool = hasher._pool  # noqa: SLF001 - the worker processes themselves
    pids = {pool.submit(hashing._ready, 0.2) for _ in range(2)}
    seen = {f.result() for f in pids}
    assert os.getpid() not in seen and len(seen) == 2  # both workers were started with the server
    policy, nice = pool.submit(hashing._scheduling).result()
    if sys.platform.startswith("linux"):
        assert policy == os.SCHED_IDLE
    else:  # pragma: no cover
        assert nice == 19
    assert (os.sched_getscheduler(0) if hasattr(os, "sched_getscheduler") else 0) != getattr(os, "SCHED_IDLE", -1)


def test_hashing_in_worker_processes_still_hashes_and_verifies(hasher: AuthKeyHasher):
    key = os.urandom(32)
    encoded = hasher.hash(key)
    assert encoded.startswith("$argon2id$") and "m=8,t=1,p=1" in encoded
    assert hasher.verify(encoded, key)
    assert not hasher.verify(encoded, os.urandom(32))
    assert not hasher.verify(None, key)  # unknown account: same work, always False
    assert not hasher.verify("not a hash", key)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator and Linux page-fault counts")
def test_a_worker_hashes_on_one_thread_in_memory_it_keeps():
    # Argon2's 64 MiB (here 16 MiB) was a fresh mapping per hash: 4,000 page faults here, 16,000
    # at the defaults, all in the kernel. Kept, the second hash of the same size faults almost none.
    h = AuthKeyHasher(time_cost=2, memory_kib=16384, parallelism=4, concurrency=1)
    try:
        h.hash(os.urandom(32))
        threads, faults = h._pool.submit(hashing._threads_and_faults_of_hash, os.urandom(32)).result()  # noqa: SLF001
    finally:
        h.close()
    assert faults < 400, faults
    assert threads == 2  # the worker's own thread and its parent watch: no lane threads started


def test_one_thread_hashes_are_argon2_cffi_hashes():
    # The digest depends on the lanes, not on the threads computing them: argon2-cffi (one thread
    # per lane) verifies the one-thread hashes, and the other way round, at several shapes.
    for time_cost, memory_kib, lanes in ((1, 8, 1), (2, 64, 4), (3, 1024, 3)):
        reference = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=lanes,
                                   hash_len=32, salt_len=16, type=Type.ID)
        key = os.urandom(32)
        ours = hashing.hash_one_thread(key, time_cost=time_cost, memory_kib=memory_kib, lanes=lanes)
        assert reference.verify(ours, key)
        assert extract_parameters(ours) == extract_parameters(reference.hash(key))
        theirs = reference.hash(key)
        assert hashing.verify_one_thread(theirs, key)
        assert not hashing.verify_one_thread(theirs, os.urandom(32))
        assert not hashing.verify_one_thread(ours, key[:-1] + bytes([key[-1] ^ 1]))


def test_one_thread_verification_refuses_altered_or_malformed_hashes():
    key = os.urandom(32)
    good = hashing.hash_one_thread(key, time_cost=1, memory_kib=16, lanes=2)
    head, salt, digest = good.rsplit("$", 2)
    flipped = digest[:-2] + ("A" if digest[-2] != "A" else "B") + digest[-1]
    for bad in (
        f"{head}${salt}${flipped}",  # another digest
        f"{head}${salt[::-1]}${digest}",  # another salt
        good.replace("t=1", "t=2"),  # other parameters
        good.replace("p=2", "p=1"),
        f"{head}${salt}${digest[:-4]}",  # a shorter digest
        f"{head}${salt}$!!!!",  # not base64
        f"{head}${salt}",  # a field missing
        good.replace("v=19", "v=16"),  # another version
        "", "not a hash", "$argon2id$v=19$m=8,t=1,p=1$$",
    ):
        assert not hashing.verify_one_thread(bad, key), bad
    # Another Argon2 type (never written by this server) is verified by argon2-cffi, not refused outright.
    other = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.I).hash(key)
    assert hashing.verify_one_thread(other, key) and not hashing.verify_one_thread(other, os.urandom(32))


def _worker_pid(h: AuthKeyHasher) -> int:
    return h._pool.submit(hashing._ready, 0.0).result()  # noqa: SLF001


def _kill_and_wait(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_logins_go_on_after_a_hashing_worker_is_killed():
    # Killed between hashes (say by the out-of-memory killer): the broken pool is replaced and the
    # next hash runs on a new worker, with the same low priority.
    h = AuthKeyHasher(time_cost=1, memory_kib=8, parallelism=1, concurrency=1)
    try:
        key = os.urandom(32)
        encoded = h.hash(key)
        first = _worker_pid(h)
        _kill_and_wait(first)
        assert h.verify(encoded, key) and not h.verify(encoded, os.urandom(32))
        second = _worker_pid(h)
        assert second != first
        policy, _ = h._pool.submit(hashing._scheduling).result()  # noqa: SLF001
        assert policy == getattr(os, "SCHED_IDLE", policy)
        # Killed in the middle of a hash awaited on the event loop: that hash runs again.
        slow = AuthKeyHasher(time_cost=3, memory_kib=65536, parallelism=4, concurrency=1)
        try:
            encoded = slow.hash(key)
            victim = _worker_pid(slow)

            async def login_while_killing() -> bool:
                pending = asyncio.ensure_future(slow.verify_async(encoded, key))
                await asyncio.sleep(0.03)
                _kill_and_wait(victim)
                return await pending

            assert asyncio.run(login_while_killing())
            assert _worker_pid(slow) != victim
            assert slow.hash(key) != encoded  # and new hashes, freshly salted
        finally:
            slow.close()
    finally:
        h.close()


def test_the_worker_module_imports_nothing_of_the_server():
    import ast
    tree = ast.parse(Path(hashing.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    runtime = {m for m in imported if m.startswith("vault_server")}
    assert runtime == {"vault_server.settings"}  # only under TYPE_CHECKING
    assert "if TYPE_CHECKING:" in Path(hashing.__file__).read_text()


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue
            if int(text[text.rindex(")") + 2:].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2:].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")
def test_hashing_workers_exit_when_the_server_is_killed(tmp_path: Path):
    server = ServerProcess(tmp_path / "server").start()
    try:
        workers = _children(server._proc.pid)  # noqa: SLF001 - the server process itself
        assert len(workers) >= 2, workers  # the hashing workers (and multiprocessing's tracker)
    finally:
        server._proc.send_signal(signal.SIGKILL)  # noqa: SLF001 - no chance to stop its pool
        server.close()
    deadline = time.monotonic() + 10 * hashing.PARENT_CHECK_SECONDS
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)]


def test_a_login_storm_larger_than_the_thread_pool_does_not_hold_up_syncs(tmp_path: Path):
    """More logins waiting for a hash at once than the worker-thread pool has threads (40): a
    sync is still answered at once, not after the logins queued before it (parked in worker
    threads, as they were, they made it wait for most of them)."""
    import threading

    import httpx

    from tests.helpers import fakes

    env = {"BV_ARGON2_MEMORY_KIB": "16384", "BV_ARGON2_TIME_COST": "2", "BV_ARGON2_PARALLELISM": "1",
           "BV_ARGON2_CONCURRENCY": "1"}
    storm = 72
    with ServerProcess(tmp_path / "server", env=env, fast_hashing=False) as server, \
            httpx.Client(base_url=server.api_url, timeout=120) as http:
        requests = []
        for n in range(storm + 1):
            body, auth_key = fakes.registration()
            resp = http.post("/accounts", json=body)
            assert resp.status_code == 201, resp.text
            login = {"email": body["email"], "auth_key": fakes.b64(auth_key), "device_name": "storm"}
            requests.append(("/login", login, 200))
        token = resp.json()["session"]["token"]  # the last account's: the syncing device
        done: list[bool] = []
        first = threading.Event()

        def send(path: str, body: dict, expected: int) -> None:
            with httpx.Client(base_url=server.api_url, timeout=120) as own:
                done.append(own.post(path, json=body).status_code == expected)
            first.set()

        threads = [threading.Thread(target=send, args=r) for r in requests[:storm]]
        for t in threads:
            t.start()
        first.wait(120)
        before = len(done)
        resp = http.post("/sync", json={"cursors": {}}, headers={"Authorization": f"Bearer {token}"})
        during = len(done) - before
        for t in threads:
            t.join()
        assert resp.status_code == 200
        assert done == [True] * storm
        # Parked in threads, the logins queued before the sync would all finish first.
        assert during <= 5, f"{during} logins finished while one sync waited"

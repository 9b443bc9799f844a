"""Argon2id hashing of auth keys, in worker processes that yield the CPU to request handling.

Verifying an auth key is deliberately slow and memory-hard (64 MiB, t=3, p=4 by default: about
0.2 s of CPU). Hashes run in ``argon2_concurrency`` worker processes, started with the server,
whose scheduling class is ``SCHED_IDLE`` on Linux (elsewhere: the lowest nice value): they run
only on CPU time that no request wants, and the scheduler preempts them at once when a request
thread wakes up. A burst of logins then costs other requests next to nothing; the logins
themselves wait for idle CPU. (Threads at nice 19 in the server process were not enough: a
waking request thread could wait out a hashing thread's time slice, several ms, at every hop,
and bench/login_storm.py showed sync p99 10 to 15 times its quiet value.)

This module is what the worker processes import, so it imports nothing of the server's.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import os
import secrets
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

if TYPE_CHECKING:
    from vault_server.settings import Settings

PARENT_CHECK_SECONDS = 1.0
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc's mallopt parameters
_KEEP_BYTES = 1 << 30
_hasher: PasswordHasher | None = None  # in a worker process: built by _start_worker


def _lowest_priority() -> str:
    """Put this process in the idle scheduling class (Linux), else at the lowest nice value; the
    threads Argon2 starts for its lanes inherit it. Returns what was set."""
    if sys.platform.startswith("linux"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return "idle"
        except (OSError, AttributeError):  # pragma: no cover - not permitted here
            pass
    try:
        os.nice(19)
        return "nice"
    except OSError:  # pragma: no cover - not permitted: hash at normal priority
        return "normal"


def _keep_hash_memory() -> bool:
    """Keep freed memory in this process for the next hash (glibc): an allocation of Argon2's
    size is otherwise a fresh mapping each time, so every hash faulted in and zeroed 64 MiB page
    by page and unmapped it again, about 16,000 page faults and a fifth of the hash's CPU spent
    in the kernel, where the scheduler cannot always take the CPU back for a request."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES))


def _exit_with_parent(parent: int) -> None:
    """Exit when the server process is gone (killed with no chance to stop its pool): every worker
    holds both ends of the pool's queues, so none would ever see end-of-file."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _password_hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism,
                          hash_len=32, salt_len=16, type=Type.ID)


def _start_worker(parent: int, time_cost: int, memory_kib: int, parallelism: int) -> None:
    global _hasher
    _lowest_priority()
    _keep_hash_memory()
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True).start()
    _hasher = _password_hasher(time_cost, memory_kib, parallelism)


def _hash(auth_key: bytes) -> str:
    assert _hasher is not None
    return _hasher.hash(auth_key)


def _verify(encoded_hash: str, auth_key: bytes) -> bool:
    assert _hasher is not None
    try:
        return _hasher.verify(encoded_hash, auth_key)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _scheduling() -> tuple[int, int]:
    """(scheduling policy, nice value) of the worker process (for tests)."""
    return (os.sched_getscheduler(0) if hasattr(os, "sched_getscheduler") else -1), os.nice(0)


def _ready(pause: float) -> int:
    time.sleep(pause)  # keep this worker busy so that the next warm-up call starts another
    return os.getpid()


class AuthKeyHasher:
    """Hash and verify auth keys on the low-priority worker processes."""

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int, concurrency: int):
        self._pool = ProcessPoolExecutor(
            max_workers=concurrency,
            mp_context=multiprocessing.get_context("spawn"),  # no fork of a threaded server
            initializer=_start_worker,
            initargs=(os.getpid(), time_cost, memory_kib, parallelism),
        )
        # Start every worker now (in the background), not in the middle of the first burst of logins.
        for _ in range(concurrency):
            self._pool.submit(_ready, 0.05)
        # Verified when the account does not exist, so both paths cost the same. Made here, once.
        self._dummy_hash = _password_hasher(time_cost, memory_kib, parallelism).hash(secrets.token_bytes(32))

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthKeyHasher:
        return cls(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib,
                   parallelism=settings.argon2_parallelism, concurrency=settings.argon2_concurrency)

    def __repr__(self) -> str:
        return "AuthKeyHasher()"

    def hash(self, auth_key: bytes) -> str:
        return self._pool.submit(_hash, auth_key).result()

    def verify(self, encoded_hash: str | None, auth_key: bytes) -> bool:
        """True when ``auth_key`` matches; with ``encoded_hash`` None, burns the same time, False."""
        return self._submit_verify(encoded_hash, auth_key).result() and encoded_hash is not None

    async def verify_async(self, encoded_hash: str | None, auth_key: bytes) -> bool:
        """``verify`` for a coroutine: waits on the event loop instead of in a thread."""
        return await asyncio.wrap_future(self._submit_verify(encoded_hash, auth_key)) and encoded_hash is not None

    def _submit_verify(self, encoded_hash: str | None, auth_key: bytes) -> Future[bool]:
        return self._pool.submit(_verify, encoded_hash or self._dummy_hash, auth_key)

    def close(self) -> None:
        """Stop the worker processes (after the hashes queued have run)."""
        self._pool.shutdown(wait=True)

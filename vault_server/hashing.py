"""Argon2id hashing of auth keys, in worker processes that yield the CPU to request handling.

Verifying an auth key is deliberately slow and memory-hard (64 MiB, t=3, p=4 by default: about
0.15 s of CPU). Hashes run in ``argon2_concurrency`` worker processes, started with the server,
whose scheduling class is ``SCHED_IDLE`` on Linux (elsewhere: the lowest nice value): they run
only on CPU time that no request wants. Three things keep a burst of logins from slowing the
requests around it (bench/login_storm.py measured each; docs/performance.md has the figures):

- the idle class: threads at nice 19 in the server process were not enough, a waking request
  thread could wait out a hashing thread's time slice at every hop (sync p99 10 to 15 times its
  quiet value);
- one thread per hash: the four lanes are computed on the worker's own thread, so with the
  default of one worker a CPU stays wholly idle for requests (two CPUs busy with idle-class
  hashing still doubled the sync p99: waking a thread on a CPU that is running something, even
  idle-class work, is slower than on an idle one), and no lane threads are started and joined
  twelve times a hash;
- memory kept between hashes, so a hash does not fault in and zero 64 MiB page by page.

This module is what the worker processes import, so it imports nothing of the server's.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ctypes
import hmac
import multiprocessing
import os
import resource
import secrets
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, TypeVar

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import HashingError, InvalidHashError, VerificationError
from argon2.low_level import ARGON2_VERSION, core, error_to_str, ffi, lib

if TYPE_CHECKING:
    from vault_server.settings import Settings

PARENT_CHECK_SECONDS = 1.0
T = TypeVar("T")
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc's mallopt parameters
_KEEP_BYTES = 1 << 30
SALT_BYTES, HASH_BYTES = 16, 32
_params: dict[str, int] | None = None  # in a worker process: set by _start_worker


def _lowest_priority() -> str:
    """Put this process in the idle scheduling class (Linux), else at the lowest nice value (any
    thread it starts inherits it). Returns what was set."""
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


def _one_thread_raw(secret: bytes, salt: bytes, *, time_cost: int, memory_kib: int, lanes: int,
                    hash_len: int) -> bytes:
    """Argon2id (version 1.3) of ``secret``, all ``lanes`` computed on this one thread.

    libargon2's ``threads`` does not change the result, only how many threads compute the lanes;
    argon2-cffi sets it to the number of lanes, which starts and joins four threads for each of
    the hash's twelve segments. One thread per hash leaves the other CPUs wholly idle, and a CPU
    that is idle, not merely running idle-class work, is what lets a request thread start at once
    (an idle-class Argon2 loop beside the server on both CPUs doubled the sync p99; on one, it did
    not: docs/performance.md, "Login storm").
    """
    out = ffi.new("uint8_t[]", hash_len)
    c_secret, c_salt = ffi.new("uint8_t[]", secret), ffi.new("uint8_t[]", salt)
    context = ffi.new("argon2_context *", {
        "out": out, "outlen": hash_len, "pwd": c_secret, "pwdlen": len(secret), "salt": c_salt,
        "saltlen": len(salt), "secret": ffi.NULL, "secretlen": 0, "ad": ffi.NULL, "adlen": 0,
        "t_cost": time_cost, "m_cost": memory_kib, "lanes": lanes, "threads": 1, "version": ARGON2_VERSION,
        "allocate_cbk": ffi.NULL, "free_cbk": ffi.NULL, "flags": lib.ARGON2_DEFAULT_FLAGS,
    })
    code = core(context, Type.ID.value)
    if code != lib.ARGON2_OK:
        raise HashingError(error_to_str(code))
    return bytes(ffi.buffer(out, hash_len))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")  # the PHC string format: no padding


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def hash_one_thread(secret: bytes, *, time_cost: int, memory_kib: int, lanes: int) -> str:
    """A new salted Argon2id hash in the PHC string form argon2-cffi writes and verifies."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _one_thread_raw(secret, salt, time_cost=time_cost, memory_kib=memory_kib, lanes=lanes,
                             hash_len=HASH_BYTES)
    return f"$argon2id$v={ARGON2_VERSION}$m={memory_kib},t={time_cost},p={lanes}${_b64(salt)}${_b64(digest)}"


def verify_one_thread(encoded_hash: str, secret: bytes) -> bool:
    """True when ``secret`` matches ``encoded_hash``: parameters and salt read from the string (as
    argon2-cffi reads them), the digest recomputed on one thread and compared in constant time.
    Hashes of another type or version, which this server never writes, go to argon2-cffi."""
    try:
        params = extract_parameters(encoded_hash)
        fields = encoded_hash.split("$")
        if params.type is not Type.ID or params.version != ARGON2_VERSION or len(fields) != 6:
            return PasswordHasher().verify(encoded_hash, secret)
        salt, expected = _unb64(fields[4]), _unb64(fields[5])
        digest = _one_thread_raw(secret, salt, time_cost=params.time_cost, memory_kib=params.memory_cost,
                                 lanes=params.parallelism, hash_len=len(expected))
    except (InvalidHashError, VerificationError, HashingError, binascii.Error, ValueError):
        return False
    return hmac.compare_digest(digest, expected)


def _start_worker(parent: int, time_cost: int, memory_kib: int, parallelism: int) -> None:
    global _params
    _lowest_priority()
    _keep_hash_memory()
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True).start()
    _params = {"time_cost": time_cost, "memory_kib": memory_kib, "lanes": parallelism}


def _hash(auth_key: bytes) -> str:
    assert _params is not None
    return hash_one_thread(auth_key, **_params)


def _scheduling() -> tuple[int, int]:
    """(scheduling policy, nice value) of the worker process (for tests)."""
    return (os.sched_getscheduler(0) if hasattr(os, "sched_getscheduler") else -1), os.nice(0)


def _threads_and_faults_of_hash(auth_key: bytes) -> tuple[int, int]:
    """(most threads this worker ran at once, minor page faults) during one hash (for tests)."""
    most, done = [0], threading.Event()

    def watch() -> None:
        while not done.wait(0.0005):
            most[0] = max(most[0], len(os.listdir("/proc/self/task")))

    watcher = threading.Thread(target=watch)
    watcher.start()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    _hash(auth_key)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    done.set()
    watcher.join()
    return most[0] - 1, faults  # less the watcher


def _ready(pause: float) -> int:
    time.sleep(pause)  # keep this worker busy so that the next warm-up call starts another
    return os.getpid()


class AuthKeyHasher:
    """Hash and verify auth keys on the low-priority worker processes.

    A worker that dies (killed, or chosen by the kernel's out-of-memory killer for its 64 MiB)
    breaks the whole process pool: every later submission would fail. The pool is then replaced
    once, and the hash that failed is run again on the new one, so logins go on working.
    """

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int, concurrency: int):
        self._initargs = (os.getpid(), time_cost, memory_kib, parallelism)
        self._concurrency = concurrency
        self._lock = threading.Lock()
        self._pool = self._start_pool()
        # Verified when the account does not exist, so both paths cost the same. Made here, once.
        self._dummy_hash = hash_one_thread(secrets.token_bytes(32), time_cost=time_cost, memory_kib=memory_kib,
                                           lanes=parallelism)

    def _start_pool(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(
            max_workers=self._concurrency,
            mp_context=multiprocessing.get_context("spawn"),  # no fork of a threaded server
            initializer=_start_worker,
            initargs=self._initargs,
        )
        # Start every worker now (in the background), not in the middle of the first burst of logins.
        for _ in range(self._concurrency):
            pool.submit(_ready, 0.05)
        return pool

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthKeyHasher:
        return cls(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib,
                   parallelism=settings.argon2_parallelism, concurrency=settings.argon2_concurrency)

    def __repr__(self) -> str:
        return "AuthKeyHasher()"

    def hash(self, auth_key: bytes) -> str:
        return self._run(_hash, auth_key)

    def verify(self, encoded_hash: str | None, auth_key: bytes) -> bool:
        """True when ``auth_key`` matches; with ``encoded_hash`` None, burns the same time, False."""
        return self._run(verify_one_thread, encoded_hash or self._dummy_hash, auth_key) and encoded_hash is not None

    async def verify_async(self, encoded_hash: str | None, auth_key: bytes) -> bool:
        """``verify`` for a coroutine: waits on the event loop instead of in a thread."""
        pool = self._pool
        args = (encoded_hash or self._dummy_hash, auth_key)
        try:
            ok = await asyncio.wrap_future(self._submit(pool, verify_one_thread, *args))
        except BrokenProcessPool:
            ok = await asyncio.wrap_future(self._replace(pool).submit(verify_one_thread, *args))
        return ok and encoded_hash is not None

    def _run(self, fn: Callable[..., T], *args: object) -> T:
        pool = self._pool
        try:
            return self._submit(pool, fn, *args).result()
        except BrokenProcessPool:
            return self._replace(pool).submit(fn, *args).result()

    def _submit(self, pool: ProcessPoolExecutor, fn: Callable[..., T], *args: object) -> Future[T]:
        try:
            return pool.submit(fn, *args)
        except BrokenProcessPool:  # known broken already: no work was lost, just start anew
            return self._replace(pool).submit(fn, *args)

    def _replace(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """A working pool instead of ``broken`` (once, however many requests found it broken)."""
        with self._lock:
            if self._pool is broken:
                broken.shutdown(wait=False, cancel_futures=True)
                self._pool = self._start_pool()
            return self._pool

    def close(self) -> None:
        """Stop the worker processes (after the hashes queued have run)."""
        self._pool.shutdown(wait=True)

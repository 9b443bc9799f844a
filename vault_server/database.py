"""Engines and transactions for SQLite and PostgreSQL.

``Database.read()`` gives a consistent snapshot (SQLite WAL snapshot, PostgreSQL REPEATABLE READ);
``Database.write()`` gives a transaction that commits on success and rolls back on any exception.

SQLite writes are serialised: a process-wide lock queues this process's writers, an advisory
file lock (``blindvault.db.lock`` beside the database, where the platform has ``flock``) queues
the writers of other server processes, and each write transaction starts with ``BEGIN IMMEDIATE``
so that no transaction fails half-way from read to write. Waiting writers sleep in the kernel
and wake when the lock is released, instead of polling SQLite's busy handler (whose back-off
let writers of several processes stall for half a second).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: SQLite's busy timeout alone
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import Connection, Engine, create_engine, event
from sqlmodel import Session

from vault_server.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 10_000
WRITE_LOCK_TIMEOUT_S = 30.0
_BEGIN_OPTION = "bv_begin"
# Connections kept open per process: as many as requests can use at once (the worker thread
# pool's 40 threads), so that a busy server reuses connections instead of opening and closing
# one per request past the pool (a new SQLite connection runs five pragmas; a PostgreSQL one a
# network handshake). The overflow covers the threads of the hot path (hotpath.HOT_THREADS, 16)
# and of logins (login.LOGIN_THREADS, 2), which are apart from that pool.
POOL_SIZE = 40
POOL_OVERFLOW = 18


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record) -> None:  # noqa: ANN001 - DB-API connection
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cur = dbapi_conn.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
            "PRAGMA foreign_keys=ON",
            "PRAGMA secure_delete=ON",
            "PRAGMA synchronous=NORMAL",
        ):
            cur.execute(pragma)
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn) -> None:  # noqa: ANN001 - SQLAlchemy Connection
        # On the driver's connection: SQLAlchemy's own execution path (events, result objects)
        # cost as much as the query a no-change sync is made of.
        conn.connection.driver_connection.execute(conn.get_execution_options().get(_BEGIN_OPTION, "BEGIN"))


def make_engine(settings: Settings) -> Engine:
    """An engine for the configured database; creates the SQLite data directory if needed."""
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        ensure_data_dir(settings.data_dir)
        _create_private_file(settings.sqlite_path)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)


def ensure_data_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def _create_private_file(path: Path) -> None:
    """Create the SQLite file owner-only (its -wal and -shm files inherit the mode)."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


class Database:
    """One engine plus the transaction discipline the server relies on."""

    def __init__(self, engine: Engine, lock_path: Path | None = None):
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self._lock_path = lock_path if self.is_sqlite and fcntl is not None else None
        self._lock_fd: int | None = None
        # Engines sharing the one pool, with the options every read or write transaction needs,
        # set once here instead of on every request.
        self._read_engine = engine if self.is_sqlite else engine.execution_options(isolation_level="REPEATABLE READ")
        self._write_engine = engine.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"}) if self.is_sqlite else engine
        self._statement_engine = engine if self.is_sqlite else engine.execution_options(isolation_level="AUTOCOMMIT")

    @property
    def snapshot_per_statement(self) -> bool:
        """Whether each statement on a ``statement_connection()`` sees its own snapshot."""
        return not self.is_sqlite

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine | None = None) -> Database:
        lock_path = settings.sqlite_path.with_name(settings.sqlite_path.name + ".lock")
        return cls(engine or make_engine(settings), lock_path if settings.is_sqlite else None)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction seeing one consistent snapshot; never commits.

        Closing the session ends the transaction (the pool rolls the connection back) and leaves
        loaded rows usable, detached, after the block.
        """
        with Session(self._read_engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: commit when the block ends normally, roll back on any exception."""
        with self._write_slot():
            with Session(self._write_engine, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """``read()`` as a bare Core connection (no ORM session): for the requests every device
        repeats, which run prebuilt Core statements only."""
        with self._read_engine.connect() as conn:
            yield conn

    @contextmanager
    def statement_connection(self) -> Iterator[Connection]:
        """A bare connection for reads of one statement each that need no snapshot in common (a
        token lookup; a vault list). On PostgreSQL it is outside any transaction (autocommit): no
        BEGIN and no ROLLBACK, which took 0.25 ms of the 0.38 ms of PostgreSQL CPU a no-change sync
        cost, and a round trip each. On SQLite, where a transaction costs next to nothing, it is
        ``read_connection()``."""
        with self._statement_engine.connect() as conn:
            yield conn

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """``write()`` as a bare Core connection: commit at the end, roll back on any exception."""
        with self._write_slot():
            with self._write_engine.connect() as conn:
                try:
                    yield conn
                    conn.commit()
                except BaseException:
                    conn.rollback()
                    raise

    @contextmanager
    def _write_slot(self) -> Iterator[None]:
        if self._write_lock is None:
            yield
            return
        # A timeout rather than a hang if a write transaction were ever nested in another.
        if not self._write_lock.acquire(timeout=WRITE_LOCK_TIMEOUT_S):
            raise TimeoutError("timed out waiting for the database write lock")
        try:
            if self._lock_path is None:
                yield
                return
            if self._lock_fd is None:
                self._lock_fd = os.open(self._lock_path, os.O_CREAT | os.O_RDWR, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        finally:
            self._write_lock.release()

    def truncate_wal(self) -> None:
        """SQLite: checkpoint the WAL into the database file and truncate it to zero bytes.

        ``secure_delete`` zeroes deleted rows in the pages it writes, but earlier page images (with
        the old bytes) stay in the WAL file until it is reused. After a large deletion (an account
        reset) this removes them from the disk files at once. Best effort: if long readers keep
        it from finishing, the WAL is reused soon anyway. Nothing to do on PostgreSQL.
        """
        if not self.is_sqlite:
            return
        with self._write_slot():
            raw = self.engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                cursor.close()
            finally:
                raw.close()

    def dispose(self) -> None:
        self.engine.dispose()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

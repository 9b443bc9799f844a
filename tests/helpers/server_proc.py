"""Start a real ``bv-server serve`` subprocess on a free loopback port, and stop it.

    with ServerProcess(tmp_path / "server") as server:      # SQLite in that data directory
        httpx.get(server.url + "/v1/health")
    with ServerProcess(tmp_path / "s", database_url=pg_url):  # PostgreSQL
        ...

The server's Argon2 parameters for auth-key hashing are lowered (``FAST_HASHING_ENV``) unless
``fast_hashing=False``: these tests are about the protocol, not the cost of a hash. Likewise the
per-address registration throttle is opened up (``QUIET_REGISTRATION_ENV``) unless
``quiet_registration=False``, since every test registers from 127.0.0.1; tests of the throttle
itself pass their own ``BV_REGISTER_*`` values in ``env`` (which always wins).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

FAST_HASHING_ENV = {"BV_ARGON2_TIME_COST": "1", "BV_ARGON2_MEMORY_KIB": "8", "BV_ARGON2_PARALLELISM": "1",
                    "BV_ARGON2_CONCURRENCY": "1"}
QUIET_REGISTRATION_ENV = {"BV_REGISTER_FREE_PER_ADDRESS": "100000", "BV_REGISTER_LOCKOUT_PER_ADDRESS": "1000000"}
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command() -> list[str]:
    """The installed ``bv-server`` script beside this interpreter, else ``python -m vault_server``."""
    script = Path(sys.executable).with_name("bv-server")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vault_server"]


class ServerStartError(RuntimeError):
    """The server process exited or did not answer in time; the message ends with its log."""


class ServerProcess:
    """One ``bv-server serve`` process. ``start()``/``stop()``, or use it as a context manager."""

    def __init__(self, data_dir: Path, *, database_url: str | None = None, env: dict[str, str] | None = None,
                 migrate: bool = True, fast_hashing: bool = True, quiet_registration: bool = True,
                 workers: int = 1, extra_args: list[str] | None = None):
        self.data_dir = Path(data_dir)
        self._database_url = database_url
        self._env = dict(env or {})
        self._migrate = migrate
        self._fast_hashing = fast_hashing
        self._quiet_registration = quiet_registration
        self._workers = workers
        self._extra_args = list(extra_args or [])
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="bv-server-", suffix=".log", delete=False)  # noqa: SIM115
        self.port = 0

    def __repr__(self) -> str:
        return f"ServerProcess(url={self.url!r}, backend={self.backend!r})"

    # -- addresses -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT`` (the API is under ``/v1``)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.url + "/v1"

    @property
    def backend(self) -> str:
        return "postgres" if self._database_url else "sqlite"

    @property
    def database_url(self) -> str:
        """SQLAlchemy URL of the server's database (to inspect or tamper with it in tests)."""
        return self._database_url or f"sqlite:///{self.data_dir / 'blindvault.db'}"

    # -- lifecycle -------------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BV_")}
        if self._fast_hashing:
            env.update(FAST_HASHING_ENV)
        if self._quiet_registration:
            env.update(QUIET_REGISTRATION_ENV)
        if self._database_url:
            env["BV_DATABASE_URL"] = self._database_url
        env.update(self._env)
        return env

    def start(self, timeout: float = START_TIMEOUT) -> ServerProcess:
        if self._proc is not None:
            raise RuntimeError("already started")
        for attempt in range(3):
            self.port = free_port()
            args = [*server_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                    "--data-dir", str(self.data_dir), "--workers", str(self._workers),
                    "--log-level", "warning", *self._extra_args]
            if self._migrate:
                args.append("--migrate")
            self._proc = subprocess.Popen(  # noqa: S603 - our own console script
                args, env=self.environment(), stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log
            )
            try:
                self._wait_ready(timeout)
                return self
            except ServerStartError:
                self.stop()
                if attempt == 2 or "address already in use" not in self.log_text().lower():
                    raise
        raise AssertionError("unreachable")

    def _wait_ready(self, timeout: float) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    raise ServerStartError(f"bv-server exited with {self._proc.returncode}:\n{self.log_text()}")
                try:
                    if client.get(self.api_url + "/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        raise ServerStartError(f"bv-server did not answer within {timeout}s:\n{self.log_text()}")

    def stop(self) -> int | None:
        """Stop the server (SIGTERM, then SIGKILL after a grace period); its exit status."""
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def run_cli(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run another ``bv-server`` command on this server's database, e.g.
        ``server.run_cli("reset-token", email)``; ``--data-dir`` and the environment are added."""
        return subprocess.run(  # noqa: S603 - our own console script
            [*server_command(), *args, "--data-dir", str(self.data_dir)], env=self.environment(), text=True,
            capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False,
        )

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_text(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text(encoding="utf-8", errors="replace")

    def close(self) -> None:
        self.stop()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

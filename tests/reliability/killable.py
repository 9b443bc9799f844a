"""A ``bv-server`` that can be SIGKILLed and restarted on the same port and data.

``ServerProcess`` picks a new port on every start; clients under test keep their server URL, so
a crash test needs the same address after a restart. One worker process, so SIGKILL of the
process we started is the whole server dying at once.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.helpers.server_proc import FAST_HASHING_ENV, free_port, server_command


class KillableServer:
    def __init__(self, data_dir: Path, *, database_url: str | None = None, env: dict[str, str] | None = None):
        self.data_dir = Path(data_dir)
        self.database_url = database_url
        self.port = free_port()
        self.log_path = self.data_dir.with_name(self.data_dir.name + ".log")
        self._env = dict(env or {})
        self._proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def __repr__(self) -> str:
        return f"KillableServer(url={self.url!r})"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "blindvault.db"

    def start(self, timeout: float = 30.0, *, file_limit: int | None = None) -> KillableServer:
        """Start (again) on the same port. ``file_limit``: RLIMIT_FSIZE in bytes, so that writing
        any file past that size fails as on a full disk."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("BV_")}
        env.update(FAST_HASHING_ENV)
        if self.database_url:
            env["BV_DATABASE_URL"] = self.database_url
        env.update(self._env)
        args = [*server_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                "--data-dir", str(self.data_dir), "--log-level", "warning", "--no-access-log", "--migrate"]
        deadline = time.monotonic() + timeout

        def limit() -> None:
            if file_limit is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,  # noqa: S603
                                          preexec_fn=limit)
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    # The port may linger for a moment after a kill: try again until the deadline.
                    time.sleep(0.1)
                    with open(self.log_path, "ab") as log:
                        self._proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL,  # noqa: S603
                                                      stdout=log, stderr=log, preexec_fn=limit)
                    continue
                try:
                    if client.get(self.url + "/v1/health").status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"bv-server did not come up:\n{self.log_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, open transactions die with the process."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            self.kills += 1
        if proc is not None:
            proc.wait()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def __enter__(self) -> KillableServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

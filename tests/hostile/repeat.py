"""Run one `bv` command line several times in one process, for many forged answers in little time.

    python -m tests.hostile.repeat TIMES ARG...      (with BV_HOME etc. set as for `bv`)

Each run calls the console script's own entry point (``vault_client.cli.fast.main``) with fresh
``sys.argv`` and prints one JSON line ``{"code", "out", "err", "state"}``, where ``state`` is a
digest of everything the device keeps (every cache row, the account and session files), taken after
the run. Nothing is shared between runs but the interpreter and its imported modules: every command
builds its own state from BV_HOME, as a separate `bv` process would.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sqlite3
import sys
from pathlib import Path


def once(argv: list[str]) -> tuple[int, str, str]:
    from vault_client.cli.fast import main

    out, err = io.StringIO(), io.StringIO()
    sys.argv = ["bv", *argv]
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def state_digest(home: Path) -> str:
    """SHA-256 over the device's stored state: cache rows, account settings, session."""
    h = hashlib.sha256()
    for name in ("account.json", "session.json", "secret-key", "contacts.json"):
        path = home / name
        h.update(name.encode() + b"=" + (path.read_bytes() if path.exists() else b"-") + b";")
    cache = home / "cache.sqlite3"
    if cache.exists():
        with contextlib.closing(sqlite3.connect(cache)) as db:
            for table in ("vaults", "items", "pending"):
                for row in db.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):  # noqa: S608 - fixed names
                    h.update(repr((table, row)).encode())
    return h.hexdigest()


def main() -> None:
    times, argv = int(sys.argv[1]), sys.argv[2:]
    home = Path(os.environ["BV_HOME"])
    for _ in range(times):
        code, out, err = once(argv)
        line = {"code": code, "out": out, "err": err, "state": state_digest(home)}
        sys.__stdout__.write(json.dumps(line) + "\n")
        sys.__stdout__.flush()


if __name__ == "__main__":
    main()

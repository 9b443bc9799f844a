"""Checks on a `bv` device after a failure: what it keeps, and how the failure was reported."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing

from tests.client.bv import Device, Result


def snapshot(device: Device) -> dict[str, object]:
    """Everything the device keeps: file digests, and the cache's rows (not its page layout)."""
    out: dict[str, object] = {}
    for path in sorted(device.home.iterdir()):
        if path.is_file() and not path.name.startswith("cache.sqlite3"):
            out[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    cache = device.home / "cache.sqlite3"
    with closing(sqlite3.connect(f"file:{cache}?mode=ro", uri=True)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        for table in ("meta", "vaults", "items", "pending"):
            out[f"cache:{table}"] = sorted(db.execute(f"SELECT * FROM {table}").fetchall())  # noqa: S608
    return out


def assert_clear_failure(result: Result, *fragments: str) -> None:
    """A non-zero exit with `bv: error:` first, only `bv:` lines on stderr, no traceback or
    internal error, and each of ``fragments`` in the error line."""
    lines = result.err.strip().splitlines()
    assert result.code != 0, result
    assert lines and lines[0].startswith("bv: error: "), result
    assert all(line.startswith(("bv: error: ", "bv: hint: ", "bv: notice: ", "bv: warning: ")) for line in lines), result
    assert "Traceback" not in result.err and "internal error" not in result.err, result
    for fragment in fragments:
        assert fragment in lines[0], (fragment, result)

"""What every hostile-server test asserts, and the devices it drives.

- ``refused(result)``: the client stopped with one ``bv: error:`` line and a hint, the expected exit
  status (5 = integrity failure, refused KDF, changed key), and no traceback or "internal error".
- ``CacheState.of(device)``: every row of the device's cache (vaults, items, queued writes), read
  straight from the SQLite file, to compare before and after an attack: nothing forged is stored.
"""

from __future__ import annotations

import json
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

from tests.client.bv import Device, Result

INTEGRITY = 5
PYTHON_NOISE = ("Traceback", "internal error", "Exception", 'File "', "Error:", "KeyError", "TypeError",
                "ValueError", "AttributeError")


def refused(result: Result, *, status: int = INTEGRITY, says: str | None = None) -> None:
    """Assert a clean refusal: exit ``status``, exactly one error line (plus an optional hint)."""
    assert result.code == status, result
    clean(result)
    if says is not None:
        assert says in result.err, result


def clean(result: Result) -> None:
    """A failure the user can read: `bv: error: ...` (+ `bv: hint: ...`), never Python's own words."""
    lines = [line for line in result.err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("bv: error: ")]
    assert len(errors) == 1, result
    prefixes = ("bv: error: ", "bv: hint: ", "bv: notice: ", "bv: warning: ")
    assert all(line.startswith(prefixes) for line in lines), result
    for noise in PYTHON_NOISE:
        assert noise not in result.err.replace("bv: error:", ""), result


@dataclass(frozen=True)
class CacheState:
    vaults: tuple
    items: tuple
    pending: tuple

    @classmethod
    def of(cls, device: Device) -> CacheState:
        path = device.home / "cache.sqlite3"
        if not path.exists():
            return cls((), (), ())
        with closing(sqlite3.connect(path, timeout=30)) as db:
            return cls(tuple(db.execute("SELECT * FROM vaults ORDER BY vault_id")),
                       tuple(db.execute("SELECT * FROM items ORDER BY vault_id, item_id")),
                       tuple(db.execute("SELECT vault_id, item_id, base_revision, blob FROM pending "
                                        "ORDER BY vault_id, item_id")))

    def item(self, item_id: str) -> tuple | None:
        return next((row for row in self.items if row[1] == item_id), None)

    def vault_ids(self) -> set[str]:
        return {row[0] for row in self.vaults}


def listing(device: Device) -> list[dict]:
    """`bv list --json`: what the user is shown (read from the cache, no network)."""
    return json.loads(device.ok("list", "--json").out)


def new_email(tag: str) -> str:
    return f"{tag}-{uuid4().hex[:10]}@example.org"


def create_account(device: Device, server: str, email: str) -> Path:
    """`bv account create` on ``device``; returns the Emergency Kit file."""
    kit = device.home.parent / f"kit-{device.home.name}.txt"
    device.ok("account", "create", "--server", server, "--email", email, "--kit", str(kit))
    return kit


def secret_key(kit: Path) -> str:
    m = re.search(r"Secret Key:\s+(\S+)", kit.read_text())
    assert m
    return m.group(1)


def item_ids(device: Device) -> dict[str, str]:
    """Item name -> item id, as the device shows them."""
    return {e["name"]: e["item_id"] for e in listing(device)}

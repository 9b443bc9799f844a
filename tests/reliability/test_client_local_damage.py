"""A damaged device: a cache file corrupted or truncated, damaged settings, a full disk.

The real `bv` must refuse with a clear one-line error and a non-zero exit, overwrite nothing good
(the damaged file is kept for inspection, the good ones are untouched), and recover with
`bv sync --rebuild` (damaged cache) or once there is room again (full disk), with every item there.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.client.bv import BV, Device, Result
from tests.helpers.server_proc import ServerProcess
from tests.reliability.device_checks import assert_clear_failure, snapshot

ITEMS = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with ServerProcess(tmp_path_factory.mktemp("local-damage") / "server") as srv:
        yield srv


@pytest.fixture(scope="module")
def template(server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Device:
    """One device with an account and a few synced items; each test gets a copy of its home."""
    root = tmp_path_factory.mktemp("template")
    dev = Device(root, "dev")
    dev.ok("account", "create", "--server", server.url, "--email", "local@example.org", "--kit", str(root / "kit"))
    for i in range(ITEMS):
        dev.ok("add", "login", f"Site {i}", "--username", f"user{i}", input=f"pw-{i}\n")
    db = sqlite3.connect(dev.home / "cache.sqlite3")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything into the main file
    db.close()
    return dev


@pytest.fixture
def device(template: Device, tmp_path: Path) -> Device:
    dev = Device(tmp_path, "dev")
    for path in template.home.iterdir():
        if path.is_file():
            shutil.copy2(path, dev.home / path.name)
    shutil.copy2(template.home.parent / "kit", tmp_path / "kit")
    return dev


def names(device: Device) -> set[str]:
    return {e["name"] for e in json.loads(device.ok("list", "--json").out)}


def files(device: Device) -> dict[str, bytes]:
    """The device's files, without SQLite's -wal and -shm companions (made and removed on open)."""
    return {p.name: p.read_bytes() for p in device.home.iterdir()
            if p.is_file() and not p.name.endswith(("-wal", "-shm"))}


def garbage(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size))


def truncate_half(path: Path) -> None:
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size // 2)


def zero_middle_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    for start in range(page, len(data) - page, page * 2):  # every other page after the first
        data[start:start + page] = bytes(page)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [garbage, truncate_half, zero_middle_pages], ids=lambda f: f.__name__)
def test_a_damaged_cache_is_refused_kept_and_rebuilt(device: Device, damage) -> None:  # noqa: ANN001
    cache = device.home / "cache.sqlite3"
    damage(cache)
    before = files(device)
    result = device.run("list")
    assert_clear_failure(result, "The local cache is damaged")
    assert "bv sync --rebuild" in result.err
    assert files(device) == before  # nothing rewritten, the damaged file kept as it was
    device.ok("sync", "--rebuild")
    assert names(device) == {f"Site {i}" for i in range(ITEMS)}
    kept = [p for p in device.home.iterdir() if p.name.startswith("cache.sqlite3.damaged-")]
    assert kept and kept[0].read_bytes() == before["cache.sqlite3"]


@pytest.mark.parametrize("name,content", [
    ("account.json", b"\x00garbage"),
    ("account.json", b'{"version": 1, "server": "http://127.0.0.1:1"'),  # truncated
    ("account.json", b'{"version": 1, "server": 5}'),  # wrong types
    ("session.json", b"garbage"),
    ("secret-key", b"BV1-NOT-A-KEY\n"),
])
def test_damaged_settings_are_refused_and_left_alone(device: Device, name: str, content: bytes) -> None:
    (device.home / name).write_bytes(content)
    before = snapshot(device)
    result = device.run("sync")
    assert_clear_failure(result)
    assert snapshot(device) == before


def run_with_file_limit(device: Device, limit: int, *args: str, input: str = "") -> Result:
    """Run `bv` with RLIMIT_FSIZE: any write past ``limit`` bytes fails (EFBIG), as on a full disk."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run([BV, *args], input=input, capture_output=True, text=True, env=device.env(),  # noqa: S603
                          timeout=120, preexec_fn=cap, check=False)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def test_a_full_disk_while_writing_the_cache_changes_nothing(device: Device, tmp_path: Path) -> None:
    other = Device(tmp_path, "other")
    other.ok("login", "--kit", str(tmp_path / "kit"))
    payload = "\n".join(["name,url,username,password"] + [f"Bulk {i},https://b{i}.example,u{i},p{i}-" + "x" * 300
                                                           for i in range(300)])
    (tmp_path / "bulk.csv").write_text(payload + "\n")
    other.ok("import", "chrome-csv", str(tmp_path / "bulk.csv"))

    cache = device.home / "cache.sqlite3"
    before = snapshot(device)
    limit = cache.stat().st_size + 8192  # room for a little, not for 300 items
    result = run_with_file_limit(device, limit, "sync")
    assert_clear_failure(result, "disk")
    assert "rebuild" not in result.err  # a full disk is not a damaged cache
    assert snapshot(device) == before

    # No room even for the first page of SQLite's write-ahead log: the edit itself cannot be queued.
    result = run_with_file_limit(device, 4096, "add", "login", "While full", "--username", "w", input="pw\n")
    assert_clear_failure(result, "disk")
    assert snapshot(device) == before

    device.ok("sync")
    assert len(names(device)) == ITEMS + 300

"""Backups as docs/operations.md describes them, restored and used by a real client.

SQLite: an online backup (Python's ``Connection.backup`` and the ``sqlite3 .backup`` command) of
a live server's database while a client keeps writing; the copy goes into a new data directory,
a new server starts on it, and a fresh device syncs: every item written before the backup is
there and opens, every manifest verifies. A device that saw writes made after the backup refuses
the restored (older) server as a rollback. PostgreSQL: ``pg_dump`` and ``pg_restore`` into a new
database, then the same checks.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest

from tests.helpers.pg import temporary_pg_database
from tests.helpers.server_proc import ServerProcess
from tests.reliability.lib_client import LibDevice
from vault_client.errors import IntegrityFailure

BEFORE = 25


def write_items(device: LibDevice, prefix: str, count: int) -> list[str]:
    tokens = [f"{prefix}-{i:03d}" for i in range(count)]
    for token in tokens:
        device.add(token)
        device.sync()
    return tokens


def keep_writing(device: LibDevice, stop: threading.Event, written: list[str]) -> threading.Thread:
    def loop() -> None:
        i = 0
        while not stop.is_set() and i < 200:
            token = f"during-{i:03d}"
            device.add(token)
            device.sync()
            written.append(token)
            i += 1

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def python_backup(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=64)  # in steps: the server keeps writing in between
    finally:
        dst.close()
        src.close()


def cli_backup(source: Path, target: Path) -> None:
    if shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 command is not installed")
    subprocess.run(["sqlite3", str(source), f".backup '{target}'"], check=True, timeout=60)  # noqa: S603, S607


def check_restored(device: LibDevice, restored_url: str, root: Path, expected: list[str]) -> None:
    """A fresh device on the restored server: every expected item is there and opens."""
    fresh = device.login_device(root, server_url=restored_url)  # pulls; every blob and manifest verified
    text = "\n".join(fresh.documents().values())
    missing = [t for t in expected if t not in text]
    assert not missing, missing[:5]
    fresh.close()


@pytest.mark.parametrize("backup", [python_backup, cli_backup], ids=["Connection.backup", "sqlite3 .backup"])
def test_sqlite_online_backup_restores_every_item(tmp_path: Path, backup) -> None:  # noqa: ANN001
    with ServerProcess(tmp_path / "live") as live:
        alice = LibDevice.register(live.url, tmp_path / "alice")
        before = write_items(alice, "before", BEFORE)
        writer = alice.login_device(tmp_path / "writer")
        stop, during = threading.Event(), []
        thread = keep_writing(writer, stop, during)
        while len(during) < 3:
            thread.join(0.05)
        backup_file = tmp_path / "backup.db"
        backup(live.data_dir / "blindvault.db", backup_file)
        stop.set()
        thread.join(60)
        after = write_items(alice, "after", 2)  # newer than the backup, seen by alice

    with sqlite3.connect(backup_file) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    restored_dir = tmp_path / "restored"
    restored_dir.mkdir(mode=0o700)
    shutil.copy2(backup_file, restored_dir / "blindvault.db")
    with ServerProcess(restored_dir) as restored:
        check_restored(alice, restored.url, tmp_path / "fresh", before)
        # Alice's own device saw `after`: the restored server is older, and it says so.
        alice.use_server(restored.url)
        with pytest.raises(IntegrityFailure, match="rolled back"):
            alice.sync()
    assert after and during
    alice.close()
    writer.close()


def test_pg_dump_restores_every_item(tmp_path: Path, pg_url: str) -> None:
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump / pg_restore are not installed")
    libpq = pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with ServerProcess(tmp_path / "live", database_url=pg_url) as live:
        alice = LibDevice.register(live.url, tmp_path / "alice")
        before = write_items(alice, "before", BEFORE)
        dump = tmp_path / "bv.dump"
        subprocess.run(["pg_dump", "-Fc", "-f", str(dump), libpq], check=True, timeout=120)  # noqa: S603, S607
    with temporary_pg_database() as target:
        subprocess.run(["pg_restore", "--no-owner", "-d", target.replace("postgresql+psycopg://", "postgresql://", 1),  # noqa: S603, S607
                        str(dump)], check=True, timeout=120)
        with ServerProcess(tmp_path / "restored", database_url=target) as restored:
            check_restored(alice, restored.url, tmp_path / "fresh", before)
    alice.close()

"""A realistic session through the real CLI and server, then `bv-server audit`: clean. Then plant
plaintext where ciphertext belongs, in a column, and in the files: each one is flagged.

The session runs once per back end (module fixtures); each planting works on its own copy of
the SQLite data directory, or on the PostgreSQL database after the clean audit.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import warnings
from pathlib import Path

import pytest

from tests.audit.session import run_session
from tests.helpers.pg import temporary_pg_database
from tests.helpers.server_proc import ServerProcess, server_command

PLANTED_SECRET = "garage door code is 8812 and the spare key is under the blue flowerpot"


def audit(data_dir: Path, *, database_url: str | None = None) -> tuple[int, dict, str]:
    env = {k: v for k, v in ServerProcess(data_dir).environment().items() if not k.startswith("BV_")}
    if database_url:
        env["BV_DATABASE_URL"] = database_url
    proc = subprocess.run([*server_command(), "audit", "--data-dir", str(data_dir), "--json"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode in (0, 1), proc
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def findings(report: dict, where: str) -> list[str]:
    return [f["reason"] for f in report["findings"] if f["where"] == where]


@pytest.fixture(scope="module")
def sqlite_session(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("audit-sqlite")
    with ServerProcess(root / "server") as server:
        session = run_session(server, root)
        for reason in session.skipped:
            warnings.warn(f"part of the realistic session was skipped: {reason}", stacklevel=1)
        live = audit(server.data_dir)  # while the server runs: WAL and shared memory in use
    pristine = root / "pristine"
    shutil.copytree(server.data_dir, pristine)
    yield session, live, pristine


def _copy(pristine: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "data"))


def _sqlite(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(data_dir / "blindvault.db")


# -- clean ----------------------------------------------------------------------------------------


def test_realistic_session_audits_clean(sqlite_session) -> None:
    session, (code, report, _), pristine = sqlite_session
    assert code == 0 and report["clean"], report["findings"]
    tables = {t["name"]: t for t in report["tables"]}
    assert {"accounts", "items", "vault_members", "attachments", "reset_tokens", "invitations"} <= set(tables)
    assert all(c["class"] != "UNCLASSIFIED" for t in tables.values() for c in t["columns"])
    seen = report["operator_can_see"]
    assert seen["accounts"] == 4 and seen["deleted_items"] >= 1 and seen["attachments"] == 1
    assert seen["accounts_with_recovery_code"] == 1 and seen["reset_tokens"] == 1
    if session.shared:
        assert seen["shared_vaults"] == 1
    assert {f["file"] for f in report["files"]} >= {"blindvault.db", "blindvault.db-wal"}
    # After the server stopped (WAL checkpointed), still clean.
    code, report, _ = audit(_copy(pristine, pristine.parent / "stopped"))
    assert code == 0, report["findings"]


def test_no_secret_typed_in_reaches_the_server_files(sqlite_session) -> None:
    """Independent of the audit's heuristics: the exact secrets are nowhere in the raw bytes."""
    session, _, pristine = sqlite_session
    blobs = b"".join(p.read_bytes() for p in pristine.iterdir() if p.is_file())
    for secret in session.secrets:
        assert secret.encode() not in blobs, secret


def test_text_report_ends_with_what_the_operator_sees(sqlite_session, tmp_path: Path) -> None:
    proc = subprocess.run([*server_command(), "audit", "--data-dir", str(_copy(sqlite_session[2], tmp_path))],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc
    assert "CLEAN" in proc.stdout and "What the operator of this database can see" in proc.stdout
    assert "items.blob" not in proc.stdout and "ciphertext" in proc.stdout


# -- planted ----------------------------------------------------------------------------------------


def test_plaintext_in_a_blob_column_is_flagged(sqlite_session, tmp_path: Path) -> None:
    data = _copy(sqlite_session[2], tmp_path)
    with _sqlite(data) as db:
        # A valid header and item length (30 + 512), but the body is the item in clear.
        body = json.dumps({"name": "Bank", "password": "bank-pin-and-password-9931"}).encode()
        db.execute("UPDATE items SET blob = ? WHERE rowid = (SELECT min(rowid) FROM items WHERE blob IS NOT NULL)",
                   (b"\x01\x04" + body.ljust(540, b"\0"),))
    code, report, _ = audit(data)
    assert code == 1 and not report["clean"]
    assert any("readable text" in r for r in findings(report, "items.blob")), report["findings"]


def test_plaintext_column_value_is_flagged(sqlite_session, tmp_path: Path) -> None:
    data = _copy(sqlite_session[2], tmp_path)
    with _sqlite(data) as db:
        db.execute("UPDATE accounts SET auth_hash = 'my password is hunter2, do not tell anyone' "
                   "WHERE email = 'loner@example.org'")
        db.execute("UPDATE vaults SET manifest_mac = CAST('not a mac, a sentence in words' AS BLOB) "
                   "WHERE rowid = 1")
    code, report, _ = audit(data)
    assert code == 1
    assert any("reads as words" in r for r in findings(report, "accounts.auth_hash")), report["findings"]
    assert findings(report, "vaults.manifest_mac"), report["findings"]
    # The same text is also found by the raw scan of the database file.
    file_hits = [f["reason"] for f in report["findings"] if f["where"].startswith("file ")]
    assert any("hunter2" in r for r in file_hits), report["findings"]


def test_raw_text_in_the_sqlite_files_is_flagged(sqlite_session, tmp_path: Path) -> None:
    data = _copy(sqlite_session[2], tmp_path)
    with _sqlite(data) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
        db.execute("INSERT INTO notes VALUES (?)", (PLANTED_SECRET,))
        db.execute("ALTER TABLE items ADD COLUMN title TEXT")
    (data / "operator-notes.txt").write_text("reminder: the backup passphrase is orange tiger river\n")
    code, report, _ = audit(data)
    assert code == 1
    assert findings(report, "notes") == ["unknown table: not in the audit's registry"]
    assert any("readable text" in r for r in findings(report, "notes.body"))
    assert any("unclassified column" in r for r in findings(report, "items.title"))
    in_files = [f["reason"] for f in report["findings"] if f["where"].startswith("file blindvault.db")]
    assert any("garage door" in r for r in in_files), report["findings"]
    assert any("backup passphrase" in r for r in findings(report, "file operator-notes.txt"))


def test_missing_database_is_an_error_not_a_new_file(tmp_path: Path) -> None:
    proc = subprocess.run([*server_command(), "audit", "--data-dir", str(tmp_path / "nothing")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "no database" in proc.stderr
    assert not (tmp_path / "nothing").exists()


# -- PostgreSQL ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_session(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("audit-pg")
    with temporary_pg_database() as url, ServerProcess(root / "server", database_url=url) as server:
        yield run_session(server, root, short=True), server, url


def test_postgres_session_audits_clean_then_flags_plantings(pg_session) -> None:
    from sqlalchemy import create_engine, text

    session, server, url = pg_session
    code, report, _ = audit(server.data_dir, database_url=url)
    assert code == 0 and report["clean"], report["findings"]
    assert report["database"]["backend"] == "postgresql" and report["files"] is None

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE items SET blob = :b WHERE item_id = (SELECT item_id FROM items "
                          "WHERE blob IS NOT NULL LIMIT 1)"),
                     {"b": b"\x01\x04" + b'{"password": "hunter2-on-postgres"}'.ljust(540, b"\0")})
        conn.execute(text("UPDATE device_sessions SET token_hash = :t WHERE id = (SELECT id FROM device_sessions "
                          "LIMIT 1)"), {"t": b"plain session token, no hash"})
        conn.execute(text("CREATE TABLE notes (body TEXT)"))
        conn.execute(text("INSERT INTO notes VALUES (:s)"), {"s": PLANTED_SECRET})
        conn.execute(text("CREATE SCHEMA hidden"))  # a table outside the server's schema is seen too
        conn.execute(text("CREATE TABLE hidden.stash (id INT PRIMARY KEY, note TEXT)"))
        conn.execute(text("INSERT INTO hidden.stash VALUES (1, 'pin for the front door is 2580, do not forget')"))
    engine.dispose()
    code, report, _ = audit(server.data_dir, database_url=url)
    assert code == 1
    assert any("readable text" in r for r in findings(report, "items.blob")), report["findings"]
    assert findings(report, "device_sessions.token_hash")
    assert findings(report, "notes") and any("garage door" in r for r in findings(report, "notes.body"))
    assert findings(report, "hidden.stash") and any("front door" in r for r in findings(report, "hidden.stash.note"))

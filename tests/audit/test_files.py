"""The raw file scan: runs across chunk edges, accounted-for metadata, and what stays flagged."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vault_server.audit import files
from vault_server.audit.tables import DatabaseScan

PHRASE = "the spare key is under the blue flowerpot"


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "CHUNK", 64)


@pytest.mark.parametrize("text", [PHRASE, "пароль от банка и почты", "銀行のパスワードは秘密です"])
@pytest.mark.parametrize("at", [0, 50, 61, 63, 64, 127, 500])
def test_text_across_chunk_edges_is_found_whole(small_chunks: None, tmp_path: Path, text: str, at: int) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(at) + text.encode() + bytes(300))
    scan = files.scan_file(path, tmp_path)
    assert scan.candidates == [(at, text)]


def test_random_file_has_runs_but_no_candidates(small_chunks: None, tmp_path: Path) -> None:
    (tmp_path / "r.bin").write_bytes(os.urandom(1 << 20))
    scan = files.scan_file(tmp_path / "r.bin", tmp_path)
    assert scan.runs > 50 and scan.candidates == []


def _db(**kwargs: set[str]) -> DatabaseScan:
    scan = DatabaseScan()
    for key, value in kwargs.items():
        getattr(scan, key).update(value)
    return scan


def test_accounted_metadata_is_cut_and_the_rest_flagged(tmp_path: Path) -> None:
    data = (b"\x00AAowner@example.org\x00MMLAbv on laptop-of-olivia\x0f"
            b"2026-12-04 16:31:36.383289d41d8cd98f00b204e9800998ecf8427e\x00"
            b"$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA\x01"
            + PHRASE.encode() + b"\x00")
    (tmp_path / "blindvault.db").write_bytes(data)
    scanned = files.scan_directory(tmp_path)
    db = _db(accounted={"owner@example.org", "bv on laptop-of-olivia"})
    findings = files.classify(scanned, db)
    assert [(f.where, f.locator) for f in findings] == [("file blindvault.db", f"offset {data.index(b'the spare')}")]
    assert PHRASE[:20] in findings[0].reason
    # Without the accounted values, the email and device name are flagged too.
    assert len(files.classify(files.scan_directory(tmp_path), _db())) == 3


def test_an_older_copy_of_the_schema_counts_as_schema(tmp_path: Path) -> None:
    old = (b'CREATE TABLE "_alembic_tmp_vault_members" (\n\trole VARCHAR(10) NOT NULL, \n\tvault_id CHAR(32) NOT NULL,'
           b" \n\tCONSTRAINT pk_vault_members PRIMARY KEY (vault_id, account_id))")
    (tmp_path / "blindvault.db-wal").write_bytes(b"\x00" + old + b"\x00")
    vocabulary = {"_alembic_tmp_vault_members", "role", "vault_id", "account_id", "pk_vault_members", "CREATE",
                  "TABLE", "VARCHAR", "CHAR", "NOT", "NULL", "CONSTRAINT", "PRIMARY", "KEY"}
    assert files.classify(files.scan_directory(tmp_path), _db(vocabulary=vocabulary)) == []
    assert files.classify(files.scan_directory(tmp_path), _db()) != []


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_flagged(tmp_path: Path) -> None:
    path = tmp_path / "locked"
    path.write_bytes(b"x")
    path.chmod(0)
    try:
        findings = files.classify(files.scan_directory(tmp_path), _db())
    finally:
        path.chmod(0o600)
    assert [f.reason.split(":")[0] for f in findings] == ["could not be read"]

"""End to end: a file of a few MiB attached on one device and fetched on another, the server
holding only ciphertext of it; a swapped blob is caught; the size limit; removal."""

from __future__ import annotations

import json
import os
import random
import sqlite3
from pathlib import Path

import pytest

from tests.daily.devices import InProcess, pair
from tests.helpers.server_proc import ServerProcess

CANARY = b"BLINDVAULT-ATTACHMENT-PLAINTEXT-CANARY|"


def _db(server: ServerProcess) -> Path:
    return Path(server.database_url.removeprefix("sqlite:///"))


def _stored(server: ServerProcess) -> list[tuple[int, bytes]]:
    with sqlite3.connect(_db(server)) as db:
        return [(rowid, bytes(blob)) for rowid, blob in db.execute("SELECT rowid, blob FROM attachments")]


def _server_files(server: ServerProcess) -> list[bytes]:
    return [p.read_bytes() for p in server.data_dir.rglob("*") if p.is_file()]


def test_attachment_round_trip_between_devices(server: ServerProcess, email: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture) -> None:
    dev_a, dev_b = pair(server.url, email, tmp_path)
    a, b = InProcess(monkeypatch, capsys, dev_a.env()), InProcess(monkeypatch, capsys, dev_b.env())
    a.ok("add", "login", "Passport", "--username", "me", input="pw\n")

    rng = random.Random(11)
    data = rng.randbytes(3 * 2**20 // 2) + CANARY * 2000 + rng.randbytes(3 * 2**20 // 2)  # ~3.1 MiB
    source = tmp_path / "passport.pdf"
    source.write_bytes(data)
    attached = dev_a.run("attach", "Passport", str(source))  # the console script, once
    assert attached.code == 0 and "Attached 'passport.pdf'" in attached.out, attached

    # The server holds ciphertext only: no run of the plaintext in any file of its data directory.
    files = _server_files(server)
    assert sum(len(f) for f in files) > len(data)  # the blob is there...
    probes = [CANARY * 2] + [data[i:i + 32] for i in rng.sample(range(len(data) - 32), 64)]
    for probe in probes:
        assert not any(probe in f for f in files)  # ...but not the file
    (row, blob), = _stored(server)
    assert blob[:2] == b"\x01\x09" and len(data) < len(blob) <= len(data) + 32 * 1024 + 30

    # The other device syncs the item and fetches, checks and opens the file.
    b.ok("sync")
    shown = json.loads(b.ok("get", "Passport", "--json").out)
    assert [(x["name"], x["size"]) for x in shown["attachments"]] == [("passport.pdf", len(data))]
    assert "key" not in shown["attachments"][0]
    target = tmp_path / "fetched.pdf"
    fetched = dev_b.run("get", "Passport", "--attachment", "passport.pdf", "-o", str(target))
    assert fetched.code == 0, fetched
    assert target.read_bytes() == data and oct(target.stat().st_mode & 0o777) == "0o600"
    exists = b("get", "Passport", "--attachment", "passport.pdf", "-o", str(target))
    assert exists.code == 2 and "exists" in exists.err

    # A hostile server swaps in another genuine blob of the same vault: caught, nothing written.
    small = tmp_path / "note.txt"
    small.write_bytes(b"a small second file")
    b.ok("attach", "Passport", str(small))
    rows = _stored(server)
    assert len(rows) == 2
    (row1, blob1), (row2, blob2) = rows
    with sqlite3.connect(_db(server)) as db:
        db.execute("UPDATE attachments SET blob = ? WHERE rowid = ?", (blob2, row1))
        db.execute("UPDATE attachments SET blob = ? WHERE rowid = ?", (blob1, row2))
    a.ok("sync")
    for name in ("passport.pdf", "note.txt"):
        out = tmp_path / f"swapped-{name}"
        swapped = a("get", "Passport", "--attachment", name, "-o", str(out))
        assert swapped.code == 5 and "not the file the item records" in swapped.err, swapped
        assert not out.exists()
    with sqlite3.connect(_db(server)) as db:  # put them back
        db.execute("UPDATE attachments SET blob = ? WHERE rowid = ?", (blob1, row1))
        db.execute("UPDATE attachments SET blob = ? WHERE rowid = ?", (blob2, row2))
    assert a.ok("get", "Passport", "--attachment", "note.txt", "-o", "-").out == "a small second file"

    # Removing with --purge deletes the blob; the item's history records the change.
    a.ok("attach", "Passport", "--remove", "note.txt", "--purge")
    assert len(_stored(server)) == 1
    b.ok("sync")
    assert [x["name"] for x in json.loads(b.ok("get", "Passport", "--json").out)["attachments"]] == ["passport.pdf"]
    changes = json.loads(b.ok("history", "Passport", "--json").out)["versions"]
    assert changes[0]["changed"] == ["attachments"]


def test_attachments_have_a_size_limit(server: ServerProcess, email: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    dev_a, _ = pair(server.url, email, tmp_path)
    a = InProcess(monkeypatch, capsys, dev_a.env(BV_MAX_ATTACHMENT_BYTES="4096"))
    a.ok("add", "note", "Docs", input="some notes\n")
    before = len(_stored(server))
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(5000))
    refused = a("attach", "Docs", str(big))
    assert refused.code == 2 and "at most 4096 bytes" in refused.err
    assert len(_stored(server)) == before  # nothing was uploaded
    fits = tmp_path / "fits.bin"
    fits.write_bytes(os.urandom(4096))
    a.ok("attach", "Docs", str(fits), "--name", "exactly-4k.bin")
    again = a("attach", "Docs", str(fits), "--name", "exactly-4k.bin")
    assert again.code == 2 and "--replace" in again.err
    a.ok("attach", "Docs", str(fits), "--name", "exactly-4k.bin", "--replace")
    assert "exactly-4k.bin (4096 bytes)" in a.ok("get", "Docs").out

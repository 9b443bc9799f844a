"""Password change, recovery code, and the destructive reset, through the real CLI and server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.client.bv import Device
from tests.helpers.server_proc import ServerProcess, server_command


def _create(device: Device, server: ServerProcess, tmp_path: Path, email: str) -> Path:
    kit = tmp_path / f"{device.home.name}-kit.txt"
    device.ok("account", "create", "--server", server.url, "--email", email, "--kit", str(kit))
    return kit


def _new_password(device: Device, password: str) -> dict[str, str]:
    path = device.home.parent / f"{device.home.name}.new-password"
    path.write_text(password + "\n")
    return device.env(BV_NEW_PASSWORD_FILE=str(path))


def _reset_token(server: ServerProcess, email: str, *extra: str) -> str:
    proc = subprocess.run([*server_command(), "reset-token", email, "--data-dir", str(server.data_dir), *extra],
                          env=server.environment(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return re.search(r"([A-Za-z0-9_-]{40,})", proc.stdout).group(1)


def test_password_change_keeps_items_and_signs_out_other_devices(bv_server: ServerProcess, tmp_path: Path) -> None:
    a, b = Device(tmp_path, "a"), Device(tmp_path, "b")
    kit = _create(a, bv_server, tmp_path, "pw@example.org")
    b.ok("login", "--kit", str(kit))
    a.ok("add", "login", "Mail", "--username", "me", input="mail-pw\n")

    r = a.run("passwd", env=_new_password(a, "the new password"))
    assert r.code == 0, r
    a.set_password("the new password")
    assert a.ok("get", "Mail", "--field", "password").out == "mail-pw\n"

    r = b.run("sync")
    assert r.code == 4, r  # B's session ended
    assert b.run("login").code == 4  # the old password no longer works
    b.set_password("the new password")
    b.ok("login")
    b.ok("sync")
    assert b.ok("get", "Mail", "--field", "password").out == "mail-pw\n"


def test_recovery_code_loses_nothing(bv_server: ServerProcess, tmp_path: Path) -> None:
    a = Device(tmp_path, "a")
    kit = _create(a, bv_server, tmp_path, "rec@example.org")
    a.ok("add", "login", "Bank", "--username", "me", input="bank-pw\n")
    code_file = tmp_path / "code.txt"
    a.ok("account", "recovery-code", "--file", str(code_file))
    code = code_file.read_text().strip()

    fresh = Device(tmp_path, "fresh")
    env = _new_password(fresh, "recovered password")
    wrong = tmp_path / "wrong-code.txt"
    other_code_device = Device(tmp_path, "other")
    _create(other_code_device, bv_server, tmp_path, "other@example.org")
    other_code_device.ok("account", "recovery-code", "--file", str(wrong))
    r = fresh.run("account", "recover", "--kit", str(kit), env={**env, "BV_RECOVERY_CODE_FILE": str(wrong)})
    assert r.code == 4 and "does not open this account" in r.err, r  # the single decryption error
    typo = tmp_path / "typo.txt"
    typo.write_text(code[:-2] + ("A" if code[-2] != "A" else "B") + code[-1] + "\n")
    r = fresh.run("account", "recover", "--kit", str(kit), env={**env, "BV_RECOVERY_CODE_FILE": str(typo)})
    assert r.code == 2 and "not a valid recovery code" in r.err, r

    r = fresh.run("account", "recover", "--kit", str(kit), env={**env, "BV_RECOVERY_CODE_FILE": str(code_file)})
    assert r.code == 0, r
    fresh.set_password("recovered password")
    fresh.ok("sync")
    assert fresh.ok("get", "Bank", "--field", "password").out == "bank-pw\n"


def test_reset_destroys_old_items_and_old_keys(bv_server: ServerProcess, tmp_path: Path) -> None:
    a, b = Device(tmp_path, "a"), Device(tmp_path, "b")
    kit = _create(a, bv_server, tmp_path, "reset@example.org")
    marker = "ResetCanaryPassword-5e1f"
    a.ok("add", "login", "Doomed", "--username", "gone", input=marker + "\n")
    a.ok("add", "note", "Doomed note", input="bye\n")
    db_file = Path(bv_server.database_url.removeprefix("sqlite:///"))

    import sqlite3

    def item_blobs() -> list[bytes]:
        with sqlite3.connect(db_file) as db:
            return [r[0] for r in db.execute("SELECT blob FROM items WHERE blob IS NOT NULL")]

    old_blobs = item_blobs()
    assert len(old_blobs) == 2

    token = _reset_token(bv_server, "reset@example.org")
    env = _new_password(a, "fresh start password")
    new_kit = tmp_path / "new-kit.txt"
    r = a.run("account", "reset", "--server", bv_server.url, "--email", "reset@example.org", "--token", token,
              "--kit", str(new_kit), "--yes", env=env)
    assert r.code == 0, r
    assert "2 item(s) in 1 personal vault(s)" in r.out and "NEW Secret Key" in r.out

    # The old blobs no longer exist anywhere in the server's database files.
    assert item_blobs() == []
    for path in bv_server.data_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(blob[-48:] in data for blob in old_blobs), path.name

    a.set_password("fresh start password")
    assert a.ok("list", "--json").out.strip() == "[]"
    a.ok("add", "login", "New", "--username", "u", input="p\n")

    # The old kit (old Secret Key) with either password opens nothing.
    for password in ("correct horse battery staple", "fresh start password"):
        b.set_password(password)
        assert b.run("login", "--kit", str(kit)).code == 4
    # The new kit with the new password works.
    b.set_password("fresh start password")
    b.ok("login", "--kit", str(new_kit))
    assert b.ok("get", "New", "--field", "password").out == "p\n"

    # The token was one-time.
    r = a.run("account", "reset", "--server", bv_server.url, "--email", "reset@example.org", "--token", token,
              "--yes", env=env)
    assert r.code != 0 and "token" in r.err.lower(), r


def test_expired_reset_token_is_refused(bv_server: ServerProcess, tmp_path: Path) -> None:
    a = Device(tmp_path, "a")
    _create(a, bv_server, tmp_path, "exp@example.org")
    token = _reset_token(bv_server, "exp@example.org")
    import sqlite3

    with sqlite3.connect(bv_server.database_url.removeprefix("sqlite:///")) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE '%reset%'")]
        assert tables, "no reset token table"
        db.execute(f"UPDATE {tables[0]} SET expires_at = '2000-01-01 00:00:00'")
    r = a.run("account", "reset", "--server", bv_server.url, "--email", "exp@example.org", "--token", token, "--yes",
              env=_new_password(a, "x y z w"))
    assert r.code != 0 and "token" in r.err.lower(), r


@pytest.mark.slow
def test_demo_runs_start_to_finish(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BV_")}
    proc = subprocess.run([str(Path(sys.executable).with_name("bv")), "demo", "--yes"], env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "What the server stores" in proc.stdout
    assert "b4nk-Pa55" in proc.stdout  # Bob's item survived recovery

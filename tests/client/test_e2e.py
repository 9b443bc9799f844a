"""End to end: the real `bv` entry point against a real `bv-server` process, two devices."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.client.bv import Device


def _secret_key(create_out: str) -> str:
    m = re.search(r"Your Secret Key: (\S+)", create_out)
    assert m, create_out
    return m.group(1)


def _create(device: Device, url: str, tmp_path: Path, email: str = "alice@example.org") -> Path:
    kit = tmp_path / f"kit-{device.home.name}.txt"
    result = device.ok("account", "create", "--server", url, "--email", email, "--kit", str(kit))
    assert _secret_key(result.out) in kit.read_text()
    assert oct(kit.stat().st_mode & 0o777) == "0o600"
    return kit


def _get(device: Device, name: str, field: str) -> str:
    return device.ok("get", name, "--field", field).out.rstrip("\n")


def test_two_devices_share_items_and_edits(server_url: str, tmp_path: Path) -> None:
    a, b = Device(tmp_path, "a"), Device(tmp_path, "b")
    kit = _create(a, server_url, tmp_path)
    b.ok("login", "--kit", str(kit))

    a.ok("add", "login", "GitHub", "--username", "octocat", "--url", "https://github.com", input="hunter2-gh\n")
    assert _get(a, "GitHub", "password") == "hunter2-gh"

    b.ok("sync")
    assert _get(b, "github", "username") == "octocat"
    assert _get(b, "https://github.com/login", "password") == "hunter2-gh"

    b.ok("edit", "GitHub", "--username", "octo-b")
    a.ok("sync")
    assert _get(a, "GitHub", "username") == "octo-b"


def test_concurrent_edits_merge_without_loss(server_url: str, tmp_path: Path) -> None:
    a, b = Device(tmp_path, "a"), Device(tmp_path, "b")
    kit = _create(a, server_url, tmp_path)
    b.ok("login", "--kit", str(kit))
    a.ok("add", "login", "Bank", "--username", "u0", "--url", "https://bank.example", input="p0\n")
    b.ok("sync")

    # Different fields, edited on both devices from the same revision: both survive.
    a.ok("edit", "Bank", "--username", "u-from-a")
    b.ok("edit", "Bank", "--password", input="p-from-b\n")  # b's cache still holds the old revision
    b.ok("sync")
    a.ok("sync")
    for dev in (a, b):
        assert _get(dev, "Bank", "username") == "u-from-a"
        assert _get(dev, "Bank", "password") == "p-from-b"

    # The same field changed on both sides: one value in place, the other kept as a conflict.
    a.ok("edit", "Bank", "--username", "same-a")
    _offline(b).run("edit", "Bank", "--username", "same-b")
    b.ok("sync")
    a.ok("sync")
    doc = json.loads(a.ok("get", "Bank", "--json").out)
    values = {doc["fields"]["username"]} | {c["value"] for c in doc["conflicts"]}
    assert values == {"same-a", "same-b"}
    status = json.loads(a.ok("status", "--json").out)
    assert [c["name"] for c in status["conflicts"]] == ["Bank"]


def _offline(device: Device) -> Device:
    """The same device, with its server made unreachable for one command."""
    clone = Device.__new__(Device)
    clone.home, clone.password_file = device.home, device.password_file
    account = json.loads((device.home / "account.json").read_text())
    real = account["server"]
    account["server"] = "http://127.0.0.1:9"
    (device.home / "account.json").write_text(json.dumps(account))

    class _Restore(Device):
        def run(self, *args, **kw):  # type: ignore[override]
            try:
                return Device.run(self, *args, **kw)
            finally:
                account["server"] = real
                (device.home / "account.json").write_text(json.dumps(account))

    clone.__class__ = _Restore
    return clone


def test_offline_reads_and_queued_writes(server_url: str, tmp_path: Path) -> None:
    a, b = Device(tmp_path, "a"), Device(tmp_path, "b")
    kit = _create(a, server_url, tmp_path)
    b.ok("login", "--kit", str(kit))
    a.ok("add", "login", "Mail", "--username", "me", input="mail-pw\n")

    off = _offline(a)
    result = off.run("add", "login", "Offline", "--username", "later", input="queued-pw\n")
    assert result.code == 0, result
    assert "offline" in result.err
    assert _get(a, "Offline", "password") == "queued-pw"  # readable from the cache, queued
    assert json.loads(a.ok("status", "--json").out)["queued_changes"] == 1

    a.ok("sync")
    assert json.loads(a.ok("status", "--json").out)["queued_changes"] == 0
    b.ok("sync")
    assert _get(b, "Offline", "password") == "queued-pw"


def test_trash_restore_and_purge(server_url: str, tmp_path: Path) -> None:
    a = Device(tmp_path, "a")
    _create(a, server_url, tmp_path)
    a.ok("add", "note", "Recipe", input="secret sauce\n")
    a.ok("rm", "Recipe")
    assert a.run("get", "Recipe").code == 3
    assert "Recipe" in a.ok("list", "--trash").out
    a.ok("restore", "Recipe")
    assert _get(a, "Recipe", "notes") == "secret sauce"
    a.ok("rm", "Recipe", "--purge", "--yes")
    assert a.run("get", "Recipe").code == 3
    assert json.loads(a.ok("list", "--json", "--trash").out) == []


def test_canary_plaintext_never_reaches_disk(server_url: str, server_data_dir: Path, tmp_path: Path) -> None:
    canaries = ["CanaryItemName7f3a", "canary-user-9d2e", "CanaryPassw0rd-b81c", "https://canary-c4d5.example",
                "CanaryNoteBody-e6f7"]
    a = Device(tmp_path, "a")
    _create(a, server_url, tmp_path, email="canary@example.org")
    a.ok("add", "login", canaries[0], "--username", canaries[1], "--url", canaries[3], input=canaries[2] + "\n")
    a.ok("add", "note", "note-title-x", input=canaries[4] + "\n")
    a.ok("sync")
    files = [p for p in server_data_dir.rglob("*") if p.is_file()]
    files += [p for p in a.home.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        for canary in canaries:
            assert canary.encode() not in data, f"{canary} found in {path.name}"
            assert canary.encode("utf-16-le") not in data


def test_wrong_credentials_and_damaged_state(server_url: str, tmp_path: Path) -> None:
    a, b = Device(tmp_path, "a"), Device(tmp_path, "b")
    kit = _create(a, server_url, tmp_path)
    a.ok("add", "login", "Keep", "--username", "k", input="keep-pw\n")

    # Wrong password on a new device: one line, non-zero, nothing saved.
    b.set_password("not the password")
    r = b.run("login", "--kit", str(kit))
    assert r.code == 4 and r.err.startswith("bv: error: Wrong password or Secret Key"), r
    assert not (b.home / "account.json").exists()

    # Wrong Secret Key (valid form, another key).
    other = Device(tmp_path, "other")
    other_kit = _create(other, server_url, tmp_path, email="other@example.org")
    other_sk = re.search(r"Secret Key:\s+(\S+)", other_kit.read_text()).group(1)
    wrong_kit = tmp_path / "wrong-kit.txt"
    wrong_kit.write_text(re.sub(r"Secret Key:\s+\S+", f"Secret Key:  {other_sk}", kit.read_text()))
    b.set_password("correct horse battery staple")
    r = b.run("login", "--kit", str(wrong_kit))
    assert r.code == 4 and "Wrong password or Secret Key" in r.err, r

    # A mistyped Secret Key is caught by its checksum before anything is sent.
    sk = re.search(r"Secret Key:\s+(\S+)", kit.read_text()).group(1)
    i = len(sk) - 3
    typo = sk[:i] + ("A" if sk[i] != "A" else "B") + sk[i + 1:]
    typo_kit = tmp_path / "typo-kit.txt"
    typo_kit.write_text(kit.read_text().replace(sk, typo))
    r = b.run("login", "--kit", str(typo_kit))
    assert r.code == 2 and "not a valid Secret Key" in r.err, r

    # Wrong password on the set-up device: refused, cache untouched.
    cache = a.home / "cache.sqlite3"
    before = cache.read_bytes()
    a.set_password("wrong")
    r = a.run("get", "Keep", "--field", "password")
    assert r.code == 4 and len(r.err.strip().splitlines()) == 2, r  # error + hint
    a.set_password("correct horse battery staple")
    assert cache.read_bytes() == before

    # Unreachable server: a clear error for a command that needs it.
    r = _offline(a).run("sync")
    assert r.code == 6 and "could not be reached" in r.err, r

    # Corrupt cache: clear error, the damaged file is left for inspection, rebuild recovers.
    for extra in a.home.glob("cache.sqlite3-*"):
        extra.unlink()
    cache.write_bytes(b"this is not a database" * 100)
    r = a.run("get", "Keep", "--field", "password")
    assert r.code == 1 and "local cache is damaged" in r.err, r
    assert cache.read_bytes().startswith(b"this is not a database")
    a.ok("sync", "--rebuild")
    assert _get(a, "Keep", "password") == "keep-pw"


def test_plain_http_to_remote_host_refused(tmp_path: Path) -> None:
    a = Device(tmp_path, "a")
    r = a.run("account", "create", "--server", "http://vault.example.org", "--email", "x@example.org")
    assert r.code == 2 and "plain http://" in r.err and "--insecure" in r.err, r
    assert not (a.home / "account.json").exists()


def test_generate_and_search(server_url: str, tmp_path: Path) -> None:
    a = Device(tmp_path, "a")
    _create(a, server_url, tmp_path)
    pw = a.ok("generate", "--length", "32").out.strip()
    assert len(pw) == 32
    assert len(a.ok("generate", "--words", "6").out.strip().split("-")) == 6
    a.ok("add", "login", "Netflix", "--username", "n", "--url", "https://netflix.com", "--generate")
    a.ok("add", "login", "Nextcloud", "--username", "c", input="x\n")
    hits = json.loads(a.ok("search", "netflx", "--json").out)
    assert hits and hits[0]["name"] == "Netflix"
    assert "password" not in hits[0]["fields"]


def test_taken_email_is_a_clear_error(server_url: str, tmp_path: Path) -> None:
    a, b = Device(tmp_path, "a"), Device(tmp_path, "b")
    _create(a, server_url, tmp_path, email="taken@example.org")
    r = b.run("account", "create", "--server", server_url, "--email", "taken@example.org")
    assert r.code == 2 and "already exists" in r.err, r
    assert not (b.home / "account.json").exists()


def test_usage_errors_are_usage_errors(tmp_path: Path) -> None:
    a = Device(tmp_path, "a")
    for args in (["get"], ["add", "login"], ["no-such-command"], ["get", "x", "--no-such-option"]):
        r = a.run(*args)
        assert r.code == 2, r
        assert "internal error" not in r.err and "Traceback" not in r.err, r

"""End to end: the real `bv import` / `bv export` against a real `bv-server` process."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.client.bv import Device
from tests.importers.helpers import SAMPLES, make_1pux, sample

SAMPLE_COUNTS = [("bitwarden-json", "bitwarden.json", 6), ("bitwarden-csv", "bitwarden.csv", 4),
                 ("1password-csv", "1password.csv", 3), ("keepassxc-csv", "keepassxc.csv", 3),
                 ("keepass-xml", "keepass.xml", 3), ("chrome-csv", "chrome.csv", 3),
                 ("firefox-csv", "firefox.csv", 2)]


def _account(tmp_path: Path, url: str, name: str, email: str) -> Device:
    device = Device(tmp_path, name)
    device.ok("account", "create", "--server", url, "--email", email, "--kit", str(tmp_path / f"kit-{name}.txt"))
    return device


def _import(device: Device, *args: str) -> dict:
    return json.loads(device.ok("import", *args, "--json").out)


def _items(device: Device) -> list[dict]:
    """Every item document, live and trashed (a plain export), in an order independent of ids."""
    path = device.home.parent / f"items-{os.urandom(4).hex()}.json"
    device.ok("export", "--format", "json", "--yes", str(path))
    docs = json.loads(path.read_text())["items"]
    path.unlink()
    return sorted(docs, key=lambda d: json.dumps(d, sort_keys=True))


def test_import_every_format_then_reimport_without_duplicates(server_url: str, tmp_path: Path) -> None:
    a = _account(tmp_path, server_url, "a", "anna@example.org")
    pux = tmp_path / "anna.1pux"
    pux.write_bytes(make_1pux(sample("1password-export.data.json")))
    files = [(fmt, str(SAMPLES / name), n) for fmt, name, n in SAMPLE_COUNTS] + [("1pux", str(pux), 6)]
    total, duplicates = 0, {}
    for fmt, path, count in files:
        summary = _import(a, "auto", path)
        assert summary["format"] == fmt
        total += summary["imported"]
        duplicates[fmt] = summary["duplicates"]
        assert summary["imported"] + summary["duplicates"] == count
    # The Bitwarden CSV holds two entries the Bitwarden JSON already brought (same content key).
    assert duplicates["bitwarden-json"] == 0 and duplicates["bitwarden-csv"] == 2
    assert a.ok("get", "bank.example", "--field", "password").out.strip() == "p@ss"

    some = [f for f in files if f[0] in ("bitwarden-json", "keepass-xml", "1pux", "firefox-csv")]
    again = [_import(a, "auto", path) for _, path, _ in some]
    assert [s["imported"] for s in again] == [0] * len(some)      # re-importing creates no duplicates
    assert [s["duplicates"] for s in again] == [n for _, _, n in some]
    assert len(_items(a)) == total
    extra = _import(a, "bitwarden-json", str(SAMPLES / "bitwarden.json"), "--allow-duplicates")
    assert extra["imported"] == 6


def test_dry_run_then_import_fields_and_summary(server_url: str, tmp_path: Path) -> None:
    a = _account(tmp_path, server_url, "a", "anna@example.org")
    dry = a.ok("import", "keepass-xml", str(SAMPLES / "keepass.xml"), "--dry-run")
    assert "Would import 3 items (keepass-xml): 3 logins." in dry.out
    assert "attachment 'backup-codes.txt' not imported" in dry.out
    assert json.loads(a.ok("list", "--json").out) == []          # the dry run wrote nothing
    result = a.ok("import", "bitwarden-json", str(SAMPLES / "bitwarden.json"))
    assert "Imported 6 items (bitwarden-json)" in result.out
    assert '2 old password(s) kept as concealed "previous password (DATE)" custom fields' in result.out
    assert "item 5: passkey not imported" in result.out
    assert "1 item(s) from the source's trash or archive went to the trash" in result.out
    doc = json.loads(a.ok("get", "Café Mail ☕", "--json").out)
    assert doc["fields"]["password"] == 'c0rrect,"horse";battery'
    assert doc["urls"] == ["https://mail.example.com/login", "https://webmail.example.org"]
    assert doc["folder"] == "Work/Email" and doc["notes"].endswith("ünïcödé")
    assert {"name": "previous password (2021-05-01)", "value": "old-one", "concealed": True} in doc["custom"]
    assert a.ok("get", "Visa Gold", "--field", "cvv").out.strip() == "737"
    listed = a.ok("list", "--json").out
    assert "737" not in listed and "old-one" not in listed      # listings never show secrets

    # Plain exports ask first (no terminal here: refused), are written 0600, never overwrite.
    plain = tmp_path / "plain.json"
    refused = a.run("export", "--format", "json", str(plain))    # no terminal to confirm on
    assert refused.code == 8 and "plain text" in refused.err and not plain.exists()
    a.ok("export", "--format", "json", "--yes", str(plain))
    assert oct(plain.stat().st_mode & 0o777) == "0o600"
    doc = json.loads(plain.read_text())
    assert doc["format"] == "blindvault-export" and len(doc["items"]) == 6
    again = a.run("export", "--format", "csv", "--yes", str(plain))
    assert again.code == 2 and "already exists" in again.err
    table = tmp_path / "plain.csv"
    a.ok("export", "--format", "csv", "--yes", str(table))
    assert table.read_text().splitlines()[0].startswith("type,name,folder,tags,urls,")
    assert os.stat(table).st_mode & 0o077 == 0


def test_export_blindvault_round_trip_into_a_fresh_account(server_url: str, tmp_path: Path) -> None:
    a = _account(tmp_path, server_url, "a", "anna@example.org")
    a.ok("import", "bitwarden-json", str(SAMPLES / "bitwarden.json"))
    a.ok("import", "keepass-xml", str(SAMPLES / "keepass.xml"))
    a.ok("add", "login", "Edited here", "--username", "me", input="pw-1\n")
    a.ok("edit", "Edited here", "--username", "me2")
    secret = tmp_path / "export-password"
    secret.write_text("a different export pässword\n")
    export = tmp_path / "vault.bvx"
    env = a.env(BV_EXPORT_PASSWORD_FILE=str(secret))
    result = a.run("export", "--format", "blindvault", str(export), env=env)
    assert result.code == 0, result
    assert oct(export.stat().st_mode & 0o777) == "0o600"
    assert b"Visa Gold" not in export.read_bytes()

    b = _account(tmp_path, server_url, "b", "bob@example.org")
    wrong = tmp_path / "wrong"
    wrong.write_text("not it\n")
    failed = b.run("import", "blindvault", str(export), env=b.env(BV_EXPORT_PASSWORD_FILE=str(wrong)))
    assert failed.code == 4 and "Wrong export password" in failed.err
    result = b.run("import", "auto", str(export), "--json", env=b.env(BV_EXPORT_PASSWORD_FILE=str(secret)))
    assert result.code == 0, result
    assert json.loads(result.out)["imported"] == len(_items(a))
    assert _items(b) == _items(a)                          # identical items, every type, trash too
    again = b.run("import", "blindvault", str(export), "--json", env=b.env(BV_EXPORT_PASSWORD_FILE=str(secret)))
    assert json.loads(again.out)["imported"] == 0


def test_malformed_input_imports_nothing(server_url: str, tmp_path: Path) -> None:
    a = _account(tmp_path, server_url, "a", "anna@example.org")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"name,url,username,password\na,https://a,u,p\nb,https://b,u\nc,https://c,u,p\n")
    result = a.run("import", "chrome-csv", str(bad))
    assert result.code == 1
    assert result.err.splitlines()[0] == ("bv: error: The file cannot be imported; nothing was imported: "
                                          "line 3: 3 cells where the header has 4")
    assert json.loads(a.ok("list", "--json").out) == []
    for fmt, data in [("bitwarden-json", sample("bitwarden.json")[:1500]),
                      ("bitwarden-csv", sample("chrome.csv")),
                      ("keepass-xml", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><KeePassFile/>'),
                      ("1pux", make_1pux(b'{"accounts": []}', {"files/zeros": bytes(8 * 2**20)})),
                      ("blindvault", sample("chrome.csv"))]:
        path = tmp_path / f"bad.{fmt}"
        path.write_bytes(data)
        result = a.run("import", fmt, str(path))
        assert result.code == 1 and result.err.startswith("bv: error: The file cannot be imported"), result
    assert json.loads(a.ok("list", "--json").out) == []

    dry = a.ok("import", "chrome-csv", str(bad), "--dry-run")      # a dry run lists every bad entry
    assert "Would import 2 items" in dry.out and "line 3: 3 cells where the header has 4" in dry.out
    kept = a.ok("import", "chrome-csv", str(bad), "--keep-going")
    assert "Imported 2 items" in kept.out and "line 3: 3 cells where the header has 4" in kept.out
    assert len(json.loads(a.ok("list", "--json").out)) == 2



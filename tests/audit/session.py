"""A realistic life of a server, driven through the real `bv` CLI against a real `bv-server`.

Several accounts, a shared family vault (invite, accept, edit, remove a member, which rotates the
key), edits, a trashed and a purged item, an attachment, a recovery code, a password change, and
an operator-issued reset. Every secret typed in is listed in ``Session.secrets`` so tests can
check that none of them appears in the server's files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from tests.client.bv import Device
from tests.helpers.server_proc import ServerProcess

OWNER, EDITOR, VIEWER, LONER = ("owner@example.org", "editor@example.org", "viewer@example.org",
                                "loner@example.org")


@dataclass
class Session:
    server: ServerProcess
    devices: dict[str, Device]
    secrets: list[str] = field(default_factory=list)
    shared: bool = False
    skipped: list[str] = field(default_factory=list)


def _new_password_env(device: Device, password: str) -> dict[str, str]:
    path = device.home.parent / f"{device.home.name}.new-password"
    path.write_text(password + "\n")
    return device.env(BV_NEW_PASSWORD_FILE=str(path))


def _add(device: Device, s: Session, kind: str, name: str, secret: str, *args: str) -> None:
    device.ok("add", kind, name, *args, input=secret + "\n")
    s.secrets.append(secret)


def run_session(server: ServerProcess, root: Path, *, short: bool = False) -> Session:
    """The whole story; ``short``: two accounts, edits, a purge, a shared vault, a password change."""
    if short:
        return _short_session(server, root)
    owner, editor, viewer, loner = (Device(root, n) for n in ("owner", "editor", "viewer", "loner"))
    s = Session(server, {"owner": owner, "editor": editor, "viewer": viewer, "loner": loner})
    for dev, email in ((owner, OWNER), (editor, EDITOR), (viewer, VIEWER), (loner, LONER)):
        dev.ok("account", "create", "--server", server.url, "--email", email)

    # Personal items, edits, trash and purge.
    _add(owner, s, "login", "Electricity company", "kilowatt-Secret-7781", "--username", "owner-login",
         "--url", "https://power.example.net")
    _add(owner, s, "note", "Alarm code", "the alarm code is 4417 and the safe is behind the painting")
    owner.ok("edit", "Electricity company", "--username", "owner-renamed-login")
    _add(owner, s, "login", "Old forum", "forum-password-never-again", "--username", "forum-user")
    owner.ok("rm", "Old forum")
    _add(owner, s, "login", "Throwaway", "throwaway-secret-purged", "--username", "tmp")
    owner.ok("rm", "Throwaway", "--purge", "--yes")
    attachment = root / "passport-scan.txt"
    attachment.write_text("PASSPORT NUMBER X1234567 issued to Olivia Owner, valid until 2031\n" * 20)
    s.secrets.append("PASSPORT NUMBER X1234567")
    owner.ok("attach", "Electricity company", str(attachment))

    # A shared family vault: invite, accept, edit, then remove a member (the key rotates).
    r = owner.run("vault", "create", "Family")
    if r.code != 0:
        s.skipped.append(f"sharing: `bv vault create` failed: {r.err.strip()}")
    else:
        _add(owner, s, "login", "Streaming service", "family-stream-pass-2024", "--vault", "Family",
             "--username", "family")
        owner.ok("vault", "share", "Family", EDITOR, "--role", "editor")
        owner.ok("vault", "share", "Family", VIEWER, "--role", "viewer")
        vault_id = next(v["vault_id"] for v in json.loads(owner.ok("vault", "list", "--json").out)
                        if v["name"] == "Family")
        for dev in (editor, viewer):
            dev.ok("vault", "accept", vault_id, "--trust")
        editor.ok("edit", "Streaming service", "--username", "family-edited")
        _add(editor, s, "note", "Wifi", "wifi passphrase: purple elephant dancing", "--vault", "Family")
        s.shared = True
        owner.ok("vault", "remove", "Family", VIEWER, "--yes")
        for dev in (owner, editor):
            r = dev.run("sync")
            if r.code != 0:
                s.skipped.append(f"sharing: sync after removing a member failed: {r.err.strip()}")
                break

    # The loner: items, a recovery code, a password change, then a reset by the operator.
    _add(loner, s, "login", "Bank", "bank-pin-and-password-9931", "--username", "loner-bank")
    _add(loner, s, "login", "Mail", "mail-password-for-loner", "--username", "loner")
    code_file = root / "loner-recovery.txt"
    loner.ok("account", "recovery-code", "--file", str(code_file))
    r = loner.run("passwd", env=_new_password_env(loner, "loner's second password"))
    assert r.code == 0, r
    loner.set_password("loner's second password")
    s.secrets.append("loner's second password")
    loner.ok("edit", "Mail", "--username", "loner-after-passwd")

    r = server.run_cli("reset-token", VIEWER, "--json")
    if r.returncode != 0:
        s.skipped.append(f"reset: `bv-server reset-token` failed: {r.stderr.strip()}")
    else:
        token = json.loads(r.stdout)["token"]
        env = _new_password_env(viewer, "viewer starts over")
        r2 = viewer.run("account", "reset", "--server", server.url, "--email", VIEWER, "--token", token,
                        "--yes", env=env)
        assert r2.code == 0, r2
        viewer.set_password("viewer starts over")
        _add(viewer, s, "login", "New start", "viewer-fresh-secret-55", "--username", "viewer")
    return s


def _short_session(server: ServerProcess, root: Path) -> Session:
    owner, editor = Device(root, "owner"), Device(root, "editor")
    s = Session(server, {"owner": owner, "editor": editor})
    for dev, email in ((owner, OWNER), (editor, EDITOR)):
        dev.ok("account", "create", "--server", server.url, "--email", email)
    _add(owner, s, "login", "Electricity company", "kilowatt-Secret-7781", "--username", "owner-login")
    _add(owner, s, "login", "Throwaway", "throwaway-secret-purged", "--username", "tmp")
    owner.ok("edit", "Electricity company", "--username", "owner-renamed-login")
    owner.ok("rm", "Throwaway", "--purge", "--yes")
    r = owner.run("vault", "create", "Family")
    if r.code != 0:
        s.skipped.append(f"sharing: `bv vault create` failed: {r.err.strip()}")
    else:
        _add(owner, s, "note", "Wifi", "wifi passphrase: purple elephant dancing", "--vault", "Family")
        owner.ok("vault", "share", "Family", EDITOR, "--role", "editor")
        listing = editor.ok("vault", "accept").out
        editor.ok("vault", "accept", re.search(r"[0-9a-f]{8}-[0-9a-f-]{27}", listing).group(0), "--trust")
        editor.ok("edit", "Wifi", "--name", "Home wifi")
        s.shared = True
    r = owner.run("passwd", env=_new_password_env(owner, "owner's second password"))
    assert r.code == 0, r
    return s

"""Vault key rotation on removal: attached files are re-sealed too, and an interrupted rotation
leaves one consistent generation (the old one fully usable, or the new one), never a mix.

The family (owner, editor, viewer) is driven in process through the client library against a
real bv-server (``tests.client.members``); the progress bar test runs the real `bv` on a terminal.
"""

from __future__ import annotations

import os
import pty
import signal
import sqlite3
import subprocess
import threading
from pathlib import Path
from uuid import UUID

import pytest

from tests.client.bv import BV
from tests.client.members import DROP, DROP_ANSWER, FORWARD, CuttingProxy, Member, family
from tests.helpers.server_proc import ServerProcess
from vault_client import attachments, crypto, rotation
from vault_client.encoding import b64d
from vault_client.items.model import Item
from vault_client.rotation import Journal, OldFilesLeft, RotationConflict, RotationUncertain, referenced_files
from vault_client.sync import SyncEngine

ROTATE = "/v1/vaults/*/rotate"
PASSPORT_V1 = b"passport, first scan " * 3000
PASSPORT_V2 = b"passport, second scan " * 3000


def _db(server: ServerProcess) -> sqlite3.Connection:
    return sqlite3.connect(server.database_url.removeprefix("sqlite:///"))


def _stored_files(server: ServerProcess, vault_id: str) -> dict[str, bytes]:
    """attachment id -> blob, read straight from the server's database."""
    with _db(server) as db:
        rows = db.execute("SELECT attachment_id, blob FROM attachments WHERE vault_id = ?", (UUID(vault_id).hex,))
        return {str(UUID(aid)): bytes(blob) for aid, blob in rows}


def _files_named(member: Member, vault_id: str) -> set[str]:
    with member:
        return referenced_files(member.cache, member.keys, member.cache.vault(vault_id))


def _journal(member: Member, vault_id: str) -> Journal | None:
    with member:
        journals = Journal.all(vault_id)
    assert len(journals) <= 1
    return journals[0] if journals else None


def _passport(member: Member, vault_id: str) -> Item:
    return next(e.item for e in member.view.entries([vault_id]) if e.item.name == "Passport")


def _with_passport(owner: Member, vault_id: str) -> str:
    """An item with a file attached, then replaced (the first scan stays in the item's history)."""
    item_id = owner.add(vault_id, "Passport", username="me", password="pw")
    owner.attach(vault_id, item_id, "passport.pdf", PASSPORT_V1)
    owner.attach(vault_id, item_id, "passport.pdf", PASSPORT_V2, replace=True)
    return item_id


def _fetch_all(member: Member, vault_id: str) -> set[bytes]:
    """Every attached file of the Passport, current and in its history, downloaded and opened."""
    item = _passport(member, vault_id)
    refs = {ref.id: ref for version in [item, *item.history] for ref in version.attachments}
    return {attachments.fetch(member.api, vault_id, ref) for ref in refs.values()}


def test_rotation_reseals_attached_files(bv_server: ServerProcess, tmp_path: Path) -> None:
    owner, editor, viewer, vault_id = family(tmp_path, bv_server.url)
    _with_passport(owner, vault_id)
    deed = owner.add(vault_id, "Deed", username="x")
    owner.attach(vault_id, deed, "deed.txt", b"deed " * 100)
    owner.detach(vault_id, deed, "deed.txt", purge=True)  # its blob is gone; the history still names it
    before = _stored_files(bv_server, vault_id)
    assert len(before) == 2

    # What the editor holds before removal: the vault key and every file key it could read.
    editor.sync()
    old_key = editor.keys.vault_key(editor.cache.vault(vault_id))
    known = [crypto.SecretBytes(b64d(ref.key))
             for e in editor.view.entries([vault_id]) for v in [e.item, *e.item.history] for ref in v.attachments]
    assert len(known) >= 3

    calls: list[tuple[int, int]] = []
    rows = len(owner.cache.items(vault_id))
    with owner:
        count = owner.sharing.remove(vault_id, editor.email, progress=lambda d, t: calls.append((d, t)))
    assert count == rows
    total = rows + 3  # every item, and each file named anywhere (the purged one counts, skipped)
    assert calls == [(n, total) for n in range(total + 1)]
    assert _journal(owner, vault_id) is None

    # The server holds exactly the re-sealed files, under new ids; the old blobs are gone.
    after = _stored_files(bv_server, vault_id)
    assert len(after) == 2 and not set(after) & set(before), (set(before), set(after))
    assert set(after) <= _files_named(owner, vault_id)
    # The removed editor, with the old vault key and every old file key, opens none of them.
    for attachment_id, blob in after.items():
        for key in [*known, old_key]:
            with pytest.raises(crypto.CryptoError):
                crypto.open_attachment(key, UUID(vault_id), UUID(attachment_id), blob)
    with _db(bv_server) as db:
        items = db.execute("SELECT item_id, revision, blob FROM items WHERE vault_id = ? AND blob IS NOT NULL",
                           (UUID(vault_id).hex,)).fetchall()
    for item_id, revision, blob in items:
        with pytest.raises(crypto.CryptoError):
            crypto.open_item(old_key, UUID(vault_id), UUID(item_id), revision, blob)

    # Those who stay download and open both versions of the file; the purged one keeps its record.
    viewer.sync()
    for member in (owner, viewer):
        assert _fetch_all(member, vault_id) == {PASSPORT_V1, PASSPORT_V2}
    deed_item = next(e.item for e in viewer.view.entries([vault_id]) if e.item.name == "Deed")
    assert [r.name for v in deed_item.history for r in v.attachments] == ["deed.txt"]


def _restart(server: ServerProcess, proxy: CuttingProxy) -> None:
    server.stop()
    server.start()
    proxy.upstream = server.url


def _check_one_generation(server: ServerProcess, members: list[Member], vault_id: str, old_key) -> int:
    """Every member syncs; all agree on one generation under which every item opens, on the
    server as well as for each of them. Returns that generation."""
    with _db(server) as db:
        generation = db.execute("SELECT key_generation FROM vaults WHERE id = ?", (UUID(vault_id).hex,)).fetchone()[0]
        items = db.execute("SELECT item_id, revision, blob FROM items WHERE vault_id = ? AND blob IS NOT NULL",
                           (UUID(vault_id).hex,)).fetchall()
    opens = []
    for item_id, revision, blob in items:
        try:
            crypto.open_item(old_key, UUID(vault_id), UUID(item_id), revision, blob)
            opens.append(True)
        except crypto.CryptoError:
            opens.append(False)
    assert set(opens) == {generation == 1}, "some items are under the old key and some under the new"
    for member in members:
        member.sync()
        vault = member.cache.vault(vault_id)
        if vault is None:
            assert generation == 2 and member.email.startswith("editor")  # removed by the new one
            continue
        assert vault.key_generation == generation
        entries = member.view.entries([vault_id])
        assert len(entries) == len(items) - 1  # every item opens (the vault's name is not listed)
        assert _fetch_all(member, vault_id) == {PASSPORT_V1, PASSPORT_V2}
    return generation


@pytest.mark.parametrize("when", ["before", "during", "after"])
def test_server_killed_during_rotate(bv_server: ServerProcess, tmp_path: Path, when: str) -> None:
    with CuttingProxy(bv_server.url) as proxy:
        owner, editor, viewer, vault_id = family(tmp_path, proxy.url)
        _with_passport(owner, vault_id)
        for member in (editor, viewer):
            member.sync()
        old_key = owner.keys.vault_key(owner.cache.vault(vault_id))

        def kill() -> None:
            os.kill(bv_server._proc.pid, signal.SIGKILL)  # noqa: SLF001 - the test owns the process

        def cut() -> str:
            if when == "before":  # the request never reaches the server
                kill()
                return DROP
            if when == "during":  # the server may be in the middle of its transaction
                threading.Timer(0.02, kill).start()
            return DROP_ANSWER

        proxy.on("POST", ROTATE, cut, then=kill if when == "after" else None)
        with owner, pytest.raises(RotationUncertain):
            owner.sharing.remove(vault_id, editor.email)
        assert _journal(owner, vault_id) is not None
        _restart(bv_server, proxy)

        generation = _check_one_generation(bv_server, [owner, editor, viewer], vault_id, old_key)
        assert generation == {"before": 1, "after": 2}.get(when, generation)

        # The same command again finishes (or redoes) the removal and leaves no blob behind.
        with owner:
            assert owner.sharing.remove(vault_id, editor.email) == len(owner.cache.items(vault_id))
        assert _journal(owner, vault_id) is None
        assert set(_stored_files(bv_server, vault_id)) == _files_named(owner, vault_id)
        assert _check_one_generation(bv_server, [owner, viewer], vault_id, old_key) >= 2
        with owner:
            assert not any(m["email"] == editor.email for m in owner.sharing.members(vault_id))


def _edit_passport(editor: Member, vault_id: str, item_id: str) -> str:
    """The editor's write lands just before the rotation is forwarded: a real 409."""
    item = _passport(editor, vault_id)
    item.notes = "renewed"
    editor.view.save(vault_id, item, item_id)
    SyncEngine(editor.cache, editor.keys, editor.api).push()
    return FORWARD


def test_refused_rotation_changes_nothing(bv_server: ServerProcess, tmp_path: Path) -> None:
    with CuttingProxy(bv_server.url) as proxy:
        owner, editor, viewer, vault_id = family(tmp_path, proxy.url)
        item_id = _with_passport(owner, vault_id)
        editor.sync()
        old_key = owner.keys.vault_key(owner.cache.vault(vault_id))
        before = _stored_files(bv_server, vault_id)

        proxy.on("POST", ROTATE, lambda: _edit_passport(editor, vault_id, item_id))
        with owner, pytest.raises(RotationConflict):
            owner.sharing.remove(vault_id, editor.email)
        assert [p for p in proxy.seen if p.startswith("POST /v1/vaults/") and p.endswith("/rotate")]

        assert set(_stored_files(bv_server, vault_id)) == set(before)  # the new uploads were taken off again
        assert _journal(owner, vault_id) is None
        assert _check_one_generation(bv_server, [owner, editor, viewer], vault_id, old_key) == 1
        assert _passport(viewer, vault_id).notes == "renewed"

        with owner:  # run again, it goes through
            owner.sharing.remove(vault_id, editor.email)
        assert set(_stored_files(bv_server, vault_id)) == _files_named(owner, vault_id)


def test_lost_answer_is_settled_at_once(bv_server: ServerProcess, tmp_path: Path) -> None:
    with CuttingProxy(bv_server.url) as proxy:
        owner, editor, viewer, vault_id = family(tmp_path, proxy.url)
        _with_passport(owner, vault_id)
        before = _stored_files(bv_server, vault_id)
        proxy.on("POST", ROTATE, lambda: DROP_ANSWER)
        with owner:
            assert owner.sharing.remove(vault_id, editor.email) == len(owner.cache.items(vault_id))
        assert owner.cache.vault(vault_id).key_generation == 2
        after = _stored_files(bv_server, vault_id)
        assert len(after) == 2 and not set(after) & set(before), (set(before), set(after))
        assert _journal(owner, vault_id) is None
        viewer.sync()
        assert _fetch_all(viewer, vault_id) == {PASSPORT_V1, PASSPORT_V2}


def test_lost_answer_then_next_sync_adopts_new_generation(bv_server: ServerProcess, tmp_path: Path) -> None:
    with CuttingProxy(bv_server.url) as proxy:
        owner, editor, viewer, vault_id = family(tmp_path, proxy.url)
        _with_passport(owner, vault_id)
        before = _stored_files(bv_server, vault_id)

        def lose_answer_and_go_dark() -> str:
            proxy.cut_all = True
            return DROP_ANSWER

        proxy.on("POST", ROTATE, lose_answer_and_go_dark)
        with owner, pytest.raises(RotationUncertain):
            owner.sharing.remove(vault_id, editor.email)
        assert owner.cache.vault(vault_id).key_generation == 1  # this device did not assume anything
        proxy.cut_all = False

        owner.sync()  # the next sync adopts the new generation the server committed
        assert owner.cache.vault(vault_id).key_generation == 2
        assert _fetch_all(owner, vault_id) == {PASSPORT_V1, PASSPORT_V2}
        editor.sync()
        assert editor.cache.vault(vault_id) is None
        # Until the command runs again, the old blobs are still there (and in the journal).
        assert set(before) <= set(_stored_files(bv_server, vault_id))
        assert set(_journal(owner, vault_id).old) == set(before)

        with owner:
            assert owner.sharing.remove(vault_id, editor.email) == len(owner.cache.items(vault_id))
        assert set(_stored_files(bv_server, vault_id)) == _files_named(owner, vault_id)
        assert not set(before) & set(_stored_files(bv_server, vault_id))
        viewer.sync()
        assert _fetch_all(viewer, vault_id) == {PASSPORT_V1, PASSPORT_V2}


def test_old_files_that_stay_are_reported_and_deleted_next_time(bv_server: ServerProcess, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rotation, "DELETE_BACKOFF", 0.0)
    with CuttingProxy(bv_server.url) as proxy:
        owner, editor, viewer, vault_id = family(tmp_path, proxy.url)
        _with_passport(owner, vault_id)
        before = _stored_files(bv_server, vault_id)
        for _ in range(rotation.DELETE_ATTEMPTS * len(before)):  # every attempt at every old file fails
            proxy.on("DELETE", "/v1/vaults/*/attachments/*", lambda: DROP)
        with owner, pytest.raises(OldFilesLeft) as caught:
            owner.sharing.remove(vault_id, editor.email)
        assert "2 file(s)" in str(caught.value)
        assert owner.cache.vault(vault_id).key_generation == 2  # the rotation itself went through
        assert set(_journal(owner, vault_id).old) == set(before) <= set(_stored_files(bv_server, vault_id))

        with owner:  # the same command again deletes them, and reports the removal as done
            assert owner.sharing.remove(vault_id, editor.email) == len(owner.cache.items(vault_id))
        assert not set(before) & set(_stored_files(bv_server, vault_id))
        assert _journal(owner, vault_id) is None


def test_uploads_left_by_a_refused_rotation_stay_tracked(bv_server: ServerProcess, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rotation, "DELETE_BACKOFF", 0.0)
    with CuttingProxy(bv_server.url) as proxy:
        owner, editor, viewer, vault_id = family(tmp_path, proxy.url)
        item_id = _with_passport(owner, vault_id)
        editor.sync()

        def refuse_deletions() -> None:
            for _ in range(rotation.DELETE_ATTEMPTS * 2):
                proxy.on("DELETE", "/v1/vaults/*/attachments/*", lambda: DROP)

        proxy.on("POST", ROTATE, lambda: _edit_passport(editor, vault_id, item_id))
        refuse_deletions()
        with owner, pytest.raises(RotationConflict):
            owner.sharing.remove(vault_id, editor.email)
        first = _journal(owner, vault_id)
        assert len(first.new) == 2 and not first.old

        refuse_deletions()  # the next command cannot delete them either, yet its own rotation goes on
        with owner:
            owner.sharing.remove(vault_id, viewer.email)
        assert _journal(owner, vault_id).new == first.new  # kept, not overwritten
        assert set(first.new) <= set(_stored_files(bv_server, vault_id))

        with owner:  # once the server takes deletions again, nothing is left behind
            assert owner.sharing.remove(vault_id, editor.email) == len(owner.cache.items(vault_id))
        assert _journal(owner, vault_id) is None
        assert set(_stored_files(bv_server, vault_id)) == _files_named(owner, vault_id)


# -- the progress bar on a terminal ------------------------------------------------------------------


def _on_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run `bv` with its output on a pseudo-terminal; its exit status and everything it drew."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([BV, *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,  # noqa: S603
                            env={**env, "TERM": "xterm-256color"}, start_new_session=True)
    os.close(slave)
    out = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal's last writer is gone
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=120), out.decode("utf-8", errors="replace")


def test_remove_shows_progress_with_and_without_agent(bv_server: ServerProcess, tmp_path: Path) -> None:
    owner, editor, viewer, vault_id = family(tmp_path, bv_server.url, items=40)
    device = owner.device

    code, drawn = _on_terminal(["vault", "remove", "Family", viewer.email, "--yes"], device.env())
    assert code == 0, drawn
    assert "re-encrypting" in drawn and "100%" in drawn and "Removed viewer@example.org" in drawn

    device.ok("unlock", "--timeout", "120")
    try:
        env = device.env()
        env.pop("BV_PASSWORD_FILE")  # only the agent holds the keys
        code, drawn = _on_terminal(["vault", "remove", "Family", editor.email, "--yes"], env)
    finally:
        device.run("lock")
    assert code == 0, drawn
    assert "re-encrypting" in drawn and "100%" in drawn and "Removed editor@example.org" in drawn

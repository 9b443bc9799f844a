"""Direct edits to the SQLite database of a running ``bv-server``: the server turned hostile at rest.

Ids are stored as 32 hex digits (SQLAlchemy's UUID on SQLite); these helpers take and return the
canonical UUID strings the client uses. Every write commits at once, so the next request the
server answers sees it. ``next_seq`` is how a tampered row reaches a client: the sync delta holds
items whose ``seq`` is above the client's cursor.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from tests.helpers.server_proc import ServerProcess


def _hex(value: str | UUID) -> str:
    return UUID(str(value)).hex


def _uuid(value: str) -> str:
    return str(UUID(value))


@dataclass
class ItemRow:
    item_id: str
    revision: int
    blob: bytes | None
    seq: int


@dataclass
class VaultSnapshot:
    vault_id: str
    vault: dict[str, Any]
    items: dict[str, ItemRow]


class ServerDb:
    def __init__(self, server: ServerProcess) -> None:
        url = server.database_url
        if not url.startswith("sqlite:///"):
            raise ValueError("database tampering is implemented for SQLite only")
        self.path = url.removeprefix("sqlite:///")

    def _run(self, sql: str, args: tuple = ()) -> list[tuple]:
        with closing(sqlite3.connect(self.path, timeout=30)) as db:
            db.execute("PRAGMA busy_timeout=30000")
            with db:
                return db.execute(sql, args).fetchall()

    # -- reading -----------------------------------------------------------------------------------

    def account_id(self, email: str) -> str:
        rows = self._run("SELECT id FROM accounts WHERE email = ?", (email,))
        assert rows, f"no account {email}"
        return _uuid(rows[0][0])

    def vault_ids(self, email: str, role: str | None = None) -> list[str]:
        sql = "SELECT vault_id FROM vault_members WHERE account_id = ?"
        args: tuple = (_hex(self.account_id(email)),)
        if role:
            sql += " AND role = ?"
            args += (role,)
        return sorted(_uuid(r[0]) for r in self._run(sql, args))

    def vault(self, vault_id: str) -> dict[str, Any]:
        rows = self._run("SELECT key_generation, seq, manifest_version, manifest_mac, members_version FROM vaults "
                         "WHERE id = ?", (_hex(vault_id),))
        assert rows, f"no vault {vault_id}"
        return dict(zip(("key_generation", "seq", "manifest_version", "manifest_mac", "members_version"), rows[0]))

    def items(self, vault_id: str) -> dict[str, ItemRow]:
        rows = self._run("SELECT item_id, revision, blob, seq FROM items WHERE vault_id = ?", (_hex(vault_id),))
        return {_uuid(r[0]): ItemRow(_uuid(r[0]), r[1], r[2], r[3]) for r in rows}

    def member(self, vault_id: str, email: str) -> dict[str, Any]:
        rows = self._run("SELECT role, key_generation, wrapped_vault_key, pending_grant, granted_by FROM vault_members "
                         "WHERE vault_id = ? AND account_id = ?", (_hex(vault_id), _hex(self.account_id(email))))
        assert rows, f"{email} is not a member of {vault_id}"
        return dict(zip(("role", "key_generation", "wrapped_vault_key", "pending_grant", "granted_by"), rows[0]))

    def bundle(self, email: str) -> tuple[bytes, bytes, bytes]:
        """(identity public, sharing public, signature) as the server stores them."""
        rows = self._run("SELECT identity_public, sharing_public, bundle_signature FROM accounts WHERE email = ?",
                         (email,))
        assert rows, f"no account {email}"
        return rows[0]

    def invitation_grant(self, vault_id: str, invitee_email: str) -> bytes:
        rows = self._run("SELECT grant FROM invitations WHERE vault_id = ? AND invitee_id = ?",
                         (_hex(vault_id), _hex(self.account_id(invitee_email))))
        assert rows, "no such invitation"
        return rows[0][0]

    # -- writing -----------------------------------------------------------------------------------

    def next_seq(self, vault_id: str) -> int:
        """Advance the vault's change counter, as a write would, and return the new value."""
        self._run("UPDATE vaults SET seq = seq + 1 WHERE id = ?", (_hex(vault_id),))
        return int(self.vault(vault_id)["seq"])

    def put_item(self, vault_id: str, item_id: str, revision: int, blob: bytes | None, *,
                 seq: int | None = None) -> None:
        """Write an item row (insert or replace); it is sent to clients under a new seq unless given."""
        seq = self.next_seq(vault_id) if seq is None else seq
        self._run("INSERT OR REPLACE INTO items (revision, vault_id, item_id, blob, seq, updated_at) "
                  "VALUES (?, ?, ?, ?, ?, ?)", (revision, _hex(vault_id), _hex(item_id), blob, seq, _now()))

    def delete_item(self, vault_id: str, item_id: str) -> None:
        self._run("DELETE FROM items WHERE vault_id = ? AND item_id = ?", (_hex(vault_id), _hex(item_id)))

    def set_manifest(self, vault_id: str, version: int, mac: bytes) -> None:
        self._run("UPDATE vaults SET manifest_version = ?, manifest_mac = ? WHERE id = ?",
                  (version, mac, _hex(vault_id)))

    def set_seq(self, vault_id: str, seq: int) -> None:
        self._run("UPDATE vaults SET seq = ? WHERE id = ?", (seq, _hex(vault_id)))

    def snapshot(self, vault_id: str) -> VaultSnapshot:
        """The vault's server-side state: what a hostile operator keeps to roll back to later."""
        return VaultSnapshot(vault_id, self.vault(vault_id), self.items(vault_id))

    def restore(self, snap: VaultSnapshot, *, fresh_seq: bool = False) -> None:
        """Put the vault back as it was in ``snap`` (manifest, items, change counter).

        ``fresh_seq``: give the restored rows new change-counter values, so that a device whose
        cursor is past the snapshot is sent them again.
        """
        vault_id = snap.vault_id
        for item_id in set(self.items(vault_id)) - set(snap.items):
            self.delete_item(vault_id, item_id)
        self.set_manifest(vault_id, snap.vault["manifest_version"], snap.vault["manifest_mac"])
        if fresh_seq:
            for row in snap.items.values():
                self.put_item(vault_id, row.item_id, row.revision, row.blob)
        else:
            for row in snap.items.values():
                self.put_item(vault_id, row.item_id, row.revision, row.blob, seq=row.seq)
            self.set_seq(vault_id, snap.vault["seq"])

    def set_member_key(self, vault_id: str, email: str, wrapped: bytes | None, *,
                       pending_grant: bytes | None = None, granted_by: str | None = None) -> None:
        self._run("UPDATE vault_members SET wrapped_vault_key = ?, pending_grant = ?, granted_by = ? "
                  "WHERE vault_id = ? AND account_id = ?",
                  (wrapped, pending_grant, None if granted_by is None else _hex(granted_by), _hex(vault_id),
                   _hex(self.account_id(email))))

    def set_invitation_grant(self, vault_id: str, invitee_email: str, grant: bytes) -> None:
        self._run("UPDATE invitations SET grant = ? WHERE vault_id = ? AND invitee_id = ?",
                  (grant, _hex(vault_id), _hex(self.account_id(invitee_email))))

    def set_bundle(self, email: str, identity_public: bytes, sharing_public: bytes, signature: bytes) -> None:
        self._run("UPDATE accounts SET identity_public = ?, sharing_public = ?, bundle_signature = ? WHERE email = ?",
                  (identity_public, sharing_public, signature, email))

    def delete_vault(self, vault_id: str) -> None:
        for table, column in (("items", "vault_id"), ("invitations", "vault_id"), ("vault_members", "vault_id"),
                              ("vaults", "id")):
            self._run(f"DELETE FROM {table} WHERE {column} = ?", (_hex(vault_id),))

    def inject_vault(self, vault_id: str, email: str, wrapped_vault_key: bytes | None, manifest_mac: bytes, *,
                     role: str = "owner", pending_grant: bytes | None = None, granted_by: str | None = None) -> None:
        """A vault the account never created or accepted, with a membership row the server made up."""
        now = _now()
        self._run("INSERT INTO vaults (key_generation, id, seq, manifest_version, manifest_mac, created_at, "
                  "updated_at, members_version) VALUES (1, ?, 1, 0, ?, ?, ?, 1)",
                  (_hex(vault_id), manifest_mac, now, now))
        self._run("INSERT INTO vault_members (role, key_generation, vault_id, account_id, wrapped_vault_key, "
                  "created_at, updated_at, pending_grant, granted_by) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)",
                  (role, _hex(vault_id), _hex(self.account_id(email)), wrapped_vault_key, now, now, pending_grant,
                   None if granted_by is None else _hex(granted_by)))


def _now() -> str:
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")

"""The classification registry: every table and column the server may hold, and what it holds.

A column that is not listed here is flagged by the audit: whoever adds a column to the schema
must say here what class of data it holds and how to check it. Ciphertext columns name the
envelope kinds (docs/protocol.md) that may appear in them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache

from vault_server.audit import values as v
from vault_server.models.accounts import KDF_ITERATIONS, KDF_MEMORY_KIB, KDF_PARALLELISM
from vault_server.models.vaults import MAX_KEY_GENERATION
from vault_server.models.wire import EnvelopeKind as K


class DataClass(str, enum.Enum):
    """What a column holds, from the operator's point of view."""

    CIPHERTEXT = "ciphertext"
    PUBLIC_KEY = "public key"
    SIGNATURE = "signature"
    HASH = "hash"
    MAC = "MAC"
    RANDOM = "random bytes"
    OPAQUE_ID = "opaque id"
    COUNTER = "counter"
    TIMESTAMP = "timestamp"
    EMAIL = "email"
    SIZE = "size"
    ROLE = "enum/role"
    CONFIG = "config"
    DEVICE_NAME = "device name"


@dataclass(frozen=True)
class Column:
    cls: DataClass
    what: str
    check: v.Check
    nullable: bool = False


ROLES = ("owner", "editor", "viewer")
SERVER_SECRET_NAMES = ("prelogin-decoy", "login-throttle")
THROTTLE_KEY = r"(acct|rcvr|rset|addr|reg):[0-9a-f]{64}"


@cache
def known_revisions() -> frozenset[str]:
    """Every Alembic revision id of this server's migrations."""
    from alembic.script import ScriptDirectory

    from vault_server.migrate import alembic_config

    return frozenset(s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions())


def _revision(value: object) -> str | None:
    return v.one_of(known_revisions(), "a revision of this server's migrations")(value)


C = DataClass
_ID = v.opaque_id
_TIME = v.timestamp
_GENERATION = v.counter(1, MAX_KEY_GENERATION)


def _id(what: str, nullable: bool = False) -> Column:
    return Column(C.OPAQUE_ID, what, _ID, nullable)


def _time(what: str, nullable: bool = False) -> Column:
    return Column(C.TIMESTAMP, what, _TIME, nullable)


def _sealed(kind: int, what: str, nullable: bool = False) -> Column:
    return Column(C.CIPHERTEXT, f"{what} (envelope kind 0x{kind:02x})", v.ciphertext(kind), nullable)


REGISTRY: dict[str, dict[str, Column]] = {
    "alembic_version": {
        "version_num": Column(C.CONFIG, "schema revision", _revision),
    },
    "accounts": {
        "id": _id("account id (chosen by the client)"),
        "email": Column(C.EMAIL, "login name, normalised", v.email),
        "salt": Column(C.RANDOM, "Argon2id salt of the password (16 bytes)", v.random_bytes(16)),
        "kdf_memory_kib": Column(C.CONFIG, "password KDF memory", v.counter(*KDF_MEMORY_KIB)),
        "kdf_iterations": Column(C.CONFIG, "password KDF iterations", v.counter(*KDF_ITERATIONS)),
        "kdf_parallelism": Column(C.CONFIG, "password KDF lanes", v.counter(*KDF_PARALLELISM)),
        "auth_hash": Column(C.HASH, "Argon2id of the auth key", v.argon2id),
        "wrapped_account_key": _sealed(K.ACCOUNT_KEY, "account key under the KEK"),
        "wrapped_private_keys": _sealed(K.PRIVATE_KEYS, "private keys under the account key"),
        "identity_public": Column(C.PUBLIC_KEY, "Ed25519 identity key", v.random_bytes(32)),
        "sharing_public": Column(C.PUBLIC_KEY, "ML-KEM-768 + X25519 sharing key", v.mlkem_public),
        "bundle_signature": Column(C.SIGNATURE, "Ed25519 signature of the public bundle", v.random_bytes(64)),
        "recovery_wrapped_account_key": _sealed(K.RECOVERY, "account key under the recovery code", True),
        "recovery_verifier_hash": Column(C.HASH, "Argon2id of the recovery verifier", v.argon2id, True),
        "created_at": _time("registered"),
        "updated_at": _time("last change of the account record"),
    },
    "device_sessions": {
        "id": _id("session id"),
        "account_id": _id("account of the session"),
        "device_name": Column(C.DEVICE_NAME, "device name chosen by the client", v.label(100)),
        "token_hash": Column(C.HASH, "SHA-256 of the session token", v.random_bytes(32)),
        "created_at": _time("signed in"),
        "last_seen_at": _time("last request"),
        "expires_at": _time("session end"),
    },
    "login_throttles": {
        "key": Column(C.HASH, "HMAC-SHA256 of an email or client address (failure counter key)",
                      v.pattern(THROTTLE_KEY, "a throttle key (scope:64 hex digits)")),
        "failures": Column(C.COUNTER, "failed attempts in the window", v.counter()),
        "last_failure_at": _time("last failure"),
        "blocked_until": _time("blocked until"),
    },
    "server_secrets": {
        "name": Column(C.CONFIG, "purpose of the server-side key", v.one_of(SERVER_SECRET_NAMES, "a known secret")),
        "value": Column(C.RANDOM, "server-side HMAC key (decoy salts, throttle keys)", v.random_bytes(32)),
        "created_at": _time("created"),
    },
    "reset_tokens": {
        "token_hash": Column(C.HASH, "SHA-256 of an operator-issued reset token", v.random_bytes(32)),
        "account_id": _id("account the token resets"),
        "created_at": _time("issued"),
        "expires_at": _time("expiry"),
        "used_at": _time("used", nullable=True),
    },
    "vaults": {
        "id": _id("vault id (chosen by the client)"),
        "key_generation": Column(C.COUNTER, "vault key generation", _GENERATION),
        "seq": Column(C.COUNTER, "change counter", v.counter()),
        "members_version": Column(C.COUNTER, "membership change counter", v.counter()),
        "manifest_version": Column(C.COUNTER, "manifest version", v.counter()),
        "manifest_mac": Column(C.MAC, "HMAC-SHA256 manifest, under a key the server lacks", v.random_bytes(32)),
        "created_at": _time("created"),
        "updated_at": _time("last write"),
    },
    "vault_members": {
        "vault_id": _id("vault"),
        "account_id": _id("member"),
        "role": Column(C.ROLE, "owner, editor or viewer", v.one_of(ROLES, "a role")),
        "key_generation": Column(C.COUNTER, "generation of the member's key copy", _GENERATION),
        "wrapped_vault_key": _sealed(K.VAULT_KEY, "vault key under the member's account key", True),
        "pending_grant": _sealed(K.GRANT, "new vault key sealed to the member after a rotation", True),
        "granted_by": _id("member who sealed the pending grant", nullable=True),
        "created_at": _time("joined"),
        "updated_at": _time("last change"),
    },
    "invitations": {
        "vault_id": _id("vault"),
        "invitee_id": _id("invited account"),
        "inviter_id": _id("inviting account"),
        "role": Column(C.ROLE, "role offered", v.one_of(ROLES, "a role")),
        "key_generation": Column(C.COUNTER, "generation of the sealed key", _GENERATION),
        "grant": _sealed(K.GRANT, "vault key sealed to the invitee, signed by the inviter"),
        "created_at": _time("invited"),
    },
    "items": {
        "vault_id": _id("vault"),
        "item_id": _id("item id (chosen by the client)"),
        "revision": Column(C.COUNTER, "item revision", v.counter(1)),
        "blob": _sealed(K.ITEM, "the whole item; null is a deletion (tombstone)", True),
        "seq": Column(C.COUNTER, "vault change counter at the last write", v.counter()),
        "updated_at": _time("last write"),
    },
    "attachments": {
        "vault_id": _id("vault"),
        "attachment_id": _id("attachment id (chosen by the client)"),
        "size": Column(C.SIZE, "length of the sealed blob", v.counter()),
        "blob": _sealed(K.ATTACHMENT, "a sealed file"),
        "created_at": _time("uploaded"),
    },
}


def row_problems(table: str, row: dict[str, object]) -> list[tuple[str, str]]:
    """Checks across the columns of one row: (column, reason) for each that fails."""
    out: list[tuple[str, str]] = []
    if table == "attachments":
        blob, size = row.get("blob"), row.get("size")
        if isinstance(blob, bytes) and isinstance(size, int) and size != len(blob):
            out.append(("size", f"size {size} but the blob has {len(blob)} bytes"))
    elif table == "vault_members":
        if (row.get("pending_grant") is None) != (row.get("granted_by") is None):
            out.append(("granted_by", "a pending grant and its granter go together"))
        if row.get("wrapped_vault_key") is None and row.get("pending_grant") is None:
            out.append(("wrapped_vault_key", "a member with neither a key copy nor a pending grant"))
    return out

"""The account as this device knows it: settings, Secret Key, session token.

``account.json`` holds what the device needs to unlock offline: server address, email, account id,
salt, the KDF parameters last used successfully (the pin), the wrapped account key and private
keys, and the account's public bundle. None of it is plaintext of the vault. The Secret Key lives in
its own 0600 file and is never sent anywhere; the session token in another.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vault_client import paths
from vault_client.errors import NotLoggedIn, NotSetUp, StateCorrupt

ACCOUNT_FILE = "account.json"
SECRET_KEY_FILE = "secret-key"
SESSION_FILE = "session.json"
STATE_VERSION = 1


@dataclass
class AccountState:
    server: str
    email: str
    account_id: str
    salt: str
    kdf: dict[str, int]
    kdf_pin: dict[str, int]
    wrapped_account_key: str
    wrapped_private_keys: str
    bundle: dict[str, str]
    device_name: str
    insecure: bool = False
    recovery_enabled: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return json.dumps({"version": STATE_VERSION, **asdict(self)}, indent=2).encode()

    @classmethod
    def from_json(cls, data: bytes) -> AccountState:
        try:
            doc = json.loads(data)
            if doc.pop("version") != STATE_VERSION:
                raise ValueError("unknown version")
            return cls(**doc)
        except (ValueError, TypeError, KeyError) as exc:
            raise StateCorrupt(ACCOUNT_FILE) from exc


def _path(name: str) -> Path:
    return paths.state_dir() / name


def has_account() -> bool:
    return _path(ACCOUNT_FILE).exists()


def load_account() -> AccountState:
    path = _path(ACCOUNT_FILE)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotSetUp() from None
    return AccountState.from_json(data)


def save_account(account: AccountState) -> None:
    paths.write_private(_path(ACCOUNT_FILE), account.to_json())


def load_secret_key_text() -> str:
    try:
        return _path(SECRET_KEY_FILE).read_text().strip()
    except FileNotFoundError:
        raise NotSetUp("the Secret Key file is missing") from None


def save_secret_key_text(text: str) -> None:
    paths.write_private(_path(SECRET_KEY_FILE), (text + "\n").encode())


@dataclass
class Session:
    token: str
    session_id: str
    expires_at: str

    def __repr__(self) -> str:
        return f"Session(session_id={self.session_id!r}, token=<redacted>)"


def load_session() -> Session:
    try:
        doc = json.loads(_path(SESSION_FILE).read_bytes())
        return Session(token=doc["token"], session_id=doc["session_id"], expires_at=doc["expires_at"])
    except FileNotFoundError:
        raise NotLoggedIn() from None
    except (ValueError, KeyError, TypeError) as exc:
        raise NotLoggedIn("the saved session is damaged") from exc


def save_session(session: Session) -> None:
    data = {"token": session.token, "session_id": session.session_id, "expires_at": session.expires_at}
    paths.write_private(_path(SESSION_FILE), json.dumps(data).encode())


def clear_session() -> None:
    _path(SESSION_FILE).unlink(missing_ok=True)


def forget_device() -> None:
    """Remove everything this device stores for the account (logout)."""
    home = paths.state_dir()
    for name in (SESSION_FILE, ACCOUNT_FILE, SECRET_KEY_FILE):
        (home / name).unlink(missing_ok=True)
    for cache in home.glob("cache.sqlite3*"):
        cache.unlink(missing_ok=True)

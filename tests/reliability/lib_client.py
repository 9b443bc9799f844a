"""In-process clients built from the real client library (crypto, cache, sync engine, transport).

A ``LibDevice`` is one device of an account: its own cache file, keychain and HTTP session, so
several devices of one or more accounts can run side by side in threads of one test. Items are
really sealed, so "every blob opens" is checked by the same code that checks it for `bv`.

    alice = LibDevice.register(server.url, tmp_path / "alice")
    laptop = alice.login_device(tmp_path / "alice-laptop")
    item_id = alice.add("token-1")
    alice.sync(); laptop.sync()
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import UUID

from tests.helpers import fakes
from vault_client import crypto
from vault_client.account import new_account_keys
from vault_client.cache import Cache
from vault_client.encoding import b64d, b64e
from vault_client.items.model import Item, new_item
from vault_client.keychain import Keychain
from vault_client.sync import SyncEngine, SyncReport
from vault_client.transport import Api
from vault_client.vault import VaultView

FLOOR_KDF = "19456,2,1"
PASSWORD = "correct horse battery staple"
_ENV_LOCK = threading.Lock()


@contextmanager
def _floor_kdf() -> Iterator[None]:
    with _ENV_LOCK:
        old = os.environ.get("BV_KDF")
        os.environ["BV_KDF"] = FLOOR_KDF
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("BV_KDF", None)
            else:
                os.environ["BV_KDF"] = old


class Credentials:
    """What a person holds for an account: email, password, Secret Key (and what was derived)."""

    def __init__(self, email: str, account_id: str, secret_key: crypto.SecretKey, salt: bytes,
                 params: crypto.KdfParams, wrapped_account_key: bytes, wrapped_private_keys: bytes,
                 password: str = PASSWORD) -> None:
        self.email, self.account_id = email, account_id
        self.secret_key, self.salt, self.params = secret_key, salt, params
        self.wrapped_account_key, self.wrapped_private_keys = wrapped_account_key, wrapped_private_keys
        keys = crypto.derive_account_keys(password, secret_key, salt, params)
        self.auth_key = b64e(keys.auth_key.reveal())
        self.account_key = crypto.unwrap_account_key(keys.kek, wrapped_account_key, UUID(account_id))

    def __repr__(self) -> str:
        return f"Credentials(email={self.email!r}, <redacted>)"

    def keychain(self) -> Keychain:
        return Keychain(UUID(self.account_id), self.account_key, self.wrapped_private_keys)


class LibDevice:
    def __init__(self, server_url: str, root: Path, creds: Credentials, token: str, vault_id: str) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.server_url, self.root, self.creds = server_url, root, creds
        self.vault_id = vault_id  # the personal vault
        self._token = token
        self.api = Api(server_url, token)
        self.cache = Cache(root / "cache.sqlite3", account_id=creds.account_id)
        self.keys = creds.keychain()
        self.view = VaultView(self.cache, self.keys)
        self.engine = SyncEngine(self.cache, self.keys, self.api)

    def __repr__(self) -> str:
        return f"LibDevice({self.root.name}, {self.creds.email})"

    @classmethod
    def register(cls, server_url: str, root: Path, email: str | None = None) -> LibDevice:
        email = email or fakes.fake_email("rel")
        with _floor_kdf():
            new = new_account_keys(email, PASSWORD, UUID(fakes.new_id()))
        body = new.body
        with Api(server_url) as api:
            token = api.register(body)["session"]["token"]
        creds = Credentials(email, body["account_id"], new.secret_key, b64d(body["salt"]), new.params,
                            b64d(body["wrapped_account_key"]), b64d(body["wrapped_private_keys"]))
        device = cls(server_url, root, creds, token, new.vault_id)
        device.sync()
        return device

    def login_device(self, root: Path, server_url: str | None = None) -> LibDevice:
        """Another device of the same account (a new session, an empty cache), synced once."""
        url = server_url or self.server_url
        with Api(url) as api:
            token = api.login(self.creds.email, self.creds.auth_key, root.name)["session"]["token"]
        device = LibDevice(url, root, self.creds, token, self.vault_id)
        device.sync()
        return device

    def use_server(self, server_url: str) -> None:
        """Talk to another server address from now on (same session token, same cache)."""
        self.api.close()
        self.server_url = server_url
        self.api = Api(server_url, self._token)
        self.engine = SyncEngine(self.cache, self.keys, self.api)

    def close(self) -> None:
        self.api.close()
        self.cache.close()

    # -- items -----------------------------------------------------------------------------------

    def add(self, token: str, vault_id: str | None = None) -> str:
        item = new_item("login", f"item {token}", username=token, notes=token)
        return self.view.save(vault_id or self.vault_id, item)

    def edit(self, item_id: str, token: str, vault_id: str | None = None, field: str = "username") -> None:
        """Write ``token`` into ``field`` of the item as this device sees it now (queued)."""
        vid = vault_id or self.vault_id
        item = self.current(vid, item_id)
        item.set_field(field, token)
        self.view.save(vid, item, item_id)

    def current(self, vault_id: str, item_id: str) -> Item:
        vault = self.cache.vault(vault_id)
        assert vault is not None
        pending = self.cache.pending_row(vault_id, item_id)
        if pending is not None and pending.blob is not None:
            rev, blob = pending.base_revision + 1, pending.blob
        else:
            row = self.cache.item(vault_id, item_id)
            assert row is not None and row.blob is not None, item_id
            rev, blob = row.revision, row.blob
        return VaultView._open(vault, self.keys.vault_key(vault), item_id, rev, blob, False).item

    def sync(self) -> SyncReport:
        return self.engine.sync()

    def documents(self, vault_id: str | None = None) -> dict[str, str]:
        """item id -> the decrypted document as JSON text (fields, history, conflicts), after
        checking that every cached blob opens, the manifest matches the cache and so do the
        cached manifest bucket digests."""
        out: dict[str, str] = {}
        for vault in self.cache.vaults():
            if vault_id is not None and vault.vault_id != vault_id:
                continue
            key = self.keys.vault_key(vault)
            entries = [(UUID(i), rev, h) for i, rev, h in self.cache.manifest_entries(vault.vault_id)]
            crypto.verify_manifest(key, UUID(vault.vault_id), vault.manifest_version, vault.key_generation,
                                   entries, vault.manifest_mac)
            assert not stale_bucket_rows(self.cache, vault.vault_id, entries)
            for row in self.cache.items(vault.vault_id):
                if row.blob is None:
                    continue
                plain = crypto.open_item(key, UUID(vault.vault_id), UUID(row.item_id), row.revision, row.blob)
                out[row.item_id] = json.dumps(Item.from_bytes(plain).to_dict(), sort_keys=True)
        return out

    def state(self) -> dict[str, tuple[int, bytes | None]]:
        """(vault id/item id) -> (revision, blob hash): what two converged devices agree on."""
        return {f"{v.vault_id}/{r.item_id}": (r.revision, r.hash)
                for v in self.cache.vaults() for r in self.cache.items(v.vault_id)}


def stale_bucket_rows(cache: Cache, vault_id: str, entries: list[tuple[UUID, int, bytes | None]]) -> list[int]:
    """The buckets whose stored (count, digest) row is not that of ``entries`` (the vault's
    cached items): a missing row is fine, a wrong one is not."""
    buckets: dict[int, list] = {}
    for entry in entries:
        buckets.setdefault(crypto.bucket_of(entry[0]), []).append(entry)
    return [b for b, (count, digest) in cache.manifest_buckets(vault_id).items()
            if (count, digest) != (len(buckets.get(b, [])), crypto.bucket_digest(buckets.get(b, [])))]

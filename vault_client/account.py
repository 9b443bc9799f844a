"""Account flows on the device: create, log in on a new device, unlock.

These functions are the bridge between the CLI (which prompts and prints) and the crypto core
(which derives and wraps). The server is asked only for what the protocol says; every answer that
carries keys is verified before anything is saved.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from vault_client import crypto, state
from vault_client.cache import Cache, VaultRow
from vault_client.encoding import b64d, b64e
from vault_client.errors import (
    BadSecretKey,
    IntegrityFailure,
    KdfRefused,
    ServerError,
    UsageError,
    WrongPassword,
)
from vault_client.keychain import Keychain
from vault_client.state import AccountState, Session
from vault_client.transport import Api


def default_device_name() -> str:
    return f"bv on {socket.gethostname()}"[:64]


def new_account_kdf() -> crypto.KdfParams:
    """KDF parameters for a new account: the defaults, or ``BV_KDF`` ("memory_kib,iterations,parallelism").

    ``BV_KDF`` exists for small devices and for tests; values below the floor are refused.
    """
    spec = os.environ.get("BV_KDF")
    if not spec:
        return crypto.DEFAULT_KDF
    try:
        m, t, p = (int(x) for x in spec.split(","))
        params = crypto.KdfParams(m, t, p)
        crypto.check_kdf_params(params)
    except (ValueError, crypto.KdfParamsError) as exc:
        raise UsageError("BV_KDF must be memory_kib,iterations,parallelism within the allowed bounds") from exc
    return params


def parse_secret_key(text: str) -> crypto.SecretKey:
    try:
        return crypto.SecretKey.parse(text)
    except crypto.SecretKeyFormatError:
        raise BadSecretKey() from None


def _kdf_from_wire(doc: Any, pinned: crypto.KdfParams | None) -> crypto.KdfParams:
    try:
        params = crypto.KdfParams.from_dict(doc)
        crypto.check_kdf_params(params, pinned)
    except (crypto.KdfParamsError, TypeError, ValueError) as exc:
        raise KdfRefused(str(exc)[:200]) from None
    return params


def _session_from(doc: dict[str, Any]) -> Session:
    try:
        s = doc["session"]
        return Session(token=str(s["token"]), session_id=str(s["session_id"]), expires_at=str(s["expires_at"]))
    except (KeyError, TypeError):
        raise ServerError("the server's answer has no session") from None


@dataclass
class Created:
    account: AccountState
    secret_key: crypto.SecretKey
    personal_vault_id: str


@dataclass
class NewKeys:
    """Everything a new (or reset) account needs, made on this device. Repr redacted."""

    secret_key: crypto.SecretKey
    params: crypto.KdfParams
    body: dict[str, Any]
    vault_id: str

    def __repr__(self) -> str:
        return f"NewKeys(vault_id={self.vault_id!r}, <redacted>)"


def new_account_keys(email: str, password: str, account_id: UUID) -> NewKeys:
    """A fresh Secret Key, salt, account key, key pairs and first vault, as the register body."""
    params = new_account_kdf()
    secret_key = crypto.SecretKey.generate()
    salt = crypto.new_salt()
    keys = crypto.derive_account_keys(password, secret_key, salt, params)
    account_key = crypto.new_symmetric_key()
    key_pairs = crypto.KeyPairs.generate()
    bundle = crypto.make_public_bundle(key_pairs, account_id, email)
    vault_id = uuid4()
    vault_key = crypto.new_symmetric_key()
    body = {
        "email": email,
        "account_id": str(account_id),
        "salt": b64e(salt),
        "kdf": params.to_dict(),
        "auth_key": b64e(keys.auth_key.reveal()),
        "wrapped_account_key": b64e(crypto.wrap_account_key(keys.kek, account_key, account_id)),
        "wrapped_private_keys": b64e(crypto.wrap_private_keys(account_key, key_pairs, account_id)),
        "bundle": bundle_to_wire(bundle),
        "vault": {
            "vault_id": str(vault_id),
            "wrapped_vault_key": b64e(crypto.wrap_vault_key(account_key, vault_key, vault_id, 1)),
            "key_generation": 1,
            "manifest": {"version": 0, "mac": b64e(crypto.manifest_mac(vault_key, vault_id, 0, 1, []))},
        },
        "device_name": default_device_name(),
    }
    return NewKeys(secret_key, params, body, str(vault_id))


def save_new_account(server: str, new: NewKeys, session: Session, *, insecure: bool) -> AccountState:
    body = new.body
    account = AccountState(
        server=server, email=body["email"], account_id=body["account_id"], salt=body["salt"],
        kdf=new.params.to_dict(), kdf_pin=new.params.to_dict(), wrapped_account_key=body["wrapped_account_key"],
        wrapped_private_keys=body["wrapped_private_keys"], bundle=body["bundle"], device_name=body["device_name"],
        insecure=insecure, extra={"personal_vault_id": new.vault_id},
    )
    state.save_secret_key_text(new.secret_key.format())
    state.save_account(account)
    state.save_session(session)
    return account


def create_account(api: Api, server: str, email: str, password: str, *, insecure: bool) -> Created:
    new = new_account_keys(email, password, uuid4())
    session = _session_from(api.register(new.body))
    account = save_new_account(server, new, session, insecure=insecure)
    return Created(account, new.secret_key, new.vault_id)


def bundle_to_wire(bundle: crypto.PublicBundle) -> dict[str, str]:
    return {
        "identity_public": b64e(bundle.identity_public),
        "sharing_public": b64e(bundle.sharing_public),
        "signature": b64e(bundle.signature),
    }


def bundle_from_wire(account_id: str, doc: Any) -> crypto.PublicBundle:
    try:
        return crypto.PublicBundle(
            account_id=UUID(account_id),
            identity_public=b64d(doc["identity_public"]),
            sharing_public=b64d(doc["sharing_public"]),
            signature=b64d(doc["signature"]),
        )
    except (KeyError, TypeError, ValueError):
        raise IntegrityFailure("the public key bundle is malformed") from None


@dataclass
class LoggedIn:
    """A device just set up: its saved account state, and the keys the login opened (so that
    nothing needs deriving again to use the vault at once)."""

    account: AccountState
    keychain: Keychain


def login(api: Api, server: str, email: str, password: str, secret_key: crypto.SecretKey, *,
          insecure: bool, pinned: dict[str, int] | None = None) -> LoggedIn:
    """Set up this device: derive, authenticate, and verify everything the server returns.

    ``pinned`` is the KDF parameters this device last used successfully: the server may not go below.
    """
    pin = crypto.KdfParams.from_dict(pinned) if pinned else None
    pre = api.prelogin(email)
    params = _kdf_from_wire(pre.get("kdf"), pin)
    try:
        salt = b64d(pre["salt"])
    except (KeyError, ValueError):
        raise ServerError("the server sent a malformed salt") from None
    try:
        keys = crypto.derive_account_keys(password, secret_key, salt, params, pin)
    except crypto.KdfParamsError as exc:  # a salt that is not 16 bytes: refused before deriving
        raise KdfRefused(str(exc)[:200]) from None
    resp = api.login(email, b64e(keys.auth_key.reveal()), default_device_name())
    return adopt_login(api, server, email, secret_key, resp, keys.kek, salt, params, insecure=insecure)


def adopt_login(api: Api, server: str, email: str, secret_key: crypto.SecretKey, resp: dict[str, Any],
                kek: crypto.SecretBytes, salt: bytes, params: crypto.KdfParams, *, insecure: bool) -> LoggedIn:
    """Verify a login-shaped answer (session + account) against our keys, then save this device's state."""
    session = _session_from(resp)
    doc = resp.get("account")
    if not isinstance(doc, dict):
        raise ServerError("the server's answer has no account")
    account, account_key = _verify_account_doc(doc, email, kek, salt, params)
    account.server, account.device_name, account.insecure = server, default_device_name(), insecure
    api.set_token(session.token)
    vaults = api.vaults()
    if not isinstance(vaults, list) or not all(_vault_entry_ok(v) for v in vaults):
        raise IntegrityFailure("the server's list of vaults is malformed")
    owned = [v["vault_id"] for v in vaults if v["role"] == "owner"]
    if len(owned) == 1:
        account.extra["personal_vault_id"] = owned[0]
    state.save_secret_key_text(secret_key.format())
    state.save_account(account)
    state.save_session(session)
    return LoggedIn(account, Keychain(UUID(account.account_id), account_key, b64d(account.wrapped_private_keys)))


def _vault_entry_ok(doc: Any) -> bool:
    if not isinstance(doc, dict) or doc.get("role") not in ("owner", "editor", "viewer"):
        return False
    try:
        return str(UUID(str(doc.get("vault_id")))) == doc.get("vault_id")
    except ValueError:
        return False


def _verify_account_doc(doc: dict[str, Any], email: str, kek: crypto.SecretBytes, salt: bytes,
                        params: crypto.KdfParams) -> tuple[AccountState, crypto.SecretBytes]:
    try:
        account_id = UUID(str(doc["account_id"]))
        wrapped_account_key = b64d(doc["wrapped_account_key"])
        wrapped_private = b64d(doc["wrapped_private_keys"])
    except (KeyError, ValueError, TypeError):
        raise IntegrityFailure("the account record is malformed") from None
    try:
        account_key = crypto.unwrap_account_key(kek, wrapped_account_key, account_id)
        private = crypto.unwrap_private_keys(account_key, wrapped_private, account_id)
    except crypto.CryptoError:
        raise IntegrityFailure("the account keys from the server do not open with your keys") from None
    bundle = bundle_from_wire(str(account_id), doc.get("bundle"))
    mine = crypto.make_public_bundle(private, account_id, email)
    if (mine.identity_public, mine.sharing_public) != (bundle.identity_public, bundle.sharing_public):
        raise IntegrityFailure("the server holds a public key bundle that is not this account's")
    try:  # what others are shown for us must verify too
        crypto.verify_public_bundle(bundle, email)
    except crypto.CryptoError:
        raise IntegrityFailure("the server holds this account's public keys with a broken signature") from None
    return AccountState(
        server="", email=email, account_id=str(account_id), salt=b64e(salt), kdf=params.to_dict(),
        kdf_pin=params.to_dict(), wrapped_account_key=b64e(wrapped_account_key),
        wrapped_private_keys=b64e(wrapped_private), bundle=bundle_to_wire(mine), device_name="",
        recovery_enabled=bool(doc.get("recovery_enabled", False)),
    ), account_key


def unlock(account: AccountState, password: str) -> Keychain:
    """Derive the keys from the password and this device's Secret Key; WrongPassword if they don't fit."""
    secret_key = parse_secret_key(state.load_secret_key_text())
    params = crypto.KdfParams.from_dict(account.kdf)
    pinned = crypto.KdfParams.from_dict(account.kdf_pin)
    keys = crypto.derive_account_keys(password, secret_key, b64d(account.salt), params, pinned)
    account_id = UUID(account.account_id)
    try:
        account_key = crypto.unwrap_account_key(keys.kek, b64d(account.wrapped_account_key), account_id)
    except crypto.CryptoError:
        raise WrongPassword() from None
    return Keychain(account_id, account_key, b64d(account.wrapped_private_keys))


def open_cache(account: AccountState) -> Cache:
    return Cache(account_id=account.account_id)


def personal_vault(account: AccountState, cache: Cache) -> VaultRow | None:
    vid = account.extra.get("personal_vault_id")
    row = cache.vault(vid) if vid else None
    if row is None:
        owned = [v for v in cache.vaults() if v.role == "owner"]
        row = owned[0] if owned else None
    return row

"""Changing the password, the recovery code, recovering with it, and the destructive reset.

- Password change: new salt and derivation, the same account key re-wrapped; items untouched.
- Recovery code: 256 random bits; the server keeps the account key wrapped under a key derived
  from it, and a verifier. With email, Secret Key and the code, a new password can be set and
  nothing is lost.
- Reset (forgotten password, no recovery code): authorised by a one-time token from the operator;
  every key is new, and the server deletes the account's personal vaults. Nothing old can be
  decrypted afterwards, by anyone: that is the point of the design.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from vault_client import crypto, state
from vault_client.account import (
    NewKeys,
    _session_from,
    adopt_login,
    bundle_from_wire,
    default_device_name,
    new_account_kdf,
    new_account_keys,
    parse_secret_key,
    save_new_account,
)
from vault_client.encoding import b64d, b64e
from vault_client.errors import BvError, ExitStatus, IntegrityFailure, ServerError, WrongPassword
from vault_client.state import AccountState
from vault_client.transport import Api


class BadRecoveryCode(BvError):
    """That is not a valid recovery code (a character is mistyped or missing)"""

    status = ExitStatus.USAGE


class RecoveryFailed(BvError):
    """The recovery code, Secret Key or email does not open this account"""

    status = ExitStatus.AUTH
    hint = "check the recovery code and the Secret Key; nothing was changed"


def change_password(api: Api, account: AccountState, old_password: str, new_password: str) -> AccountState:
    """Re-wrap the account key under keys derived from the new password; the server swaps atomically."""
    secret_key = parse_secret_key(state.load_secret_key_text())
    account_id = UUID(account.account_id)
    old_params = crypto.KdfParams.from_dict(account.kdf)
    pin = crypto.KdfParams.from_dict(account.kdf_pin)
    old = crypto.derive_account_keys(old_password, secret_key, b64d(account.salt), old_params, pin)
    try:
        account_key = crypto.unwrap_account_key(old.kek, b64d(account.wrapped_account_key), account_id)
    except crypto.CryptoError:
        raise WrongPassword() from None
    params = _at_least(new_account_kdf(), pin)
    salt = crypto.new_salt()
    new = crypto.derive_account_keys(new_password, secret_key, salt, params, pin)
    wrapped = crypto.wrap_account_key(new.kek, account_key, account_id)
    api.change_password({
        "old_auth_key": b64e(old.auth_key.reveal()), "salt": b64e(salt), "kdf": params.to_dict(),
        "auth_key": b64e(new.auth_key.reveal()), "wrapped_account_key": b64e(wrapped),
    })
    account.salt, account.kdf, account.kdf_pin = b64e(salt), params.to_dict(), params.to_dict()
    account.wrapped_account_key = b64e(wrapped)
    state.save_account(account)
    return account


def _at_least(params: crypto.KdfParams, pin: crypto.KdfParams) -> crypto.KdfParams:
    return crypto.KdfParams(max(params.memory_kib, pin.memory_kib), max(params.iterations, pin.iterations),
                            params.parallelism)


def make_recovery_code(api: Api, account: AccountState, account_key: crypto.SecretBytes) -> crypto.RecoveryCode:
    code = crypto.RecoveryCode.generate()
    account_id = UUID(account.account_id)
    _, verifier = crypto.recovery_keys(code, account_id)
    blob = crypto.wrap_account_key_for_recovery(code, account_key, account_id)
    api.set_recovery(b64e(verifier.reveal()), b64e(blob))
    account.recovery_enabled = True
    state.save_account(account)
    return code


def parse_recovery_code(text: str) -> crypto.RecoveryCode:
    try:
        return crypto.RecoveryCode.parse(text)
    except crypto.SecretKeyFormatError:
        raise BadRecoveryCode() from None


def recover(api: Api, server: str, email: str, secret_text: str, code: crypto.RecoveryCode, new_password: str,
            *, insecure: bool) -> AccountState:
    """Set a new password with the recovery code; every item stays readable."""
    secret_key = parse_secret_key(secret_text)
    try:
        account_id = UUID(str(api.recovery_account_id(email)["account_id"]))
    except (KeyError, ValueError, TypeError):
        raise ServerError("the server sent a malformed account id") from None
    _, verifier = crypto.recovery_keys(code, account_id)
    try:
        doc = api.recovery_fetch(email, b64e(verifier.reveal()))
    except WrongPassword:
        raise RecoveryFailed() from None
    try:
        blob = b64d(doc["recovery_wrapped_account_key"])
        wrapped_private = b64d(doc["wrapped_private_keys"])
    except (KeyError, ValueError, TypeError):
        raise IntegrityFailure("the recovery record is malformed") from None
    try:
        account_key = crypto.unwrap_account_key_for_recovery(code, blob, account_id)
        private = crypto.unwrap_private_keys(account_key, wrapped_private, account_id)
    except crypto.CryptoError:
        raise RecoveryFailed() from None
    bundle = bundle_from_wire(str(account_id), doc.get("bundle"))
    mine = crypto.make_public_bundle(private, account_id, email)
    if (mine.identity_public, mine.sharing_public) != (bundle.identity_public, bundle.sharing_public):
        raise IntegrityFailure("the server holds a public key bundle that is not this account's")
    params = new_account_kdf()
    salt = crypto.new_salt()
    keys = crypto.derive_account_keys(new_password, secret_key, salt, params)
    resp = api.recovery_complete({
        "email": email, "verifier": b64e(verifier.reveal()), "salt": b64e(salt), "kdf": params.to_dict(),
        "auth_key": b64e(keys.auth_key.reveal()),
        "wrapped_account_key": b64e(crypto.wrap_account_key(keys.kek, account_key, account_id)),
        "device_name": default_device_name(),
    })
    return adopt_login(api, server, email, secret_key, resp, keys.kek, salt, params, insecure=insecure).account


@dataclass
class ResetPreview:
    account_id: str
    personal_vaults: int
    personal_items: int
    shared_vaults: list[dict[str, Any]]


def reset_preview(api: Api, email: str, token: str) -> ResetPreview:
    doc = api.reset_preview(email, token)
    try:
        items = int(doc["personal_items"]) - int(doc.get("vault_info_items", 0))  # vault names are not items
        return ResetPreview(str(UUID(str(doc["account_id"]))), int(doc["personal_vaults"]), items,
                            list(doc["shared_vaults"]))
    except (KeyError, ValueError, TypeError):
        raise ServerError("the server sent a malformed reset preview") from None


def reset(api: Api, server: str, email: str, token: str, account_id: str, new_password: str,
          *, insecure: bool) -> tuple[AccountState, NewKeys]:
    """Make every key anew; the server deletes the old personal vaults. Returns the new state."""
    new = new_account_keys(email, new_password, UUID(account_id))
    body = {k: v for k, v in new.body.items() if k != "account_id"}
    body["token"] = token
    session = _session_from(api.reset_complete(body))
    state.forget_device()
    account = save_new_account(server, new, session, insecure=insecure)
    return account, new

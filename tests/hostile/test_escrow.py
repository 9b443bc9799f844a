"""Key escrow the server did not get: forged recovery and admin keys.

The paper's worst attacks (Bitwarden's account recovery, LastPass's super-admin reset) make the
client wrap the user's key to a public key the server supplies. Blindvault has no command that
wraps anything to a key from the server: recovery material is made on the device, only when the
user asks. Here the server offers such keys in every answer the client reads (account record,
login, vaults, sync) and the recorded requests show that nothing was wrapped to them.
"""

from __future__ import annotations

import json
import re
from uuid import UUID

import pytest

from tests.client.bv import Device
from tests.hostile.checks import refused
from tests.hostile.proxy import HostileProxy, Listener
from vault_client import crypto
from vault_client.account import bundle_to_wire
from vault_client.encoding import b64d, b64e

SERVER_KEYS = crypto.KeyPairs.generate()
OFFERED = b64e(SERVER_KEYS.sharing_public)  # a public key only the server can open for


def _offers(listener_url: str) -> dict:
    return {"recovery_public_key": OFFERED, "admin_key": OFFERED, "admin_keys": [OFFERED],
            "organization": {"public_key": OFFERED, "auto_enroll": True, "recovery_policy": "automatic",
                             "key_connector_url": listener_url + "/key-connector"},
            "escrow": {"public_key": OFFERED, "required": True}}


def _inject(proxy: HostileProxy, listener_url: str) -> None:
    offers = _offers(listener_url)

    def account(doc: dict, _exchange) -> None:
        doc.update(offers, recovery_enabled=True)
        if isinstance(doc.get("account"), dict):
            doc["account"].update(offers, recovery_enabled=True)

    def vaults(doc: dict, _exchange) -> None:
        doc.update(offers)
        for vault in doc.get("vaults", []):
            vault.update(offers)

    for method, path in (("GET", "/v1/accounts/me"), ("POST", "/v1/login"), ("POST", "/v1/recovery/complete")):
        proxy.rewrite(method, path, account)
    for method, path in (("GET", "/v1/vaults"), ("POST", "/v1/sync")):
        proxy.rewrite(method, path, vaults)


def _nothing_sent_to_the_offered_key(proxy: HostileProxy, listener: Listener) -> None:
    assert listener.hits == []
    for exchange in proxy.requests():
        assert OFFERED not in exchange.text(), exchange.path
        for value in _strings(exchange.body):
            try:
                raw = b64d(value)
            except ValueError:
                continue
            assert not raw.startswith(b"\x01\x06"), exchange.path  # no grant (HPKE to a public key) at all


def _strings(doc: object):
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for value in doc.values():
            yield from _strings(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _strings(value)


@pytest.fixture(scope="module")
def account(accounts) -> tuple[Device, str, object]:
    device, email, kit = accounts.create("escrow")
    device.ok("add", "login", "Bank", "--username", "me", input="bank-password\n")
    return device, email, kit


def test_recovery_code_wraps_only_to_a_code_made_on_this_device(hostile: HostileProxy, account) -> None:
    device, email, _ = account
    with Listener() as listener:
        _inject(hostile, listener.url)
        device.ok("sync")
        out = device.ok("account", "recovery-code").out
        _nothing_sent_to_the_offered_key(hostile, listener)
    code = crypto.RecoveryCode.parse(re.search(r"Recovery code: (\S+)", out).group(1))
    account_id = UUID(json.loads((device.home / "account.json").read_text())["account_id"])
    [put] = hostile.requests("PUT", "/v1/account/recovery")
    assert set(put.body) == {"verifier", "wrapped_account_key"}
    assert b64d(put.body["verifier"]) == crypto.recovery_keys(code, account_id)[1].reveal()
    crypto.unwrap_account_key_for_recovery(code, b64d(put.body["wrapped_account_key"]), account_id)  # opens
    assert hostile.paths() == ["POST /v1/sync", "PUT /v1/account/recovery"]


def test_login_answer_offering_escrow_keys_gets_nothing(hostile: HostileProxy, accounts, account) -> None:
    _, _, kit = account
    fresh = accounts.device("escrow-new")
    with Listener() as listener:
        _inject(hostile, listener.url)
        fresh.ok("login", "--kit", str(kit))
        fresh.ok("sync")
        _nothing_sent_to_the_offered_key(hostile, listener)
    sent = hostile.paths()
    assert sent[:2] == ["POST /v1/prelogin", "POST /v1/login"]
    assert set(sent[2:]) <= {"GET /v1/vaults", "POST /v1/sync"}, sent  # reads only: nothing wrapped, nothing put


def test_recovery_record_forged_by_the_server_is_refused(hostile: HostileProxy, accounts, account, root) -> None:
    """The server answers the recovery fetch with an account key of its own, wrapped under a code it
    made: adopting it would put every new item under a key the server knows. It does not open."""
    device, email, kit = account
    account_id = UUID(json.loads((device.home / "account.json").read_text())["account_id"])
    # the user's real code (made by the previous test, or now)
    code_text = re.search(r"Recovery code: (\S+)", device.ok("account", "recovery-code").out).group(1)
    server_code, server_key = crypto.RecoveryCode.generate(), crypto.new_symmetric_key()
    server_pairs = crypto.KeyPairs.generate()

    def forge(doc: dict, _exchange) -> None:
        doc["recovery_wrapped_account_key"] = b64e(crypto.wrap_account_key_for_recovery(server_code, server_key,
                                                                                         account_id))
        doc["wrapped_private_keys"] = b64e(crypto.wrap_private_keys(server_key, server_pairs, account_id))
        doc["bundle"] = bundle_to_wire(crypto.make_public_bundle(server_pairs, account_id, email))

    fresh = accounts.device("escrow-recover")
    code_file, new_password = root / "escrow-code", root / "escrow-new-password"
    code_file.write_text(code_text + "\n")
    new_password.write_text("a brand new password\n")
    hostile.clear_log()
    hostile.rewrite("POST", "/v1/recovery/fetch", forge)
    result = fresh.run("account", "recover", "--kit", str(kit),
                       env=fresh.env(BV_RECOVERY_CODE_FILE=str(code_file), BV_NEW_PASSWORD_FILE=str(new_password)))
    refused(result, status=4, says="does not open this account")
    assert hostile.requests("POST", "/v1/recovery/complete") == []  # no new password material sent
    assert not (fresh.home / "account.json").exists()

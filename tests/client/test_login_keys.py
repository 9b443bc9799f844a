"""`bv login` opens the account with the keys it derived to log in: one Argon2 derivation, not two."""

from __future__ import annotations

import os
from pathlib import Path
from uuid import UUID

import pytest

from tests.client.bv import FLOOR_KDF
from tests.client.members import PASSWORD, Member
from vault_client import account as acct
from vault_client import crypto, state
from vault_client.transport import Api


def test_login_returns_the_keys_it_opened(tmp_path: Path, server_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    owner = Member(tmp_path, "owner", server_url)
    with owner:
        secret_key = crypto.SecretKey.parse(state.load_secret_key_text())
    owner.close()
    monkeypatch.setenv("BV_HOME", str(tmp_path / "second-device"))
    monkeypatch.setenv("BV_KDF", FLOOR_KDF)
    calls = []
    real = crypto.derive_account_keys
    monkeypatch.setattr(crypto, "derive_account_keys", lambda *a, **k: calls.append(1) or real(*a, **k))
    with Api(server_url) as api:
        done = acct.login(api, server_url, owner.email, PASSWORD, secret_key, insecure=False)
    assert len(calls) == 1
    assert done.account.email == owner.email and state.load_account().account_id == done.account.account_id
    again = acct.unlock(done.account, PASSWORD)  # what a later command derives from the password
    assert done.keychain.account_key.reveal() == again.account_key.reveal()
    account_id = UUID(done.account.account_id)
    mine = crypto.make_public_bundle(done.keychain.private_keys(), account_id, owner.email)
    assert mine == crypto.make_public_bundle(again.private_keys(), account_id, owner.email)
    assert "redacted" in repr(done) and PASSWORD not in repr(done)
    assert os.environ["BV_HOME"].endswith("second-device")

"""Register, prelogin, login, sessions, account lookup and password change over real HTTP."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.helpers import fakes
from tests.server.api import Api, error_code

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def test_register_then_login_returns_what_was_registered(api: Api) -> None:
    acct = api.register()
    resp = api.login(acct.email, acct.auth_key, "laptop")
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert set(doc) == {"session", "account"}
    assert set(doc["session"]) == {"token", "session_id", "expires_at"}
    assert len(fakes.unb64(doc["session"]["token"])) == 32
    account = doc["account"]
    body = acct.body
    assert account == {
        "account_id": body["account_id"],
        "email": acct.email,
        "salt": body["salt"],
        "kdf": body["kdf"],
        "wrapped_account_key": body["wrapped_account_key"],
        "wrapped_private_keys": body["wrapped_private_keys"],
        "bundle": body["bundle"],
        "recovery_enabled": False,
    }
    me = api.get("/accounts/me", doc["session"]["token"])
    assert me.status_code == 200 and me.json() == account
    # The first personal vault exists, owned by the new account.
    (vault,) = api.get("/vaults", acct.token).json()["vaults"]
    assert vault["vault_id"] == acct.vault_id and vault["role"] == "owner"
    assert vault["wrapped_vault_key"] == body["vault"]["wrapped_vault_key"]
    assert vault["manifest"] == {"version": 0, "generation": 1, "mac": body["vault"]["manifest"]["mac"]}
    assert vault["seq"] == 0 and vault["key_generation"] == 1


def test_prelogin_returns_the_account_salt_and_kdf(api: Api) -> None:
    acct = api.register()
    resp = api.post("/prelogin", {"email": acct.email.upper()})
    assert resp.status_code == 200
    assert resp.json() == {"salt": acct.body["salt"], "kdf": acct.body["kdf"]}


def _shape(doc: dict) -> dict:
    return {
        "keys": sorted(doc),
        "salt_len": len(fakes.unb64(doc["salt"])),
        "kdf_keys": sorted(doc["kdf"]),
        "kdf_types": [type(v).__name__ for v in doc["kdf"].values()],
    }


def test_prelogin_does_not_reveal_whether_an_account_exists(api: Api) -> None:
    body, _ = fakes.registration()
    body["kdf"] = {"memory_kib": 65536, "iterations": 3, "parallelism": 4}  # the default
    assert api.post("/accounts", body).status_code == 201
    known = api.post("/prelogin", {"email": body["email"]})
    unknown_email = fakes.fake_email("nobody")
    unknown = api.post("/prelogin", {"email": unknown_email})
    assert known.status_code == unknown.status_code == 200
    assert known.headers["content-type"] == unknown.headers["content-type"]
    assert _shape(known.json()) == _shape(unknown.json())
    assert known.json()["kdf"] == unknown.json()["kdf"]
    # Stable across calls (a fresh random salt each time would give the decoy away) ...
    assert api.post("/prelogin", {"email": unknown_email}).json() == unknown.json()
    assert api.post("/prelogin", {"email": unknown_email.upper()}).json() == unknown.json()
    # ... and different for different emails.
    other = api.post("/prelogin", {"email": fakes.fake_email("nobody")}).json()
    assert other["salt"] != unknown.json()["salt"]


def test_wrong_auth_key_and_unknown_email_get_the_same_answer(api: Api) -> None:
    acct = api.register()
    wrong = api.login(acct.email, secrets.token_bytes(32))
    unknown = api.login(fakes.fake_email("ghost"), secrets.token_bytes(32))
    assert wrong.status_code == unknown.status_code == 401
    assert error_code(wrong) == error_code(unknown) == "bad_credentials"
    assert wrong.json() == unknown.json()


def test_register_refuses_a_taken_email_and_taken_ids(api: Api) -> None:
    acct = api.register()
    again, _ = fakes.registration(acct.email.upper())
    resp = api.post("/accounts", again)
    assert resp.status_code == 409 and error_code(resp) == "email_taken"
    same_id, _ = fakes.registration()
    same_id["account_id"] = acct.account_id
    resp = api.post("/accounts", same_id)
    assert resp.status_code == 409 and error_code(resp) == "conflict"
    same_vault, _ = fakes.registration()
    same_vault["vault"]["vault_id"] = acct.vault_id
    resp = api.post("/accounts", same_vault)
    assert resp.status_code == 409 and error_code(resp) == "conflict"
    # Nothing of the refused registrations was stored.
    assert api.post("/prelogin", {"email": same_vault["email"]}).json()["salt"] != same_vault["salt"]


def test_sessions_list_revoke_and_logout(api: Api) -> None:
    acct = api.register(device_name="phone")
    laptop = api.login_token(acct, "laptop")
    listed = api.get("/sessions", laptop).json()["sessions"]
    assert sorted(s["device_name"] for s in listed) == ["laptop", "phone"]
    assert [s["device_name"] for s in listed if s["current"]] == ["laptop"]
    assert set(listed[0]) == {"session_id", "device_name", "created_at", "last_seen_at", "current"}

    # The laptop revokes the phone: the phone's token stops working at once.
    resp = api.delete(f"/sessions/{acct.session_id}", laptop)
    assert resp.status_code == 204
    resp = api.get("/vaults", acct.token)
    assert resp.status_code == 401 and error_code(resp) == "unauthorized"
    assert api.delete(f"/sessions/{acct.session_id}", laptop).status_code == 404

    # Someone else's session cannot be revoked (and is not revealed to exist).
    other = api.register()
    resp = api.delete(f"/sessions/{other.session_id}", laptop)
    assert resp.status_code == 404 and error_code(resp) == "not_found"
    assert api.get("/vaults", other.token).status_code == 200

    assert api.post("/logout", None, laptop).status_code == 204
    assert api.get("/sessions", laptop).status_code == 401


def test_endpoints_need_a_valid_session(api: Api) -> None:
    junk_tokens = [None, "x", "not base64!", fakes.b64(secrets.token_bytes(32)), fakes.b64(b"short")]
    for token in junk_tokens:
        for method, path in (("GET", "/vaults"), ("GET", "/sessions"), ("GET", "/accounts/me"),
                             ("POST", "/sync"), ("POST", "/logout"), ("GET", "/bundles?email=a@b.co")):
            headers = {} if token is None else {"Authorization": f"Bearer {token}"}
            resp = api.call(method, path, headers=headers, json={"cursors": {}} if method == "POST" else None)
            assert resp.status_code == 401, (method, path, token)
            assert error_code(resp) == "unauthorized"
    acct = api.register()
    basic = "Basic " + base64.b64encode(b"user:pass").decode()
    assert api.get("/vaults", headers={"Authorization": basic}).status_code == 401
    assert api.get("/vaults", acct.token).status_code == 200


def test_bundle_lookup_by_email(api: Api) -> None:
    alice, bob = api.register(), api.register()
    resp = api.get("/bundles", alice.token, params={"email": bob.email.upper()})
    assert resp.status_code == 200
    assert resp.json() == {"account_id": bob.account_id, "email": bob.email, "bundle": bob.body["bundle"]}
    resp = api.get("/bundles", alice.token, params={"email": fakes.fake_email("nobody")})
    assert resp.status_code == 404 and error_code(resp) == "not_found"
    resp = api.get("/bundles", alice.token, params={"email": "not an email"})
    assert resp.status_code == 400 and error_code(resp) == "invalid_request"


def _password_change(old_key: bytes) -> tuple[dict, bytes]:
    new_key = secrets.token_bytes(32)
    return {
        "old_auth_key": fakes.b64(old_key),
        "salt": fakes.b64(secrets.token_bytes(16)),
        "kdf": {"memory_kib": 65536, "iterations": 3, "parallelism": 4},
        "auth_key": fakes.b64(new_key),
        "wrapped_account_key": fakes.b64(fakes.envelope(fakes.KIND_ACCOUNT_KEY, 60)),
    }, new_key


def test_password_change_swaps_keys_and_ends_other_sessions(api: Api) -> None:
    acct = api.register(device_name="desktop")
    phone = api.login_token(acct, "phone")

    # A wrong old auth key changes nothing.
    bad, _ = _password_change(secrets.token_bytes(32))
    resp = api.post("/account/password", bad, acct.token)
    assert resp.status_code == 401 and error_code(resp) == "bad_credentials"
    assert api.get("/vaults", phone).status_code == 200
    assert api.post("/prelogin", {"email": acct.email}).json()["salt"] == acct.body["salt"]

    change, new_key = _password_change(acct.auth_key)
    resp = api.post("/account/password", change, acct.token)
    assert resp.status_code == 200, resp.text
    account = resp.json()["account"]
    assert account["salt"] == change["salt"] and account["kdf"] == change["kdf"]
    assert account["wrapped_account_key"] == change["wrapped_account_key"]

    assert api.get("/vaults", acct.token).status_code == 200  # this device stays signed in
    assert api.get("/vaults", phone).status_code == 401  # the others must log in again
    assert api.post("/prelogin", {"email": acct.email}).json() == {"salt": change["salt"], "kdf": change["kdf"]}
    assert api.login(acct.email, acct.auth_key).status_code == 401
    assert api.login(acct.email, new_key).status_code == 200



def test_last_seen_is_kept_current_even_on_write_requests(api: Api, server) -> None:  # noqa: ANN001
    acct = api.register()
    engine = sa.create_engine(server.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE device_sessions SET last_seen_at = :t"), {"t": LONG_AGO})
    finally:
        engine.dispose()
    # Authenticating this write request also refreshes last_seen_at: two write transactions in
    # one request, which must not wait on each other.
    resp = api.post("/vaults", fakes.vault_body(), acct.token)
    assert resp.status_code == 201, resp.text
    (mine,) = [s for s in api.get("/sessions", acct.token).json()["sessions"] if s["current"]]
    assert datetime.fromisoformat(mine["last_seen_at"]) > datetime.now(UTC) - timedelta(minutes=5)

"""Recovery codes over real HTTP on both back ends: the record, the lookups, recovering, throttling.

The verifier and the recovery-wrapped key are fakes: the server only hashes the one and stores
the other, so it cannot tell.
"""

from __future__ import annotations

import secrets
import uuid

from tests.helpers import fakes
from tests.server.api import Api, Registered, error_code
from tests.server.db import ServerDb

# Two wrong recovery attempts are free, the third locks the account's recovery out.
SERVER_ENV = {"BV_LOGIN_FREE_FAILURES": "3", "BV_LOGIN_LOCKOUT_FAILURES": "3", "BV_LOCKOUT_SECONDS": "600"}


def _recovery() -> tuple[dict[str, str], bytes]:
    verifier = secrets.token_bytes(32)
    return {"verifier": fakes.b64(verifier),
            "wrapped_account_key": fakes.b64(fakes.envelope(fakes.KIND_RECOVERY, 60))}, verifier


def _with_recovery(api: Api) -> tuple[Registered, dict[str, str], bytes]:
    acct = api.register()
    body, verifier = _recovery()
    assert api.put("/account/recovery", acct.token, json=body).status_code == 204
    return acct, body, verifier


def _fetch(api: Api, email: str, verifier: bytes):  # noqa: ANN202 - httpx.Response
    return api.post("/recovery/fetch", {"email": email, "verifier": fakes.b64(verifier)})


def _complete(email: str, verifier: bytes) -> tuple[dict, bytes]:
    material, auth_key = fakes.password_material()
    return {"email": email, "verifier": fakes.b64(verifier), **material, "device_name": "recovered"}, auth_key


def test_the_recovery_record_is_set_replaced_and_removed(api: Api, db: ServerDb) -> None:
    acct = api.register()
    assert api.get("/accounts/me", acct.token).json()["recovery_enabled"] is False
    body, verifier = _recovery()
    assert api.put("/account/recovery", json=body).status_code == 401
    bad = dict(body, wrapped_account_key=fakes.b64(fakes.envelope(fakes.KIND_ACCOUNT_KEY, 60)))
    resp = api.put("/account/recovery", acct.token, json=bad)
    assert resp.status_code == 400 and error_code(resp) == "invalid_request"

    assert api.put("/account/recovery", acct.token, json=body).status_code == 204
    assert api.get("/accounts/me", acct.token).json()["recovery_enabled"] is True
    assert api.login(acct.email, acct.auth_key).json()["account"]["recovery_enabled"] is True
    ((stored_hash, stored_wrap),) = db.rows(
        "SELECT recovery_verifier_hash, recovery_wrapped_account_key FROM accounts WHERE id = :a",
        a=db.id(acct.account_id))
    assert stored_hash.startswith("$argon2id$") and verifier not in db.all_bytes()
    assert stored_wrap == fakes.unb64(body["wrapped_account_key"])

    # Replacing: the old code stops working, the new one works.
    new_body, new_verifier = _recovery()
    assert api.put("/account/recovery", acct.token, json=new_body).status_code == 204
    assert _fetch(api, acct.email, verifier).status_code == 401
    assert _fetch(api, acct.email, new_verifier).json()["recovery_wrapped_account_key"] == new_body["wrapped_account_key"]

    assert api.delete("/account/recovery", acct.token).status_code == 204
    assert api.get("/accounts/me", acct.token).json()["recovery_enabled"] is False
    assert db.rows("SELECT recovery_verifier_hash, recovery_wrapped_account_key FROM accounts WHERE id = :a",
                   a=db.id(acct.account_id)) == [(None, None)]


def test_account_id_lookup_does_not_reveal_whether_an_account_exists(api: Api) -> None:
    acct = api.register()
    resp = api.post("/recovery/account-id", {"email": acct.email.upper()})
    assert resp.status_code == 200 and resp.json() == {"account_id": acct.account_id}
    unknown = fakes.fake_email("nobody")
    decoy = api.post("/recovery/account-id", {"email": unknown})
    assert decoy.status_code == 200 and set(decoy.json()) == {"account_id"}
    decoy_id = uuid.UUID(decoy.json()["account_id"])
    assert decoy_id.version == 4 and str(decoy_id) == decoy.json()["account_id"]
    assert api.post("/recovery/account-id", {"email": unknown.upper()}).json() == decoy.json()  # stable
    assert api.post("/recovery/account-id", {"email": fakes.fake_email("nobody")}).json() != decoy.json()


def test_fetch_needs_the_right_verifier(api: Api) -> None:
    acct, body, verifier = _with_recovery(api)
    resp = _fetch(api, acct.email, verifier)
    assert resp.status_code == 200
    assert resp.json() == {"account_id": acct.account_id, "recovery_wrapped_account_key": body["wrapped_account_key"],
                           "wrapped_private_keys": acct.body["wrapped_private_keys"], "bundle": acct.body["bundle"]}

    without = api.register()
    refusals = [_fetch(api, acct.email, secrets.token_bytes(32)),           # wrong verifier
                _fetch(api, fakes.fake_email("ghost"), verifier),           # unknown email
                _fetch(api, without.email, verifier)]                       # no recovery code set up
    for resp in refusals:
        assert resp.status_code == 401 and error_code(resp) == "bad_credentials"
    assert refusals[0].json() == refusals[1].json() == refusals[2].json()


def test_recovery_sets_a_new_password_and_ends_every_session(api: Api) -> None:
    acct, body, verifier = _with_recovery(api)
    phone = api.login_token(acct, "phone")

    wrong, _ = _complete(acct.email, secrets.token_bytes(32))
    resp = api.post("/recovery/complete", wrong)
    assert resp.status_code == 401 and error_code(resp) == "bad_credentials"
    assert api.get("/vaults", phone).status_code == 200  # nothing changed

    change, new_key = _complete(acct.email, verifier)
    resp = api.post("/recovery/complete", change)
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert set(doc) == {"session", "account"}
    account = doc["account"]
    assert (account["salt"], account["kdf"], account["wrapped_account_key"]) == (
        change["salt"], change["kdf"], change["wrapped_account_key"])
    assert account["wrapped_private_keys"] == acct.body["wrapped_private_keys"]  # same account key
    assert account["recovery_enabled"] is True

    for old in (acct.token, phone):
        assert api.get("/vaults", old).status_code == 401
    sessions = api.get("/sessions", doc["session"]["token"]).json()["sessions"]
    assert [s["device_name"] for s in sessions] == ["recovered"]
    assert api.login(acct.email, acct.auth_key).status_code == 401
    assert api.login(acct.email, new_key).status_code == 200
    # The record is kept: it still wraps the same account key.
    assert _fetch(api, acct.email, verifier).json()["recovery_wrapped_account_key"] == body["wrapped_account_key"]


def test_wrong_verifiers_are_throttled_apart_from_logins(api: Api) -> None:
    acct, _, verifier = _with_recovery(api)
    for _ in range(3):
        assert _fetch(api, acct.email, secrets.token_bytes(32)).status_code == 401
    for resp in (_fetch(api, acct.email, verifier), api.post("/recovery/complete", _complete(acct.email, verifier)[0])):
        assert resp.status_code == 429 and error_code(resp) == "rate_limited"
        assert resp.json()["error"]["retry_after"] > 500 and int(resp.headers["Retry-After"]) > 500
    # Guessing recovery codes does not lock the owner out of logging in.
    assert api.login(acct.email, acct.auth_key).status_code == 200
    other, _, other_verifier = _with_recovery(api)
    assert _fetch(api, other.email, other_verifier).status_code == 200

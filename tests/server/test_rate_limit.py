"""Failed logins are slowed, then refused, per account across server processes and per address;
so are registrations per address and wrong reset tokens."""

from __future__ import annotations

import secrets
import time

from tests.helpers import fakes
from tests.helpers.server_proc import ServerProcess
from tests.server.api import Api, error_code
from tests.server.db import issue_reset_token

QUIET_ADDRESS = {"BV_ADDRESS_FREE_FAILURES": "1000", "BV_ADDRESS_LOCKOUT_FAILURES": "100000"}
QUIET_ACCOUNT = {"BV_LOGIN_FREE_FAILURES": "1000", "BV_LOGIN_LOCKOUT_FAILURES": "100000"}


def _retry_after(resp) -> int:  # noqa: ANN001 - httpx.Response
    assert resp.status_code == 429, resp.text
    assert error_code(resp) == "rate_limited"
    seconds = resp.json()["error"]["retry_after"]
    assert isinstance(seconds, int) and str(seconds) == resp.headers["Retry-After"]
    return seconds


def test_wrong_logins_are_slowed_then_refused_across_two_processes(bv_server_factory, pg_url: str) -> None:
    env = {**QUIET_ADDRESS, "BV_LOGIN_FREE_FAILURES": "2", "BV_LOGIN_LOCKOUT_FAILURES": "5",
           "BV_BACKOFF_BASE_SECONDS": "0.3", "BV_BACKOFF_MAX_SECONDS": "60", "BV_LOCKOUT_SECONDS": "600"}
    one: ServerProcess = bv_server_factory("postgres", database_url=pg_url, env=env)
    two: ServerProcess = bv_server_factory("postgres", database_url=pg_url, env=env)
    a, b = Api(one.api_url), Api(two.api_url)
    try:
        victim, bystander = a.register(), a.register()
        wrong = secrets.token_bytes(32)

        assert a.login(victim.email, wrong).status_code == 401  # failure 1, free
        assert b.login(victim.email, wrong).status_code == 401  # failure 2: blocked 0.3 s
        # The other process knows: even the right key waits.
        assert _retry_after(a.login(victim.email, victim.auth_key)) == 1
        time.sleep(0.35)
        assert a.login(victim.email, wrong).status_code == 401  # failure 3: blocked 0.6 s
        assert _retry_after(b.login(victim.email, wrong)) == 1
        time.sleep(0.65)
        assert b.login(victim.email, wrong).status_code == 401  # failure 4: blocked 1.2 s
        assert _retry_after(a.login(victim.email, wrong)) == 2  # growing
        time.sleep(1.25)
        assert a.login(victim.email, wrong).status_code == 401  # failure 5: locked out
        for api in (a, b):
            assert _retry_after(api.login(victim.email, victim.auth_key)) > 500

        # Per account: another account from the same address is not affected.
        # (And both processes share the server secret: the same decoy for an unknown email.)
        ghost = {"email": "ghost@example.test"}
        assert a.post("/prelogin", ghost).json() == b.post("/prelogin", ghost).json()
        assert a.login(bystander.email, bystander.auth_key).status_code == 200
        assert b.login(bystander.email, bystander.auth_key).status_code == 200
    finally:
        a.close()
        b.close()


def test_failures_from_one_address_are_refused_for_every_account(bv_server_factory) -> None:
    env = {**QUIET_ACCOUNT, "BV_ADDRESS_FREE_FAILURES": "2", "BV_ADDRESS_LOCKOUT_FAILURES": "4",
           "BV_BACKOFF_BASE_SECONDS": "0.2", "BV_LOCKOUT_SECONDS": "600"}
    server: ServerProcess = bv_server_factory("sqlite", env=env)
    api = Api(server.api_url)
    try:
        real = api.register()
        for n in range(4):  # unknown emails count too: no enumeration through the throttle
            assert api.login(f"guess-{n}@example.test", secrets.token_bytes(32)).status_code == 401
            time.sleep(0.45)
        assert _retry_after(api.login(real.email, real.auth_key)) > 500
        # Registered sessions keep working; only logins from this address are refused.
        assert api.get("/vaults", real.token).status_code == 200
    finally:
        api.close()


def test_a_successful_login_clears_the_account_counter(bv_server_factory) -> None:
    env = {**QUIET_ADDRESS, "BV_LOGIN_FREE_FAILURES": "3", "BV_LOGIN_LOCKOUT_FAILURES": "4",
           "BV_LOCKOUT_SECONDS": "600"}
    server: ServerProcess = bv_server_factory("sqlite", env=env)
    api = Api(server.api_url)
    try:
        acct = api.register()
        wrong = secrets.token_bytes(32)
        for _ in range(2):
            assert api.login(acct.email, wrong).status_code == 401
        assert api.login(acct.email, acct.auth_key).status_code == 200
        for _ in range(2):
            assert api.login(acct.email, wrong).status_code == 401
        assert api.login(acct.email, acct.auth_key).status_code == 200
    finally:
        api.close()


def test_registrations_from_one_address_are_slowed_then_refused(bv_server_factory) -> None:
    env = {"BV_REGISTER_FREE_PER_ADDRESS": "3", "BV_REGISTER_LOCKOUT_PER_ADDRESS": "3", "BV_LOCKOUT_SECONDS": "600"}
    server: ServerProcess = bv_server_factory("sqlite", env=env)
    api = Api(server.api_url)
    try:
        first = [api.register() for _ in range(3)]  # the third attempt starts the lockout
        body, _ = fakes.registration()
        assert _retry_after(api.post("/accounts", body)) > 500
        assert api.post("/prelogin", {"email": body["email"]}).json()["salt"] != body["salt"]  # not stored
        # Existing accounts are not affected.
        assert all(api.login(acct.email, acct.auth_key).status_code == 200 for acct in first)
    finally:
        api.close()


def test_wrong_reset_tokens_are_throttled(bv_server_factory) -> None:
    env = {**QUIET_ADDRESS, "BV_LOGIN_FREE_FAILURES": "2", "BV_LOGIN_LOCKOUT_FAILURES": "2", "BV_LOCKOUT_SECONDS": "600"}
    server: ServerProcess = bv_server_factory("sqlite", env=env)
    api = Api(server.api_url)
    try:
        acct = api.register()
        token = issue_reset_token(server, acct.email)
        for _ in range(2):
            resp = api.post("/reset/preview", {"email": acct.email, "token": fakes.b64(secrets.token_bytes(32))})
            assert resp.status_code == 401 and error_code(resp) == "invalid_token"
        # Blocked: even the right token waits; logging in is a separate counter.
        assert _retry_after(api.post("/reset/preview", {"email": acct.email, "token": token})) > 500
        assert api.login(acct.email, acct.auth_key).status_code == 200
    finally:
        api.close()

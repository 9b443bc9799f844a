"""Nothing the server stores can be used to log in or to act as a session.

The test reads the database the way a thief would, and replays what it finds.
"""

from __future__ import annotations

import base64

import sqlalchemy as sa

from tests.helpers import fakes
from tests.helpers.server_proc import ServerProcess
from tests.server.api import Api, error_code

SERVER_ENV = {"BV_LOGIN_FREE_FAILURES": "1000", "BV_LOGIN_LOCKOUT_FAILURES": "100000"}


def _stored(server: ServerProcess) -> tuple[list[bytes], dict[str, str], list[tuple]]:
    engine = sa.create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            token_hashes = [bytes(r[0]) for r in conn.execute(sa.text("SELECT token_hash FROM device_sessions"))]
            auth_hashes = dict(conn.execute(sa.text("SELECT email, auth_hash FROM accounts")).all())
            everything: list[tuple] = []
            for table in sa.inspect(conn).get_table_names():
                everything += [tuple(r) for r in conn.execute(sa.text(f'SELECT * FROM "{table}"'))]
        return token_hashes, auth_hashes, everything
    finally:
        engine.dispose()


def _argon2_digest(encoded: str) -> bytes:
    """The raw 32-byte digest at the end of an Argon2 encoded hash ($argon2id$v=19$m=..$salt$hash)."""
    tail = encoded.rsplit("$", 1)[1]
    return base64.b64decode(tail + "=" * (-len(tail) % 4))


def test_stored_token_and_auth_hashes_do_not_log_in(api: Api, server: ServerProcess) -> None:
    acct = api.register(device_name="A")
    second = api.login_token(acct, "B")
    token_hashes, auth_hashes, everything = _stored(server)
    assert token_hashes and auth_hashes
    assert all(len(h) == 32 for h in token_hashes)
    assert all(h.startswith("$argon2id$") for h in auth_hashes.values())

    # The tokens and the auth key themselves are nowhere in the database.
    secrets_sent = [acct.auth_key, fakes.unb64(acct.token), fakes.unb64(second)]
    flat = repr(everything).encode() + b"".join(v for row in everything for v in row if isinstance(v, bytes))
    for secret in secrets_sent:
        assert secret not in flat
        assert fakes.b64(secret).encode() not in flat

    # A stored token hash is not a session token.
    for digest in token_hashes:
        resp = api.get("/vaults", fakes.b64(digest))
        assert resp.status_code == 401 and error_code(resp) == "unauthorized"

    # Neither the encoded auth hash, its raw digest, nor a token hash is an auth key.
    mine = auth_hashes[acct.email]
    for candidate in [_argon2_digest(mine), *token_hashes]:
        resp = api.login(acct.email, candidate)
        assert resp.status_code == 401 and error_code(resp) == "bad_credentials"
    resp = api.post("/login", {"email": acct.email, "auth_key": fakes.b64(mine.encode()), "device_name": "x"})
    assert resp.status_code == 400  # not even the shape of an auth key

    # The real key still works: the refusals above were about the values, not a lockout.
    assert api.login(acct.email, acct.auth_key).status_code == 200

"""Attachments over real HTTP on both back ends: round trip, size limit, envelope kind, roles."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import fakes
from tests.server.api import Api, Registered, error_code
from tests.server.db import ServerDb

MAX_ATTACHMENT = 4 * 1024 * 1024
LIMIT = MAX_ATTACHMENT + 64 * 1024  # the sealed upload may carry 64 KiB of envelope and padding
SERVER_ENV = {"BV_MAX_ATTACHMENT_BYTES": str(MAX_ATTACHMENT)}


def _path(vault_id: str, attachment_id: str) -> str:
    return f"/vaults/{vault_id}/attachments/{attachment_id}"


def _put(api: Api, who: Registered, vault_id: str, data: bytes, attachment_id: str | None = None):  # noqa: ANN202
    return api.put(_path(vault_id, attachment_id or fakes.new_id()), who.token, content=data,
                   headers={"content-type": "application/octet-stream"})


@pytest.fixture(scope="module")
def trio(api: Api) -> tuple[Registered, Registered, Registered, str]:
    """An owner's vault shared with an editor and a viewer."""
    owner, editor, viewer = (api.register() for _ in range(3))
    api.share(owner, owner.vault_id, editor, "editor")
    api.share(owner, owner.vault_id, viewer, "viewer")
    return owner, editor, viewer, owner.vault_id


def test_an_attachment_of_a_few_mebibytes_round_trips(api: Api, db: ServerDb, trio) -> None:  # noqa: ANN001
    owner, editor, viewer, vault_id = trio
    data = fakes.attachment(3 * 1024 * 1024 + 17)
    attachment_id = fakes.new_id()
    resp = _put(api, editor, vault_id, data, attachment_id)
    assert resp.status_code == 201, resp.text
    assert resp.json() == {"vault_id": vault_id, "attachment_id": attachment_id, "size": len(data)}
    for who in (owner, editor, viewer):
        got = api.get(_path(vault_id, attachment_id), who.token)
        assert got.status_code == 200 and got.content == data
        assert got.headers["content-type"] == "application/octet-stream"
    # The server keeps exactly the sealed bytes it was given, nothing else about the file.
    assert db.rows("SELECT size, blob FROM attachments WHERE attachment_id = :a",
                   a=db.id(attachment_id)) == [(len(data), data)]


def test_the_size_limit(api: Api, db: ServerDb, trio) -> None:  # noqa: ANN001
    owner, _, _, vault_id = trio
    assert _put(api, owner, vault_id, fakes.attachment(LIMIT)).status_code == 201
    too_big = fakes.attachment(LIMIT + 1)
    attachment_id = fakes.new_id()
    resp = _put(api, owner, vault_id, too_big, attachment_id)
    assert resp.status_code == 413 and error_code(resp) == "body_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        for start in range(0, len(too_big), 256 * 1024):
            yield too_big[start:start + 256 * 1024]

    resp = api.put(_path(vault_id, attachment_id), owner.token, content=chunks())
    assert resp.status_code == 413 and error_code(resp) == "body_too_large"
    assert api.get(_path(vault_id, attachment_id), owner.token).status_code == 404
    assert db.rows("SELECT count(*) FROM attachments WHERE attachment_id = :a", a=db.id(attachment_id)) == [(0,)]


@pytest.mark.parametrize("data", [
    fakes.envelope(fakes.KIND_ITEM, 100),             # an item, not an attachment
    bytes([0x02, fakes.KIND_ATTACHMENT]) + bytes(100),  # an unknown format version
    fakes.envelope(fakes.KIND_ATTACHMENT, 27),        # 29 bytes: no room for nonce and tag
    b"",
    b"plain text is not a ciphertext",
], ids=["item kind", "version 2", "too short", "empty", "plaintext"])
def test_only_attachment_envelopes_are_accepted(api: Api, trio, data: bytes) -> None:  # noqa: ANN001
    owner, _, _, vault_id = trio
    attachment_id = fakes.new_id()
    resp = _put(api, owner, vault_id, data, attachment_id)
    assert resp.status_code == 400 and error_code(resp) == "invalid_request"
    assert api.get(_path(vault_id, attachment_id), owner.token).status_code == 404


def test_who_may_do_what(api: Api, trio) -> None:  # noqa: ANN001
    owner, editor, viewer, vault_id = trio
    stranger = api.register()
    attachment_id = fakes.new_id()
    assert _put(api, owner, vault_id, fakes.attachment(1000), attachment_id).status_code == 201
    for resp, status, code in [
        (_put(api, viewer, vault_id, fakes.attachment(1000)), 403, "forbidden"),
        (api.delete(_path(vault_id, attachment_id), viewer.token), 403, "forbidden"),
        (_put(api, stranger, vault_id, fakes.attachment(1000)), 404, "not_found"),
        (api.get(_path(vault_id, attachment_id), stranger.token), 404, "not_found"),
        (api.delete(_path(vault_id, attachment_id), stranger.token), 404, "not_found"),
        (api.get(_path(vault_id, attachment_id)), 401, "unauthorized"),
        (api.get(_path(vault_id, fakes.new_id()), viewer.token), 404, "not_found"),
        (api.get(_path(vault_id, "not-a-uuid"), viewer.token), 400, "invalid_request"),
        (_put(api, editor, vault_id, fakes.attachment(1000), attachment_id), 409, "conflict"),  # never replaced
    ]:
        assert (resp.status_code, error_code(resp)) == (status, code), resp.text
    assert api.get(_path(vault_id, attachment_id), viewer.token).status_code == 200
    assert api.delete(_path(vault_id, attachment_id), editor.token).status_code == 204
    assert api.get(_path(vault_id, attachment_id), owner.token).status_code == 404
    assert api.delete(_path(vault_id, attachment_id), editor.token).status_code == 404


def test_attachments_are_deleted_with_their_vault(api: Api, db: ServerDb) -> None:
    owner = api.register()
    vault = fakes.vault_body()
    assert api.post("/vaults", vault, owner.token).status_code == 201
    data = fakes.attachment(50_000)
    assert _put(api, owner, vault["vault_id"], data).status_code == 201
    assert data in db.all_bytes()
    assert api.delete(f"/vaults/{vault['vault_id']}", owner.token).status_code == 204
    assert db.vault_snapshot(vault["vault_id"])["attachments"] == []
    assert data not in db.all_bytes()

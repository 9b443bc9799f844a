"""In-process checks of the server's building blocks that need no running server."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.helpers import fakes
from vault_server.models import ItemChange
from vault_server.models.wire import MAX_ITEM_BLOB, b64decode
from vault_server.settings import Settings, SettingsError
from vault_server.throttle import ThrottlePolicy


@pytest.mark.parametrize(("text", "ok"), [
    ("", True),                  # empty is valid base64url (length checks come after)
    ("AQID", True),
    ("AQI", True),               # unpadded
    ("AQI=", False),             # padded
    ("AQJ", False),              # non-canonical: stray trailing bits
    ("A", False),                # impossible length
    ("AQ+/", False),             # standard alphabet
    ("AQ ID", False),            # whitespace
    ("AQ\nID", False),
    ("ÀQID", False),             # non-ASCII
])
def test_base64url_is_strict(text: str, ok: bool) -> None:
    if ok:
        b64decode(text)
    else:
        with pytest.raises(ValueError):
            b64decode(text)


def test_item_blob_is_bounded_at_one_mebibyte() -> None:
    def change(blob: bytes) -> dict:
        return {"item_id": fakes.new_id(), "base_revision": 0, "revision": 1, "blob": fakes.b64(blob)}

    at_limit = fakes.envelope(fakes.KIND_ITEM, MAX_ITEM_BLOB - 2)
    assert ItemChange.model_validate(change(at_limit)).blob == at_limit
    with pytest.raises(ValidationError):
        ItemChange.model_validate(change(at_limit + b"x"))
    with pytest.raises(ValidationError):
        ItemChange.model_validate(change(fakes.envelope(fakes.KIND_ITEM, 27)))  # 29 bytes: no room for a tag


def test_throttle_schedule_backs_off_then_locks_out() -> None:
    policy = ThrottlePolicy(free=3, lockout=8, base_seconds=1, max_backoff_seconds=10, lockout_seconds=900,
                            window_seconds=3600)
    assert [policy.delay(n) for n in range(1, 10)] == [0, 0, 1, 2, 4, 8, 10, 900, 900]


def test_settings_from_env_names_the_bad_variable() -> None:
    with pytest.raises(SettingsError, match="BV_ARGON2_MEMORY_KIB"):
        Settings.from_env({"BV_ARGON2_MEMORY_KIB": "lots"})
    with pytest.raises(SettingsError, match="BV_MAX_BODY_BYTES"):
        Settings.from_env({"BV_MAX_BODY_BYTES": "10"})
    settings = Settings.from_env({"BV_DATABASE_URL": "postgresql://u:pw@db/bv", "BV_LOCKOUT_SECONDS": "60"})
    assert settings.resolved_database_url == "postgresql+psycopg://u:pw@db/bv"
    assert settings.lockout_seconds == 60
    assert "pw" not in repr(settings)


def test_settings_round_trip_through_the_environment(tmp_path) -> None:  # noqa: ANN001
    settings = Settings(data_dir=tmp_path, backoff_base_seconds=0.25, login_free_failures=2)
    assert Settings.from_env(settings.to_env()) == settings


def test_decoy_account_ids_look_like_any_other_account_id() -> None:
    import uuid

    from vault_server.security import decoy_account_id

    secret = bytes(range(32))
    first = decoy_account_id(secret, "a@example.test")
    assert first == decoy_account_id(secret, "a@example.test")  # stable
    assert first != decoy_account_id(secret, "b@example.test")
    assert first != decoy_account_id(bytes(32), "a@example.test")  # keyed
    assert first.version == 4 and first.variant == uuid.RFC_4122
    assert uuid.UUID(str(first)) == first


def test_route_body_limits() -> None:
    from vault_server.app import route_limits
    from vault_server.middleware import BodyLimitMiddleware

    settings = Settings(max_body_bytes=4096 * 4, max_rotate_body_bytes=10**8, max_attachment_bytes=2048)
    middleware = BodyLimitMiddleware(app=None, max_body_bytes=settings.max_body_bytes,  # type: ignore[arg-type]
                                     route_limits=route_limits(settings))
    vault, item = fakes.new_id(), fakes.new_id()
    cases = [
        ("POST", f"/v1/vaults/{vault}/rotate", 10**8),
        ("POST", f"/v1/vaults/{vault}/changes", 4096 * 4),
        ("GET", f"/v1/vaults/{vault}/rotate", 4096 * 4),
        ("PUT", f"/v1/vaults/{vault}/attachments/{item}", 2048 + 64 * 1024),
        ("PUT", f"/v1/vaults/{vault}/attachments/{item}/x", 4096 * 4),
        ("POST", f"/v1/vaults/{vault}/rotate/x", 4096 * 4),
    ]
    for method, path, limit in cases:
        assert middleware.limit_for({"type": "http", "method": method, "path": path}) == limit, (method, path)


@pytest.mark.parametrize("change", [
    lambda b: b["items"].append(dict(b["items"][0])),                              # an item twice
    lambda b: b["grants"].append(dict(b["grants"][0])),                            # a grant twice
    lambda b: b["remove"].extend([b["grants"][0]["account_id"]]),                  # removed and granted
    lambda b: b.update(new_generation=1),                                          # generation 1 is a new vault
    lambda b: b["manifest"].update(version=b["base_manifest_version"] + 2),
    lambda b: b["grants"][0].update(grant=fakes.wrapped_vault_key()),              # not a grant envelope
], ids=["item twice", "grant twice", "removed and granted", "generation 1", "manifest skips", "grant kind"])
def test_rotate_request_shape_checks(change) -> None:  # noqa: ANN001
    from vault_server.models import RotateRequest

    body = fakes.rotation(3, 2, [(fakes.new_id(), 1, False), (fakes.new_id(), 2, True)], [fakes.new_id()])
    RotateRequest.model_validate(body)
    change(body)
    with pytest.raises(ValidationError):
        RotateRequest.model_validate(body)

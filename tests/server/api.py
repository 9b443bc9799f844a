"""A thin HTTP client for the server tests: raw httpx, so every status and body is visible."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.helpers import fakes


@dataclass
class Registered:
    """An account made through the API, with what the test needs to act as it."""

    email: str
    account_id: str
    auth_key: bytes
    token: str
    session_id: str
    vault_id: str
    body: dict[str, Any] = field(repr=False)


class Api:
    def __init__(self, api_url: str):
        self.client = httpx.Client(base_url=api_url, timeout=30.0)

    def close(self) -> None:
        self.client.close()

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        return self.call("GET", path, token, **kwargs)

    def post(self, path: str, json: Any = None, token: str | None = None, **kwargs: Any) -> httpx.Response:
        return self.call("POST", path, token, json=json, **kwargs)

    def put(self, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        return self.call("PUT", path, token, **kwargs)

    def delete(self, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        return self.call("DELETE", path, token, **kwargs)

    # -- flows -----------------------------------------------------------------------------------

    def register(self, email: str | None = None, device_name: str = "device A") -> Registered:
        body, auth_key = fakes.registration(email, device_name)
        resp = self.post("/accounts", body)
        assert resp.status_code == 201, resp.text
        doc = resp.json()
        return Registered(
            email=body["email"].strip().lower(),
            account_id=doc["account_id"],
            auth_key=auth_key,
            token=doc["session"]["token"],
            session_id=doc["session"]["session_id"],
            vault_id=body["vault"]["vault_id"],
            body=body,
        )

    def login(self, email: str, auth_key: bytes, device_name: str = "device B") -> httpx.Response:
        return self.post("/login", {"email": email, "auth_key": fakes.b64(auth_key), "device_name": device_name})

    def login_token(self, account: Registered, device_name: str = "device B") -> str:
        resp = self.login(account.email, account.auth_key, device_name)
        assert resp.status_code == 200, resp.text
        return resp.json()["session"]["token"]

    def sync(self, token: str, cursors: dict[str, int] | None = None) -> dict[str, Any]:
        resp = self.post("/sync", {"cursors": cursors or {}}, token)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def vault_state(self, token: str, vault_id: str, cursor: int = 0) -> dict[str, Any]:
        doc = self.sync(token, {vault_id: cursor})
        (vault,) = [v for v in doc["vaults"] if v["vault_id"] == vault_id]
        return vault

    def write(self, token: str, vault_id: str, base: int, items: list[dict[str, Any]]) -> httpx.Response:
        return self.post(f"/vaults/{vault_id}/changes", fakes.batch(base, items), token)



    # -- sharing flows ---------------------------------------------------------------------------

    def invite(self, owner: Registered, vault_id: str, invitee: Registered, role: str,
               key_generation: int = 1) -> httpx.Response:
        body = {"invitee_id": invitee.account_id, "role": role, "key_generation": key_generation,
                "grant": fakes.grant()}
        return self.post(f"/vaults/{vault_id}/invitations", body, owner.token)

    def accept(self, invitee: Registered, vault_id: str, key_generation: int = 1) -> httpx.Response:
        body = {"key_generation": key_generation, "wrapped_vault_key": fakes.wrapped_vault_key()}
        return self.post(f"/invitations/{vault_id}/accept", body, invitee.token)

    def share(self, owner: Registered, vault_id: str, invitee: Registered, role: str) -> None:
        """Invite and accept at the vault's current key generation."""
        generation = self.vault_state(owner.token, vault_id)["key_generation"]
        resp = self.invite(owner, vault_id, invitee, role, generation)
        assert resp.status_code == 201, resp.text
        resp = self.accept(invitee, vault_id, generation)
        assert resp.status_code == 200, resp.text

    def members(self, token: str, vault_id: str) -> dict[str, Any]:
        resp = self.get(f"/vaults/{vault_id}/members", token)
        assert resp.status_code == 200, resp.text
        return resp.json()


def error_code(resp: httpx.Response) -> str:
    """The stable error code of an error response (asserting the JSON error shape)."""
    doc = resp.json()
    assert set(doc["error"]) >= {"code", "message"}, doc
    assert isinstance(doc["error"]["message"], str) and doc["error"]["message"]
    return doc["error"]["code"]

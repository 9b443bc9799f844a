"""The client's HTTP layer: it moves opaque blobs and never imports the crypto core.

One method per endpoint of docs/api.md. Transport and server failures become the client's own
errors (``ServerUnreachable``, ``ServerError``...); a 409 on a batch write is returned as a
``Conflict`` value because the sync engine resolves it. Response bodies are size-bounded and
must be JSON objects; anything else is a clear error, never a traceback.
"""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from vault_client.errors import (
    InsecureServer,
    InvalidResetToken,
    NotLoggedIn,
    RateLimited,
    ServerError,
    ServerUnreachable,
    UsageError,
    WrongPassword,
)

MAX_RESPONSE_BYTES = 512 * 1024 * 1024
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
TIMEOUT_ENV = "BV_HTTP_TIMEOUT"


def request_timeout() -> httpx.Timeout:
    """30 s for the server to answer (5 s to connect), or ``BV_HTTP_TIMEOUT`` seconds for both."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:
        raise UsageError(f"{TIMEOUT_ENV} must be a number of seconds between 0 and 3600")
    return httpx.Timeout(seconds, connect=min(seconds, 5.0))


def check_server_url(url: str, *, insecure: bool = False) -> str:
    """Normalise a server URL; refuse plain http:// to anything but loopback unless ``insecure``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"not a server URL: {url!r}", hint="use https://host[:port]")
    if parts.scheme == "http" and not insecure and not _is_loopback(parts.hostname):
        raise InsecureServer(parts.hostname)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _printable(text: str, limit: int) -> str:
    """Server text shown to the user: one line, no control characters (no forged lines or escapes)."""
    return "".join(c if c.isprintable() else " " for c in text[:limit])


@dataclass
class Conflict:
    """The server's answer to a stale batch write."""

    manifest_version: int
    items: list[dict[str, Any]]


class Api:
    def __init__(self, server: str, token: str | None = None, *, transport: httpx.BaseTransport | None = None):
        self.server = server
        self._token = token
        # Never follow redirects: every request goes to the server the user chose, nowhere else.
        self._client = httpx.Client(base_url=server + "/v1", timeout=TIMEOUT, transport=transport,
                                    follow_redirects=False)
        self._client.timeout = request_timeout()

    def __repr__(self) -> str:
        return f"Api(server={self.server!r})"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def set_token(self, token: str) -> None:
        self._token = token

    # -- plumbing -----------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: Any = None, *, auth: bool = True,
                 params: dict[str, str] | None = None, conflict_ok: bool = False) -> tuple[int, dict[str, Any]]:
        headers = {"Accept": "application/json"}
        if auth:
            if not self._token:
                raise NotLoggedIn()
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            with self._client.stream(method, path, json=body, headers=headers, params=params) as resp:
                raw = bytearray()
                for chunk in resp.iter_bytes():
                    raw += chunk
                    if len(raw) > MAX_RESPONSE_BYTES:
                        raise ServerError("the server's response is too large")
                status = resp.status_code
                retry_after = resp.headers.get("retry-after")
        except httpx.TimeoutException:
            raise ServerUnreachable(f"{self.server} did not answer within {self._client.timeout.read:g} s") from None
        except httpx.RemoteProtocolError:
            raise ServerUnreachable(f"{self.server} broke off the connection before its answer was complete") from None
        except httpx.HTTPError as exc:
            raise ServerUnreachable(f"{self.server} ({type(exc).__name__})") from None
        if status == 204:
            return status, {}
        try:
            doc = json.loads(bytes(raw))
        except (ValueError, RecursionError):
            if status >= 400:
                raise ServerError(f"HTTP {status} without a Blindvault error: a proxy or web server answered, "
                                  "not the sync server") from None
            raise ServerError(f"the server sent a malformed response (HTTP {status})") from None
        if not isinstance(doc, dict):
            raise ServerError(f"the server sent a malformed response (HTTP {status})")
        if status >= 400 and not (status == 409 and conflict_ok):
            self._raise_for(status, doc, retry_after)
        return status, doc

    @staticmethod
    def _raise_for(status: int, doc: dict[str, Any], retry_after: str | None) -> None:
        err = doc.get("error") if isinstance(doc.get("error"), dict) else {}
        code = _printable(str(err.get("code", "unknown")), 64)
        message = _printable(str(err.get("message", "")), 300)
        retry_after = None if retry_after is None else _printable(retry_after, 20)
        if code == "bad_credentials":
            raise WrongPassword()
        if code == "invalid_token":
            raise InvalidResetToken()
        if code == "email_taken":
            raise UsageError("an account with this email already exists on the server",
                             hint="use `bv login` to set up this device for it")
        if status == 401:
            raise NotLoggedIn("the session has ended or was revoked")
        if status == 429:
            wait = retry_after or _printable(str(err.get("retry_after", "a while")), 20)
            raise RateLimited(f"try again in {wait} seconds")
        raise ServerError(f"{code}: {message}" if message else code)

    # -- endpoints ----------------------------------------------------------------------------

    def prelogin(self, email: str) -> dict[str, Any]:
        return self._request("POST", "/prelogin", {"email": email}, auth=False)[1]

    def register(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", "/accounts", body, auth=False)[1]

    def login(self, email: str, auth_key: str, device_name: str) -> dict[str, Any]:
        body = {"email": email, "auth_key": auth_key, "device_name": device_name}
        return self._request("POST", "/login", body, auth=False)[1]

    def logout(self) -> None:
        self._request("POST", "/logout")

    def me(self) -> dict[str, Any]:
        return self._request("GET", "/accounts/me")[1]

    def sessions(self) -> list[dict[str, Any]]:
        return self._request("GET", "/sessions")[1].get("sessions", [])

    def revoke_session(self, session_id: str) -> None:
        self._request("DELETE", f"/sessions/{session_id}")

    def bundle(self, email: str) -> dict[str, Any]:
        return self._request("GET", "/bundles", params={"email": email})[1]

    def change_password(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", "/account/password", body)[1]

    def vaults(self) -> Any:
        """The ``vaults`` list as the server sent it (None if absent); the caller checks its shape."""
        return self._request("GET", "/vaults")[1].get("vaults")

    def create_vault(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", "/vaults", body)[1]

    def delete_vault(self, vault_id: str) -> None:
        self._request("DELETE", f"/vaults/{vault_id}")

    def write_changes(self, vault_id: str, body: dict[str, Any]) -> dict[str, Any] | Conflict:
        status, doc = self._request("POST", f"/vaults/{vault_id}/changes", body, conflict_ok=True)
        if status == 409:
            current = doc.get("current") if isinstance(doc.get("current"), dict) else {}
            try:
                return Conflict(int(current.get("manifest_version", -1)), list(current.get("items") or []))
            except (TypeError, ValueError):
                raise ServerError("the server sent a malformed conflict response") from None
        return doc

    def sync(self, cursors: dict[str, int]) -> dict[str, Any]:
        return self._request("POST", "/sync", {"cursors": cursors})[1]

    # -- recovery and reset (docs/api.md) --------------------------------------------------------

    def set_recovery(self, verifier: str, wrapped_account_key: str) -> None:
        self._request("PUT", "/account/recovery", {"verifier": verifier, "wrapped_account_key": wrapped_account_key})

    def delete_recovery(self) -> None:
        self._request("DELETE", "/account/recovery")

    def recovery_account_id(self, email: str) -> dict[str, Any]:
        return self._request("POST", "/recovery/account-id", {"email": email}, auth=False)[1]

    def recovery_fetch(self, email: str, verifier: str) -> dict[str, Any]:
        return self._request("POST", "/recovery/fetch", {"email": email, "verifier": verifier}, auth=False)[1]

    def recovery_complete(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", "/recovery/complete", body, auth=False)[1]

    def reset_preview(self, email: str, token: str) -> dict[str, Any]:
        return self._request("POST", "/reset/preview", {"email": email, "token": token}, auth=False)[1]

    def reset_complete(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", "/reset/complete", body, auth=False)[1]

    # -- sharing ---------------------------------------------------------------------------------

    def bundle_by_id(self, account_id: str) -> dict[str, Any]:
        return self._request("GET", f"/bundles/{account_id}")[1]

    def invite(self, vault_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", f"/vaults/{vault_id}/invitations", body)[1]

    def invitations(self) -> list[dict[str, Any]]:
        return self._request("GET", "/invitations")[1].get("invitations", [])

    def accept(self, vault_id: str, key_generation: int, wrapped_vault_key: str) -> dict[str, Any]:
        body = {"key_generation": key_generation, "wrapped_vault_key": wrapped_vault_key}
        return self._request("POST", f"/invitations/{vault_id}/accept", body)[1]

    def decline(self, vault_id: str) -> None:
        self._request("DELETE", f"/invitations/{vault_id}")

    def members(self, vault_id: str) -> dict[str, Any]:
        return self._request("GET", f"/vaults/{vault_id}/members")[1]

    def leave(self, vault_id: str) -> None:
        self._request("POST", f"/vaults/{vault_id}/leave")

    def rotate(self, vault_id: str, body: dict[str, Any]) -> dict[str, Any] | Conflict:
        status, doc = self._request("POST", f"/vaults/{vault_id}/rotate", body, conflict_ok=True)
        if status == 409:
            return Conflict(-1, [])
        return doc

    def store_vault_key(self, vault_id: str, key_generation: int, wrapped_vault_key: str) -> None:
        body = {"key_generation": key_generation, "wrapped_vault_key": wrapped_vault_key}
        self._request("POST", f"/vaults/{vault_id}/key", body)

    # -- attachments: raw sealed bodies (docs/api.md) ---------------------------------------------

    def _raw(self, method: str, path: str, *, content: bytes | None = None,
             limit: int = MAX_RESPONSE_BYTES, cut: bool = False) -> tuple[int, bytes]:
        """A request with a raw body and a raw answer of at most ``limit`` bytes (with ``cut``, a
        longer answer is cut at ``limit + 1`` bytes instead of refused); JSON errors are raised."""
        if not self._token:
            raise NotLoggedIn()
        headers = {"Authorization": f"Bearer {self._token}"}
        if content is not None:
            headers["Content-Type"] = "application/octet-stream"
        try:
            with self._client.stream(method, path, content=content, headers=headers) as resp:
                raw = bytearray()
                for chunk in resp.iter_bytes():
                    raw += chunk
                    if len(raw) > limit and (resp.status_code >= 400 or not cut):
                        raise ServerError("the server's response is too large")
                    if len(raw) > limit:
                        del raw[limit + 1:]
                        break
                status, retry_after = resp.status_code, resp.headers.get("retry-after")
        except httpx.TimeoutException:
            raise ServerUnreachable(f"{self.server} did not answer within {self._client.timeout.read:g} s") from None
        except httpx.RemoteProtocolError:
            raise ServerUnreachable(f"{self.server} broke off the connection before its answer was complete") from None
        except httpx.HTTPError as exc:
            raise ServerUnreachable(f"{self.server} ({type(exc).__name__})") from None
        if status >= 400:
            try:
                doc = json.loads(bytes(raw))
            except (ValueError, RecursionError):
                doc = None
            self._raise_for(status, doc if isinstance(doc, dict) else {}, retry_after)
        return status, bytes(raw)

    def put_attachment(self, vault_id: str, attachment_id: str, blob: bytes) -> None:
        """Upload a sealed attachment (a new id each time; the server never replaces one)."""
        self._raw("PUT", f"/vaults/{vault_id}/attachments/{attachment_id}", content=blob)

    def get_attachment(self, vault_id: str, attachment_id: str, max_bytes: int) -> bytes:
        """Download a sealed attachment; a longer answer comes back cut at ``max_bytes + 1``
        bytes, for the caller to refuse."""
        return self._raw("GET", f"/vaults/{vault_id}/attachments/{attachment_id}", limit=max_bytes, cut=True)[1]

    def delete_attachment(self, vault_id: str, attachment_id: str) -> None:
        self._raw("DELETE", f"/vaults/{vault_id}/attachments/{attachment_id}")

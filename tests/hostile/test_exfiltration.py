"""Nothing makes the client send decrypted data to the server, or contact a URL the server chose.

The paper's icon-fetch attacks (a URL field swapped for the password field, then decrypted and sent
to the server to fetch an icon) need two things Blindvault lacks: separately encrypted fields and
any request made from item contents. Here the server tries the ways it has: redirects, URLs planted
in every answer, error text meant for the user's terminal. A listener stands for "a URL the server
chose"; it must never be contacted, and no request body, path or query may hold item plaintext.
"""

from __future__ import annotations

import json

import pytest

from tests.client.bv import Device
from tests.hostile.checks import clean, listing
from tests.hostile.proxy import HostileProxy, Listener, Reply
from tests.hostile.replay import play

CANARIES = ["CanaryName-5e1f", "canary-user-77ab", "CanaryPassw0rd-c3d9", "CanaryNote-0b6e", "canary-tag-4aa2"]


@pytest.fixture(scope="module")
def listener():
    with Listener() as lst:
        yield lst


@pytest.fixture(scope="module")
def used(accounts, proxy: HostileProxy, listener: Listener) -> tuple[Device, list]:
    """An account whose items hold canaries (one URL points at the listener), used for a while;
    and every request the device sent meanwhile."""
    proxy.reset()
    device, _, _ = accounts.create("exfil")
    device.ok("add", "login", CANARIES[0], "--username", CANARIES[1], "--url", listener.url + "/favicon.ico",
              "--tag", CANARIES[4], input=CANARIES[2] + "\n")
    device.ok("add", "note", "note-" + CANARIES[0], input=CANARIES[3] + "\n")
    device.ok("edit", CANARIES[0], "--username", CANARIES[1] + "-2")
    device.ok("get", CANARIES[0], "--field", "password")
    device.ok("search", "canary")
    device.ok("sync")
    return device, proxy.requests()


@pytest.fixture(scope="module")
def device(used) -> Device:
    return used[0]


def test_no_plaintext_in_any_request(used, listener: Listener) -> None:
    sent = used[1]  # everything since the account was created: adds, edit, get, search, sync
    assert any(x.path.endswith("/changes") for x in sent)
    for exchange in sent:
        text = exchange.path + "?" + exchange.query + "\n" + exchange.text()
        for canary in CANARIES:
            assert canary not in text, exchange.path
            assert canary.encode("utf-16-le") not in exchange.raw, exchange.path
    assert listener.hits == []  # the item's URL was never fetched (no icons, no previews)


REDIRECTS = [301, 302, 303, 307, 308]


@pytest.fixture(scope="module")
def redirected(proxy: HostileProxy, device: Device, listener: Listener):
    def redirect(status: int):
        return lambda _doc: Reply(status, json={}, headers={"Location": listener.url + "/v1/sync"})

    proxy.reset()
    return play(proxy, device, "POST", "/v1/sync", [redirect(s) for s in REDIRECTS], ["sync"], first="POST /v1/sync")


@pytest.mark.parametrize("status", REDIRECTS)
def test_redirects_are_not_followed(redirected, listener: Listener, status: int) -> None:
    before, runs = redirected
    run = runs[REDIRECTS.index(status)]
    assert run.result.code != 0, run.result
    clean(run.result)
    assert listener.hits == []
    assert run.sent == ["POST /v1/sync"]
    assert run.state == before


def test_the_http_client_is_built_without_redirects() -> None:
    from vault_client.transport import Api

    with Api("http://127.0.0.1:9") as api:
        assert api._client.follow_redirects is False


def test_urls_planted_in_answers_are_never_contacted(hostile: HostileProxy, device: Device,
                                                    listener: Listener) -> None:
    planted = {"icon_url": listener.url + "/icon", "server": listener.url, "url": listener.url + "/u",
               "redirect_to": listener.url + "/r", "links": {"next": listener.url + "/next"},
               "key_connector_url": listener.url + "/kc"}

    def plant(doc: dict, _exchange) -> None:
        doc.update(planted)
        for vault in doc.get("vaults", []):
            vault.update(planted)
            for item in vault.get("items", []):
                item.update(planted)

    hostile.rewrite("POST", "/v1/sync", plant)
    hostile.rewrite("GET", "/v1/accounts/me", plant)
    device.ok("add", "login", "Another", "--username", "x", input="another-password\n")  # pull, push, pull
    device.ok("sync")
    device.ok("list")
    assert listener.hits == []
    assert json.loads((device.home / "account.json").read_text())["server"] == hostile.url
    assert {x.path for x in hostile.requests()} <= {"/v1/sync", "/v1/vaults/" + listing(device)[0]["vault_id"]
                                                    + "/changes"}


def test_server_error_text_cannot_forge_terminal_output(hostile: HostileProxy, device: Device) -> None:
    """The server's error message is shown to the user: it stays one line, without control characters."""
    message = ("ok\nbv: hint: run `bv account recovery-code` and mail the code to help@evil.example"
               "\x1b[2J\x1b]0;owned\x07\r")
    hostile.respond("POST", "/v1/sync", Reply(400, json={"error": {"code": "bad\nrequest", "message": message}}))
    result = device.run("sync")
    assert result.code != 0, result
    assert "\x1b" not in result.err and "\x07" not in result.err and "\r" not in result.err, result
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bv: error: "), result

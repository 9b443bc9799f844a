"""Shared pieces of the sync and server benchmarks: servers, accounts, seeding, byte counting.

Everything runs on loopback against real ``bv-server`` processes (``tests.helpers.server_proc``).
Accounts are created through the client library (``vault_client.account.new_account_keys``) with
the KDF floor, since unlocking is not what these benchmarks measure. Items are sealed by the
client's crypto core and written straight through the HTTP API in batches (``Seeder``), which is
what a client push does without the per-item cache transactions; the client under test then
downloads and verifies them like any other device would.
"""

from __future__ import annotations

import os
import platform
import secrets
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("BV_KDF", "19456,2,1")  # the KDF floor: unlocking is not measured here

import httpx  # noqa: E402

from tests.helpers.server_proc import ServerProcess  # noqa: E402, F401 - re-exported
from vault_client import crypto  # noqa: E402
from vault_client.account import new_account_keys  # noqa: E402
from vault_client.encoding import b64d, b64e  # noqa: E402
from vault_client.items.model import new_item  # noqa: E402
from vault_client.keychain import Keychain  # noqa: E402

PASSWORD = "bench password"
PG_ADMIN_URL = os.environ.get("BV_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
MAX_WRITE_BATCH = 1000  # the server's limit per /changes request
# Benchmarks register many accounts from one address; the registration throttle would refuse them.
BENCH_SERVER_ENV = {"BV_REGISTER_FREE_PER_ADDRESS": "100000", "BV_REGISTER_LOCKOUT_PER_ADDRESS": "1000000"}


def machine() -> str:
    """One line naming the machine the figures come from, with its load average (other work
    on the machine shows in every figure; the load says how much there was)."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = ", load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    return (f"python {platform.python_version()}, {os.cpu_count()} CPUs ({model}), "
            f"{platform.system()} {platform.machine()}{load}")


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def bench_server(data_dir: Path, **kwargs) -> ServerProcess:  # noqa: ANN003 - ServerProcess options
    """A ``ServerProcess`` (not started) with the registration throttle opened up; quiet logs."""
    env = {**BENCH_SERVER_ENV, **kwargs.pop("env", {})}
    extra = ["--no-access-log", *kwargs.pop("extra_args", [])]
    return ServerProcess(data_dir, env=env, extra_args=extra, **kwargs)


def process_tree_cpu(pid: int, *, descendants: bool = True) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` and its live descendants (Linux
    /proc; 0.0 elsewhere). Sampled before and after a run, it gives the server's CPU per request,
    a figure that other load on the machine does not inflate the way it inflates wall time.
    ``descendants=False``: the process alone (not its hashing workers, say)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    children: dict[int, list[int]] = {}
    stats: dict[int, float] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return 0.0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        ppid = int(fields[1])
        children.setdefault(ppid, []).append(int(entry.name))
        stats[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    if not descendants:
        return stats.get(pid, 0.0)
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats.get(current, 0.0)
        todo.extend(children.get(current, []))
    return total


# -- bytes on the wire -------------------------------------------------------------------------


class _CountingStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, counter: CountingTransport):
        self._inner = inner
        self._counter = counter

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._counter.received += len(chunk)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class CountingTransport(httpx.BaseTransport):
    """An httpx transport that counts the bytes of every request and response: the status line
    and headers (as HTTP/1.1 sends them) plus the body. ``reset()`` between measurements."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.sent = 0
        self.received = 0
        self.requests = 0

    def reset(self) -> None:
        self.sent = self.received = self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        head = f"{request.method} {request.url.raw_path.decode()} HTTP/1.1\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in request.headers.items()) + "\r\n"
        self.sent += len(head.encode()) + len(body)
        self.requests += 1
        response = self._inner.handle_request(request)
        head = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in response.headers.items()) + "\r\n"
        self.received += len(head.encode())
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(response.status_code, headers=response.headers,
                              stream=_CountingStream(response.stream, self),
                              extensions=response.extensions)

    def close(self) -> None:
        self._inner.close()


# -- accounts ----------------------------------------------------------------------------------


@dataclass
class BenchAccount:
    """An account made through the client library, with what a benchmark needs to act as it."""

    email: str
    account_id: uuid.UUID
    auth_key: str  # base64url, as sent at login
    token: str
    keychain: Keychain
    vault_id: str  # the personal vault created with the account
    wrapped_vault_key: bytes
    secret_key_text: str  # human form, for an Emergency Kit (a second device)

    def __repr__(self) -> str:
        return f"BenchAccount(email={self.email!r})"

    @property
    def vault_key(self) -> crypto.SecretBytes:
        return self.keychain.open_vault_key(self.vault_id, 1, self.wrapped_vault_key)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def register(http: httpx.Client, email: str | None = None) -> BenchAccount:
    """Create an account (client-side keys, KDF floor) on the server ``http`` points at (its
    base URL ends in ``/v1``)."""
    email = email or f"bench-{secrets.token_hex(6)}@example.org"
    account_id = uuid.uuid4()
    new = new_account_keys(email, PASSWORD, account_id)
    resp = http.post("/accounts", json=new.body)
    resp.raise_for_status()
    body = new.body
    keys = crypto.derive_account_keys(PASSWORD, new.secret_key, b64d(body["salt"]), new.params)
    account_key = crypto.unwrap_account_key(keys.kek, b64d(body["wrapped_account_key"]), account_id)
    keychain = Keychain(account_id, account_key, b64d(body["wrapped_private_keys"]))
    return BenchAccount(
        email=email, account_id=account_id, auth_key=body["auth_key"], token=resp.json()["session"]["token"],
        keychain=keychain, vault_id=new.vault_id, wrapped_vault_key=b64d(body["vault"]["wrapped_vault_key"]),
        secret_key_text=new.secret_key.format(),
    )


def login(http: httpx.Client, account: BenchAccount, device: str = "bench device") -> str:
    """A new session token for ``account`` (a second device)."""
    resp = http.post("/login", json={"email": account.email, "auth_key": account.auth_key, "device_name": device})
    resp.raise_for_status()
    return resp.json()["session"]["token"]


# -- seeding -----------------------------------------------------------------------------------


def sample_plaintext(i: int) -> bytes:
    """The item document used throughout (the same shape as bench/cli_latency.py: a login with
    a URL and a 200-character note; sealed it is 1,054 bytes)."""
    item = new_item("login", f"site-{i:06d}", username=f"user{i}@example.org", password=f"pw-{i:06d}-x",
                    urls=[f"https://site-{i:06d}.example.com/login"], notes="n" * 200)
    return item.to_bytes()


class Seeder:
    """Writes sealed items into one vault through ``POST /vaults/{id}/changes``, keeping the
    entry list so that every batch carries the manifest MAC a client would compute.

    With ``real=False`` the blobs are well-formed envelopes of random bytes (for server-side
    volume only: a client cannot open them). Only the last batch of ``add`` carries the real
    manifest MAC (no client reads the vault in between; computing it per batch is quadratic).
    """

    def __init__(self, http: httpx.Client, account: BenchAccount):
        self.http = http
        self.account = account
        self.vault_id = account.vault_id
        self.vid = uuid.UUID(account.vault_id)
        self.key = account.vault_key
        self.entries: dict[uuid.UUID, tuple[int, bytes | None]] = {}
        self.manifest_version = 0
        self._template = sample_plaintext(0)

    def _mac(self, version: int) -> str:
        mac = crypto.manifest_mac(self.key, self.vid, version, 1,
                                  [(i, rev, h) for i, (rev, h) in self.entries.items()])
        return b64e(mac)

    def _post(self, changes: list[dict], mac: str | None) -> int:
        version = self.manifest_version + 1
        body = {"base_manifest_version": self.manifest_version,
                "manifest": {"version": version, "mac": mac or self._mac(version)}, "items": changes}
        resp = self.http.post(f"/vaults/{self.vault_id}/changes", json=body, headers=self.account.headers())
        resp.raise_for_status()
        self.manifest_version = version
        return resp.json()["seq"]

    def add(self, count: int, *, real: bool = True, batch: int = MAX_WRITE_BATCH,
            progress: bool = False) -> list[uuid.UUID]:
        """Add ``count`` new items; returns their ids."""
        ids: list[uuid.UUID] = []
        start = time.perf_counter()
        done = 0
        while done < count:
            n = min(batch, count - done)
            changes = []
            for k in range(n):
                item_id = uuid.uuid4()
                if real:
                    blob = crypto.seal_item(self.key, self.vid, item_id, 1, sample_plaintext(len(self.entries)))
                else:
                    blob = b"\x01\x04" + secrets.token_bytes(12 + len(self._template) + 16 + 8)
                self.entries[item_id] = (1, crypto.blob_hash(blob))
                changes.append({"item_id": str(item_id), "base_revision": 0, "revision": 1, "blob": b64e(blob)})
                ids.append(item_id)
            done += n
            last = done >= count
            # Intermediate manifests need not be real: no client reads the vault until the end.
            mac = None if last else b64e(bytes(32))
            self._post(changes, mac)
            if progress and (done % 20_000 < batch or last):
                print(f"  seeded {done:,} items ({time.perf_counter() - start:.1f} s)", flush=True)
        return ids

    def change(self, item_id: uuid.UUID, i: int = 0) -> int:
        """A new revision of one item (as another device's edit would be); returns the new seq."""
        revision = self.entries[item_id][0] + 1
        blob = crypto.seal_item(self.key, self.vid, item_id, revision, sample_plaintext(i))
        self.entries[item_id] = (revision, crypto.blob_hash(blob))
        change = {"item_id": str(item_id), "base_revision": revision - 1, "revision": revision, "blob": b64e(blob)}
        return self._post([change], None)


# -- PostgreSQL --------------------------------------------------------------------------------


@contextmanager
def pg_database(prefix: str = "bv_bench_") -> Iterator[str]:
    """A fresh PostgreSQL database (SQLAlchemy URL), dropped afterwards."""
    import psycopg

    name = prefix + secrets.token_hex(5)
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        raise SystemExit(f"PostgreSQL unreachable at {PG_ADMIN_URL} (set BV_TEST_POSTGRES_URL): {exc}") from None
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    url = base.replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name
    try:
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def libpq_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)

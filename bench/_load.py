"""A bounded closed-loop HTTP load generator: asyncio streams speaking HTTP/1.1 keep-alive.

``run_load`` keeps ``concurrency`` requests in flight, one persistent connection per lane, until
``total`` requests have completed or ``max_seconds`` have passed, whichever comes first, and
records each request's latency. Each lane builds its own requests (``make_request`` gets the lane
number and returns method, path, body and headers), so a lane can own one account and keep its own
compare-and-swap state; ``on_response`` sees every status and body.

Why not httpx.AsyncClient: on this machine its connection pool alone tops out near 200 requests
per second at 32 concurrent requests (and 550 with one), against a server that does nothing; this
client reaches several thousand, so what the benchmarks measure is the server. Responses must
carry Content-Length (uvicorn sends it for every response of this API).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from _common import percentile

RequestSpec = tuple[str, str, bytes, dict[str, str]]


@dataclass
class LoadResult:
    completed: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    server_cpu: float = 0.0  # CPU seconds the server used during the run, when measured
    by_lane: dict[int, list[float]] = field(default_factory=dict)  # latencies of each lane

    def lanes(self, lanes: range | list[int]) -> list[float]:
        """The latencies of the given lanes, together."""
        return [x for n in lanes for x in self.by_lane.get(n, [])]

    @property
    def rate(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    def p(self, pct: float) -> float:
        return percentile(self.latencies, pct)


def json_body(doc: object) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, host: str, port: int, prefix: str):
        self.host, self.port, self.prefix = host, port, prefix
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self._writer is None:
            await self._open()
        assert self._reader is not None and self._writer is not None
        head = [f"{method} {self.prefix}{path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self._writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self._reader.readline()
        if not status_line:
            raise ConnectionError("connection closed")
        status = int(status_line.split(b" ", 2)[1])
        length, close = None, False
        while True:
            line = await self._reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        if length is None:
            raise ConnectionError("response without Content-Length")
        content = await self._reader.readexactly(length)
        if close:
            self.close()
        return status, content


async def _run(base_url: str, make_request: Callable[[int], RequestSpec],
               on_response: Callable[[int, int, bytes], None] | None,
               concurrency: int, total: int, max_seconds: float,
               interval: Callable[[int], float] | None) -> LoadResult:
    parts = urlsplit(base_url)
    host, port, prefix = parts.hostname or "127.0.0.1", parts.port or 80, parts.path.rstrip("/")
    result = LoadResult()
    issued = 0
    start = time.perf_counter()
    deadline = start + max_seconds

    # Paced lanes start evenly spread over one interval, counted among the paced lanes only: with
    # unpaced lanes beside them (a login storm), spreading over all lanes bunched the paced ones.
    paced = [n for n in range(concurrency) if interval is not None and interval(n)]

    async def lane(n: int) -> None:
        nonlocal issued
        conn = Connection(host, port, prefix)
        pause = interval(n) if interval is not None else 0.0
        next_start = time.perf_counter() + (pause * paced.index(n) / len(paced) if pause else 0.0)
        try:
            while issued < total and time.perf_counter() < deadline:
                if pause:
                    delay = next_start - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                        if issued >= total or time.perf_counter() >= deadline:
                            break
                    next_start += pause
                issued += 1
                method, path, body, headers = make_request(n)
                t0 = time.perf_counter()
                try:
                    status, content = await conn.request(method, path, body, headers)
                except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
                    conn.close()
                    status, content = 0, b""
                elapsed = time.perf_counter() - t0
                result.latencies.append(elapsed)
                result.by_lane.setdefault(n, []).append(elapsed)
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if 200 <= status < 300:
                    result.completed += 1
                else:
                    result.errors += 1
                if on_response is not None:
                    on_response(n, status, content)
        finally:
            conn.close()

    await asyncio.gather(*(lane(n) for n in range(concurrency)))
    result.seconds = time.perf_counter() - start
    return result


def run_load(base_url: str, make_request: Callable[[int], RequestSpec], *, concurrency: int, total: int,
             max_seconds: float, on_response: Callable[[int, int, bytes], None] | None = None,
             interval: Callable[[int], float] | None = None) -> LoadResult:
    """Run the load to completion (or the time cap) and return what happened.

    ``interval(lane)``, when given, paces a lane: its requests start at most once every that many
    seconds (0 for a lane that runs flat out), like a device that polls on a timer.
    """
    return asyncio.run(_run(base_url, make_request, on_response, concurrency, total, max_seconds, interval))

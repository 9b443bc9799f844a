"""A loopback HTTP server that answers whatever a test tells it to: garbage, truncated JSON, wrong
types, endless or slow bodies, HTML error pages. No real bv-server behind it.

    with FakeServer() as fake:
        fake.answer = Answer(200, b"<html>oops</html>", content_type="text/html")
        ... point a client at fake.url ...
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"{}"
    content_type: str = "application/json"
    delay: float = 0.0  # seconds before the status line
    declared_length: int | None = None  # Content-Length to claim (more than sent: cut off mid-body)
    stream_bytes: int = 0  # > 0: send this many bytes of ``body`` repeated, chunked, no length
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        self.server.requests.append((self.command, self.path))
        answer = self.server.answer
        if answer.delay:
            if self.server.stopping.wait(answer.delay):
                return
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        try:
            if answer.stream_bytes:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in _chunks(answer.body, answer.stream_bytes):
                    if self.server.stopping.is_set():
                        return
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
                return
            self.send_header("Content-Length", str(answer.declared_length or len(answer.body)))
            if answer.declared_length:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    do_GET = do_POST = do_PUT = do_DELETE = _serve


def _chunks(unit: bytes, total: int, size: int = 1 << 20) -> Iterator[bytes]:
    block = (unit * (size // max(1, len(unit)) + 1))[:size]
    sent = 0
    while sent < total:
        piece = block[: min(size, total - sent)]
        sent += len(piece)
        yield piece


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    answer: Answer
    requests: list[tuple[str, str]]
    stopping: threading.Event


class FakeServer:
    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.answer = Answer()
        self._server.requests = []
        self._server.stopping = threading.Event()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def answer(self) -> Answer:
        return self._server.answer

    @answer.setter
    def answer(self, value: Answer) -> None:
        self._server.answer = value

    @property
    def requests(self) -> list[tuple[str, str]]:
        return self._server.requests

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        time.sleep(0)

"""The CLI-agent protocol, version 1: the whole contract between `bv` and its agent.

Transport: a Unix stream socket, ``agent.sock``, in a 0700 directory owned by the user
(``$BV_HOME/run`` when BV_HOME is set, else the user's runtime directory). The agent refuses any
peer whose user id (SO_PEERCRED) is not its own.

Framing: each message is one JSON object on one line (UTF-8, ``\\n``-terminated), at most
``MAX_MESSAGE`` bytes. A connection carries any number of request/response pairs, in order.

Request:  ``{"v": 1, "op": OP, "args": {...}}``
Progress (zero or more, before the response, for long operations): ``{"v": 1, "progress": [done, total]}``
Response: ``{"v": 1, "ok": true, "result": ...}`` or
          ``{"v": 1, "ok": false, "error": {"type": ERROR_CLASS, "detail": str|null, "hint": str|null}}``

Operations (args -> result):
- ``status`` {} -> {"unlocked": true, "account_id", "idle_timeout", "idle_left", "unlocked_at"}
- ``lock`` {} -> null (the agent forgets its keys and exits)
- ``get`` {"ref", "field": str|null, "vault": str|null} -> {"item_id", "vault_id", "value"} or an entry
- ``entries`` {"vault_ids": [..]|null, "trashed": bool|null} -> [entry, ...]
- ``find`` {"ref", "vault_ids", "trashed"} -> entry
- ``search`` {"query", "limit"} -> [[item_id, score], ...] (ids of live items)
- ``save`` {"vault_id", "item": item document, "item_id": str|null} -> item_id
- ``purge`` {"vault_id", "item_id"} -> null
- ``sync`` {"push": bool, "quiet": bool} -> report | {"offline": true, "queued": n}
- ``vault_names`` {} -> {vault_id: name}
- ``sharing`` {"method", "args"} -> what ``vault_client.sharing.Sharing.<method>`` returns (with
  progress messages for ``remove``)

An entry is ``{"vault_id", "item_id", "revision", "pending", "item": item document}``.
This module is imported on the hot path: standard library only.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

VERSION = 1
MAX_MESSAGE = 64 * 1024 * 1024
SOCKET_NAME = "agent.sock"
DEFAULT_IDLE_TIMEOUT = 15 * 60


class ProtocolError(Exception):
    """The agent and the CLI could not understand each other."""


def runtime_dir() -> str:
    """The agent's 0700 directory (a plain string: pathlib is too slow to import on the hot path)."""
    home = os.environ.get("BV_HOME")
    if home:
        return os.path.join(os.path.expanduser(home), "run")
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    return os.path.join(xdg, "blindvault") if xdg else f"/tmp/blindvault-{os.getuid()}"


def socket_path() -> str:
    return os.path.join(runtime_dir(), SOCKET_NAME)


def encode(doc: dict[str, Any]) -> bytes:
    data = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
    if len(data) > MAX_MESSAGE:
        raise ProtocolError("message too large")
    return data


def decode(line: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(line)
    except ValueError:
        raise ProtocolError("malformed message") from None
    if not isinstance(doc, dict) or doc.get("v") != VERSION:
        raise ProtocolError("unsupported protocol version")
    return doc


def read_message(fh) -> dict[str, Any] | None:
    line = fh.readline(MAX_MESSAGE + 1)
    if not line:
        return None
    if len(line) > MAX_MESSAGE or not line.endswith(b"\n"):
        raise ProtocolError("message too large or truncated")
    return decode(line)


class Connection:
    """A client connection to the agent (used by the CLI)."""

    def __init__(self, path: str | None = None, timeout: float = 30.0) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(str(path or socket_path()))
        except OSError:
            self._sock.close()
            raise
        self._rfile = self._sock.makefile("rb")

    def request(self, op: str, on_progress: Any = None, **args: Any) -> dict[str, Any]:
        self._sock.sendall(encode({"v": VERSION, "op": op, "args": args}))
        while True:
            doc = read_message(self._rfile)
            if doc is None:
                raise ProtocolError("the agent closed the connection")
            if "progress" not in doc:
                return doc
            if on_progress is not None:
                done, total = doc["progress"]
                on_progress(int(done), int(total))

    def close(self) -> None:
        self._rfile.close()
        self._sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect() -> Connection | None:
    """A connection to a running agent, or None when no agent is listening."""
    path = socket_path()
    if not os.path.exists(path):
        return None
    try:
        return Connection(path)
    except OSError:
        return None

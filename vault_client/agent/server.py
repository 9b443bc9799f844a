"""The agent: holds the unlocked keys and serves the CLI over a Unix socket (protocol.py).

Started by `bv unlock` as ``python -m vault_client.agent.server --idle SECONDS``; it reads the
account password from its stdin (never argv), derives the keys, answers ``ok`` or an error line on
stdout, then serves until `bv lock`, the idle timeout, or logout. The decrypted items are kept in
memory between requests and refreshed when the cache file changes, so a lookup costs a dictionary
walk, not an Argon2 derivation or ten thousand decryptions.
"""

from __future__ import annotations

import os
import socket
import socketserver
import struct
import sys
import threading
import time
from typing import Any

from vault_client import errors
from vault_client.agent import protocol
from vault_client.agent.service import AgentService


def peer_allowed(peer_uid: int, own_uid: int) -> bool:
    """Only the agent's own user may talk to it."""
    return peer_uid == own_uid


def peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid


class _Handler(socketserver.StreamRequestHandler):
    server: AgentServer

    def handle(self) -> None:
        if not peer_allowed(peer_uid(self.connection), os.getuid()):
            return  # close without a word
        while True:
            try:
                request = protocol.read_message(self.rfile)
            except protocol.ProtocolError as exc:
                self._send({"v": protocol.VERSION, "ok": False,
                            "error": {"type": "BvError", "detail": str(exc), "hint": None}})
                return
            if request is None:
                return
            response = self.server.dispatch(request, self._progress)
            self._send(response)
            if request.get("op") == "lock":
                self.server.stop()
                return

    def _progress(self, done: int, total: int) -> None:
        self._send({"v": protocol.VERSION, "progress": [done, total]})

    def _send(self, doc: dict[str, Any]) -> None:
        try:
            self.wfile.write(protocol.encode(doc))
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, protocol.ProtocolError):
            pass


class AgentServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, service: AgentService, idle_timeout: float) -> None:
        self.service = service
        self.idle_timeout = idle_timeout
        self.last_activity = time.monotonic()
        self.unlocked_at = time.time()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        super().__init__(path, _Handler)

    def dispatch(self, request: dict[str, Any], progress: Any = None) -> dict[str, Any]:
        op = request.get("op")
        args = request.get("args") if isinstance(request.get("args"), dict) else {}
        with self._lock:
            self.last_activity = time.monotonic()
            try:
                if op == "status":
                    result: Any = self._status()
                elif op == "lock":
                    result = None
                else:
                    result = self.service.call(str(op), args, progress)
                return {"v": protocol.VERSION, "ok": True, "result": result}
            except errors.BvError as err:
                return {"v": protocol.VERSION, "ok": False,
                        "error": {"type": type(err).__name__, "detail": err.detail, "hint": err.hint}}
            except Exception as exc:  # noqa: BLE001 - report the class only: no values leak
                return {"v": protocol.VERSION, "ok": False,
                        "error": {"type": "BvError", "detail": f"agent internal error ({type(exc).__name__})",
                                  "hint": None}}
            finally:
                self.last_activity = time.monotonic()

    def _status(self) -> dict[str, Any]:
        left = self.idle_timeout - (time.monotonic() - self.last_activity)
        return {"unlocked": True, "account_id": self.service.account_id, "idle_timeout": self.idle_timeout,
                "idle_left": max(0, int(left)), "unlocked_at": self.unlocked_at, "pid": os.getpid()}

    def watch_idle(self) -> None:
        while not self._stopping.wait(min(1.0, max(0.05, self.idle_timeout / 10))):
            if time.monotonic() - self.last_activity > self.idle_timeout:
                with self._lock:
                    self.stop()

    def stop(self) -> None:
        if not self._stopping.is_set():
            self._stopping.set()
            self.service.forget()
            try:
                os.unlink(self.server_address)  # no new client may connect from now on
            except OSError:
                pass
            threading.Thread(target=self.shutdown, daemon=True).start()


def serve(idle_timeout: float) -> int:
    password = sys.stdin.readline().rstrip("\r\n")
    sys.stdin.close()
    try:
        service = AgentService.unlock(password)
    except errors.BvError as err:
        sys.stdout.write(f"error {type(err).__name__} {err.detail or ''}\n")
        sys.stdout.flush()
        return 1
    finally:
        del password
    from pathlib import Path

    directory = Path(protocol.runtime_dir())
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    path = Path(protocol.socket_path())
    path.unlink(missing_ok=True)
    old_umask = os.umask(0o177)
    try:
        server = AgentServer(str(path), service, idle_timeout)
    finally:
        os.umask(old_umask)
    sys.stdout.write("ok\n")
    sys.stdout.flush()
    sys.stdout.close()
    watcher = threading.Thread(target=server.watch_idle, daemon=True)
    watcher.start()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        try:
            if path.exists():
                path.unlink()
        except OSError:
            pass
        service.close()
    return 0


def main() -> None:
    idle = float(protocol.DEFAULT_IDLE_TIMEOUT)
    if len(sys.argv) == 3 and sys.argv[1] == "--idle":
        idle = float(sys.argv[2])
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # nothing the agent does may reach a terminal
    raise SystemExit(serve(idle))


if __name__ == "__main__":
    main()

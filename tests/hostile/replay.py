"""Play many forged answers against one device in one process (``repeat.py``), and check each.

    runs = play(proxy, device, "POST", "/v1/sync", forgeries, ["sync"], first="POST /v1/sync")

``forgeries`` is a list of functions ``forge(doc)`` (change the server's JSON answer in place, or
return a replacement or a ``Reply``); the n-th matching request of the play gets the n-th forgery.
Each ``Run`` holds the command's exit status and output, a digest of the device's stored state after
it, and the requests the client sent during it (the log is cut where ``first`` starts a run).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.client.bv import Device, Result
from tests.hostile.proxy import HostileProxy
from tests.hostile.repeat import state_digest

REPO = Path(__file__).resolve().parents[2]

Forge = Callable[[Any], Any]


@dataclass
class Run:
    result: Result
    state: str        # digest of the device's stored state after the run
    sent: list[str]   # "METHOD /path" of every request of this run


def play(proxy: HostileProxy, device: Device, method: str, path: str, forgeries: list[Forge], argv: list[str], *,
         first: str) -> tuple[str, list[Run]]:
    """(the device's state digest before, one ``Run`` per forgery, in order)."""
    queue = iter(forgeries)

    def hook(doc: Any, _exchange) -> Any:
        return next(queue)(doc)

    before = state_digest(device.home)
    proxy.clear_log()
    proxy.rewrite(method, path, hook)
    proc = subprocess.run([sys.executable, "-m", "tests.hostile.repeat", str(len(forgeries)), *argv], cwd=REPO,
                          env=device.env(), capture_output=True, text=True, timeout=600, start_new_session=True)
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(lines) == len(forgeries), proc.stderr[-2000:]
    sent = _split(proxy.paths(), first)
    proxy.reset()
    assert len(sent) == len(forgeries), sent
    return before, [Run(Result(r["code"], r["out"], r["err"]), r["state"], s) for r, s in zip(lines, sent)]


def _split(paths: list[str], first: str) -> list[list[str]]:
    runs: list[list[str]] = []
    for p in paths:
        if p == first or not runs:
            runs.append([])
        runs[-1].append(p)
    return runs

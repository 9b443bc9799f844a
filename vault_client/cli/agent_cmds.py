"""`bv unlock` and `bv lock`: hand the keys to a background agent, and take them back."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Annotated, Optional

import typer

from vault_client import state
from vault_client.agent import protocol
from vault_client.cli import output, prompts
from vault_client.errors import BvError, UsageError, WrongPassword


def _timeout(value: Optional[int]) -> int:
    if value is None:
        value = int(os.environ.get("BV_AGENT_TIMEOUT", protocol.DEFAULT_IDLE_TIMEOUT))
    if not 1 <= value <= 7 * 24 * 3600:
        raise UsageError("the timeout must be between 1 second and 7 days")
    return value


def unlock(
    timeout: Annotated[Optional[int], typer.Option(
        help="Forget the keys after this many idle seconds (default 900, or BV_AGENT_TIMEOUT).")] = None,
) -> None:
    """Unlock once: a background agent holds the keys until `bv lock` or the idle timeout."""
    state.load_account()  # "not set up" before asking for a password
    seconds = _timeout(timeout)
    conn = protocol.connect()
    if conn is not None:
        conn.close()
        output.out("Already unlocked (`bv lock` to lock).")
        return
    password = prompts.account_password()
    proc = subprocess.Popen(
        [sys.executable, "-m", "vault_client.agent.server", "--idle", str(seconds)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
        close_fds=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(password.encode() + b"\n")
        proc.stdin.close()
    except BrokenPipeError:
        pass
    del password
    answer = proc.stdout.readline().decode(errors="replace").strip()
    proc.stdout.close()
    if answer != "ok":
        proc.wait(timeout=10)
        _, _, rest = answer.partition(" ")
        name, _, detail = rest.partition(" ")
        from vault_client import errors

        cls = getattr(errors, name, None)
        if isinstance(cls, type) and issubclass(cls, BvError):
            raise cls(detail or None)
        raise WrongPassword() if not answer else BvError("the agent did not start")
    output.out(f"Unlocked; the keys are forgotten after {seconds} s without use, or at `bv lock`.")


def lock() -> None:
    """Make the agent forget the keys now."""
    if not lock_agent():
        output.out("Already locked.")
        return
    output.out("Locked.")


def lock_agent() -> bool:
    conn = protocol.connect()
    if conn is None:
        return False
    try:
        conn.request("lock")
    except (OSError, protocol.ProtocolError):
        pass
    finally:
        conn.close()
    return True


def agent_status() -> dict | None:
    conn = protocol.connect()
    if conn is None:
        return None
    try:
        doc = conn.request("status")
    except (OSError, protocol.ProtocolError):
        return None
    finally:
        conn.close()
    return doc.get("result") if doc.get("ok") else None

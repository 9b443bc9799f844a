"""Where secrets come from: a hidden prompt, a file named by BV_PASSWORD_FILE, or stdin.

Never from a command-line argument (that would reach shell history and process listings).
"""

from __future__ import annotations

import getpass
import os
import sys

from vault_client.errors import PasswordUnavailable, UsageError

MAX_SECRET = 64 * 1024


def _tty_available() -> bool:
    try:
        with open("/dev/tty"):
            return True
    except OSError:
        return False


def account_password(prompt: str = "Account password: ", *, env: str = "BV_PASSWORD_FILE",
                     confirm: bool = False) -> str:
    path = os.environ.get(env)
    if path:
        try:
            with open(path, encoding="utf-8") as fh:
                value = fh.read(MAX_SECRET).rstrip("\r\n")
        except OSError as exc:
            raise PasswordUnavailable(f"{env} names a file that cannot be read ({exc.strerror})") from None
        if not value:
            raise PasswordUnavailable(f"the file named by {env} is empty")
        return value
    if not _tty_available():
        raise PasswordUnavailable()
    value = getpass.getpass(prompt)
    if not value:
        raise PasswordUnavailable()
    if confirm and getpass.getpass("Repeat it: ") != value:
        raise UsageError("the two passwords differ; nothing was changed")
    return value


def secret_value(prompt: str, *, allow_empty: bool = False) -> str:
    """An item secret: one line from stdin when it is not a terminal, else a hidden prompt."""
    if not sys.stdin.isatty():
        value = sys.stdin.readline(MAX_SECRET).rstrip("\r\n")
    elif _tty_available():
        value = getpass.getpass(prompt)
    else:
        value = ""
    if not value and not allow_empty:
        raise UsageError("no value was given", hint="type it at the prompt or pipe it on stdin")
    return value


def text_body(initial: str = "") -> str:
    """A note body: all of stdin when it is not a terminal, else $EDITOR on a private temp file."""
    if not sys.stdin.isatty():
        return sys.stdin.read(16 * 1024 * 1024)
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise UsageError("no note text given", hint="pipe it on stdin or set $EDITOR")
    import shlex
    import subprocess
    import tempfile

    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(prefix="bv-", dir=base) as tmp:
        path = os.path.join(tmp, "note.txt")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(initial)
        if subprocess.call([*shlex.split(editor), path]) != 0:
            raise UsageError("the editor failed; nothing was changed")
        with open(path, encoding="utf-8") as fh:
            return fh.read()


def confirm(question: str, *, assume_yes: bool = False) -> bool:
    if assume_yes:
        return True
    if not _tty_available():
        return False
    with open("/dev/tty", "r+") as tty:
        tty.write(f"{question} [y/N] ")
        tty.flush()
        return tty.readline().strip().lower() in ("y", "yes")

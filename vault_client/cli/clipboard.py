"""Copy a value to the clipboard and clear it after a timeout.

The value reaches the clipboard tool on its stdin (never argv). A detached child process waits,
then clears the clipboard only if it still holds what we put there (it is given a hash, not the
value).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

from vault_client.errors import ClipboardUnavailable

DEFAULT_TIMEOUT = 30

_TOOLS = [
    (["wl-copy"], ["wl-paste", "--no-newline"]),
    (["xclip", "-selection", "clipboard"], ["xclip", "-selection", "clipboard", "-o"]),
    (["xsel", "--clipboard", "--input"], ["xsel", "--clipboard", "--output"]),
    (["pbcopy"], ["pbpaste"]),
]


def _tool() -> tuple[list[str], list[str]]:
    for copy, paste in _TOOLS:
        if shutil.which(copy[0]) and shutil.which(paste[0]):
            return copy, paste
    raise ClipboardUnavailable()


def _set(copy_cmd: list[str], value: str) -> None:
    subprocess.run(copy_cmd, input=value.encode(), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=5)


def copy_with_timeout(value: str) -> int:
    seconds = int(os.environ.get("BV_CLIPBOARD_SECONDS", DEFAULT_TIMEOUT))
    copy_cmd, _ = _tool()
    _set(copy_cmd, value)
    digest = hashlib.sha256(value.encode()).hexdigest()
    subprocess.Popen([sys.executable, "-m", "vault_client.cli.clipboard", str(seconds), digest],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)
    return seconds


def _clear_later(seconds: int, digest: str) -> None:
    import time

    time.sleep(seconds)
    copy_cmd, paste_cmd = _tool()
    try:
        current = subprocess.run(paste_cmd, capture_output=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return
    if hashlib.sha256(current).hexdigest() == digest:
        _set(copy_cmd, "")


if __name__ == "__main__":
    _clear_later(int(sys.argv[1]), sys.argv[2])

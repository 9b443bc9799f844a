"""Where the client keeps its state, and how it writes files safely.

The state directory is ``$BV_HOME`` when set (tests and multiple profiles use it), otherwise the
platform's user data directory. Directories are 0700, files 0600, and every write goes to a
temporary file in the same directory that is fsynced and renamed over the old one, so a crash or a
full disk never leaves a half-written file in place of a good one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

APP_NAME = "blindvault"


def state_dir() -> Path:
    """The state directory, created 0700 if missing."""
    home = os.environ.get("BV_HOME")
    if home:
        path = Path(home).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    ensure_private_dir(path)
    return path


def ensure_private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` with ``data``, mode 0600."""
    ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_private_new(path: Path, data: bytes) -> None:
    """Write a file that must not exist yet (an Emergency Kit, an export), mode 0600."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())

"""Drive the real `bv` entry point in a subprocess with its own home directory."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BV = str(Path(sys.executable).with_name("bv"))
FLOOR_KDF = "19456,2,1"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def __repr__(self) -> str:
        return f"Result(code={self.code}, out={self.out!r}, err={self.err!r})"


class Device:
    """One device: a BV_HOME, a password file, and a way to run `bv` there."""

    def __init__(self, root: Path, name: str, password: str = "correct horse battery staple") -> None:
        self.home = root / name
        self.home.mkdir(parents=True, exist_ok=True)
        self.password_file = root / f"{name}.password"
        self.set_password(password)

    def set_password(self, password: str) -> None:
        self.password_file.write_text(password + "\n")
        os.chmod(self.password_file, 0o600)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BV_")}
        env.update(BV_HOME=str(self.home), BV_PASSWORD_FILE=str(self.password_file), BV_KDF=FLOOR_KDF,
                   BV_DEBUG="0", NO_COLOR="1", COLUMNS="200")
        env.update(extra)
        return env

    def run(self, *args: str, input: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 60) -> Result:
        proc = subprocess.run([BV, *args], input=input if input is not None else "", capture_output=True,
                              text=True, env=env or self.env(), timeout=timeout, start_new_session=True)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self.run(*args, input=input)
        assert result.code == 0, result
        return result

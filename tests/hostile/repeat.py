"""Run one `bv` command line several times in one process, for many forged answers in little time.

    python -m tests.hostile.repeat TIMES ARG...      (with BV_HOME etc. set as for `bv`)

Each run calls the console script's own entry point (``vault_client.cli.fast.main``) with fresh
``sys.argv`` and prints one JSON line ``{"code", "out", "err"}``. Nothing is shared between runs
but the interpreter and its imported modules: every command builds its own state from BV_HOME, as
a separate `bv` process would. Tests use it where one scenario is met by dozens of forged answers.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys


def once(argv: list[str]) -> tuple[int, str, str]:
    from vault_client.cli.fast import main

    out, err = io.StringIO(), io.StringIO()
    sys.argv = ["bv", *argv]
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def main() -> None:
    times, argv = int(sys.argv[1]), sys.argv[2:]
    for _ in range(times):
        code, out, err = once(argv)
        sys.__stdout__.write(json.dumps({"code": code, "out": out, "err": err}) + "\n")
        sys.__stdout__.flush()


if __name__ == "__main__":
    main()

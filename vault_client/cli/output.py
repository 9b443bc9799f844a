"""How `bv` talks to the terminal: one error shape, JSON for scripts, tables for people.

Errors and notices go to stderr as ``bv: error: ...``, ``bv: hint: ...``, ``bv: notice: ...``;
results go to stdout. Rich is imported only when a table is drawn, so printing a bare field stays
fast.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from vault_client.errors import BvError


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def emit_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def notice(text: str) -> None:
    sys.stderr.write(f"bv: notice: {text}\n")


def warn(text: str) -> None:
    sys.stderr.write(f"bv: warning: {text}\n")


def error(err: BvError) -> None:
    sys.stderr.write(f"bv: error: {err.message}\n")
    if err.hint:
        sys.stderr.write(f"bv: hint: {err.hint}\n")


def table(columns: list[str], rows: list[list[str]]) -> None:
    if not sys.stdout.isatty():
        out("\t".join(columns))
        for row in rows:
            out("\t".join(row))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(*columns, box=None, header_style="bold")
    for row in rows:
        t.add_row(*row)
    Console().print(t)

"""vault_client.importers is pure: no files, network, keys, terminal or printing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "vault_client" / "importers"
FORBIDDEN = (
    "os", "pathlib", "shutil", "tempfile", "socket", "ssl", "http", "urllib.request", "httpx",
    "sqlite3", "subprocess", "sys", "logging", "cryptography", "argon2", "typer", "click", "rich",
    "vault_client.crypto", "vault_client.cli", "vault_client.sync", "vault_client.transport",
    "vault_client.cache", "vault_client.state", "vault_client.paths", "vault_client.vault",
    "vault_client.account", "vault_server", "xml.dom", "xml.sax", "lxml",
)
#: hashlib only for the in-memory content key of dedupe.py.
ALLOWED_HASHLIB = {"dedupe.py"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_importers_are_pure(path: Path) -> None:
    imported = _imports(path)
    assert not sorted(n for n in imported if any(n == f or n.startswith(f + ".") for f in FORBIDDEN))
    if path.name not in ALLOWED_HASHLIB:
        assert "hashlib" not in imported
    calls = {n.func.id for n in ast.walk(ast.parse(path.read_text()))
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert not {"print", "open", "input", "eval", "exec"} & calls


def test_the_package_was_found() -> None:
    assert len(list(PACKAGE.glob("*.py"))) >= 12

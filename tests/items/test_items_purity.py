"""vault_client.items is pure: no files (but its bundled data), network, keys, terminal or printing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "vault_client" / "items"
FORBIDDEN = (
    "os", "io", "pathlib", "shutil", "tempfile", "socket", "ssl", "http", "urllib", "httpx",
    "sqlite3", "subprocess", "sys", "logging", "cryptography", "argon2", "hashlib", "hmac",
    "typer", "click", "rich", "vault_client.crypto", "vault_client.cli", "vault_client.sync",
    "vault_client.transport", "vault_client.cache", "vault_client.state", "vault_server",
)

# One-time codes need an HMAC and a URI parser: totp.py may use exactly these (pure computations;
# no key of the vault and no I/O is involved).
ALLOWED = {"totp.py": {"cryptography.hazmat.primitives", "cryptography.hazmat.primitives.twofactor.totp",
                       "urllib.parse"}}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_items_package_is_pure(path: Path) -> None:
    imported = _imports(path) - ALLOWED.get(path.name, set())
    assert not sorted(n for n in imported
                      if any(n == f or n.startswith(f + ".") for f in FORBIDDEN))
    assert all(n.startswith("vault_client.items") for n in imported if n.startswith("vault_")), \
        "items imports nothing else from the project"
    calls = {n.func.id for n in ast.walk(ast.parse(path.read_text()))
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert not {"print", "open", "input", "eval", "exec"} & calls


def test_the_package_was_found() -> None:
    assert len(list(PACKAGE.glob("*.py"))) >= 6

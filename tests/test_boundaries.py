"""The module boundaries of the design, enforced by reading every import statement.

- the crypto core is pure: no I/O, network, CLI, database or printing;
- vault_server imports nothing from vault_client;
- the client's HTTP layer never imports the crypto core;
- the CLI never calls crypto primitives (it goes through vault_client's account/vault modules).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                pkg = ".".join(path.relative_to(ROOT).with_suffix("").parts[: -node.level])
                names.add(f"{pkg}.{node.module}" if node.module else pkg)
            elif node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _calls(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def _hits(names: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))


CRYPTO_FORBIDDEN = (
    "os", "io", "pathlib", "shutil", "tempfile", "socket", "ssl", "http", "urllib", "httpx", "sqlite3",
    "sqlmodel", "sqlalchemy", "fastapi", "typer", "click", "rich", "logging", "subprocess", "sys",
    "vault_client.cli", "vault_client.transport", "vault_client.cache", "vault_client.state",
    "vault_client.paths", "vault_client.sync", "vault_server",
)


@pytest.mark.parametrize("path", _modules("vault_client/crypto"), ids=lambda p: p.name)
def test_crypto_core_is_pure(path: Path) -> None:
    assert not _hits(_imports(path), CRYPTO_FORBIDDEN)
    assert not ({"print", "open", "input"} & _calls(path)), "the crypto core must not print or open files"


@pytest.mark.parametrize("path", _modules("vault_server"), ids=lambda p: str(p.relative_to(ROOT)))
def test_server_never_imports_client(path: Path) -> None:
    assert not _hits(_imports(path), ("vault_client",))


PRIMITIVES = ("vault_client.crypto", "cryptography", "argon2", "hashlib", "hmac")


def test_transport_never_imports_crypto() -> None:
    assert not _hits(_imports(ROOT / "vault_client/transport.py"), PRIMITIVES)


@pytest.mark.parametrize("path", _modules("vault_client/cli"), ids=lambda p: p.name)
def test_cli_never_calls_primitives(path: Path) -> None:
    allowed = {"hashlib"} if path.name == "clipboard.py" else set()  # hashes the clipboard content only
    assert not [n for n in _hits(_imports(path), PRIMITIVES) if n not in allowed]


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """The import reader sees the forms of import that would break a boundary."""
    sample = ROOT / "vault_client" / "_boundary_probe.py"
    sample.write_text("import os\nfrom vault_client import crypto\nfrom .crypto import seal_item\n")
    try:
        names = _imports(sample)
    finally:
        sample.unlink()
    assert _hits(names, ("os",)) == ["os"]
    assert "vault_client.crypto" in names

"""Loading the JSON vectors of tests/vectors/ into crypto-core values."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from uuid import UUID

import pytest

from vault_client import crypto

VECTORS = Path(__file__).resolve().parent.parent / "vectors"

ERRORS = {
    "CryptoError": crypto.CryptoError,
    "KdfParamsError": crypto.KdfParamsError,
    "SecretKeyFormatError": crypto.SecretKeyFormatError,
}


def load(name: str) -> list[dict]:
    """The cases of one vector file."""
    return json.loads((VECTORS / name).read_text())["cases"]


def cases(name: str, op: str | None = None, expect: str | None = None) -> list:
    """pytest parameters for the cases of ``name``, each with its comment as the id."""
    selected = [
        c for c in load(name)
        if (op is None or c.get("op") == op) and (expect is None or c["expect"] == expect)
    ]
    assert selected, f"no cases selected from {name}"
    return [pytest.param(c, id=c["comment"]) for c in selected]


def error(case: dict) -> type[Exception]:
    """The exception class a failure case names."""
    assert case["expect"] == "failure"
    return ERRORS[case["error"]]


def key(hex_text: str) -> crypto.SecretBytes:
    return crypto.SecretBytes(bytes.fromhex(hex_text))


def uid(text: str) -> UUID:
    return UUID(text)


def params(data: dict | None) -> crypto.KdfParams | None:
    return None if data is None else crypto.KdfParams(**data)


def bundle(data: dict) -> crypto.PublicBundle:
    return crypto.PublicBundle(
        account_id=UUID(data["account_id"]),
        identity_public=bytes.fromhex(data["identity_public"]),
        sharing_public=bytes.fromhex(data["sharing_public"]),
        signature=bytes.fromhex(data["signature"]),
    )


def keypairs(hex_text: str) -> crypto.KeyPairs:
    return crypto.KeyPairs._from_private_bytes(bytes.fromhex(hex_text))


def plaintext(case: dict) -> bytes:
    if "plaintext" in case:
        return bytes.fromhex(case["plaintext"])
    rep = case["plaintext_repeat"]
    pattern = bytes.fromhex(rep["pattern"])
    return (pattern * (rep["length"] // len(pattern) + 1))[: rep["length"]]


def generator():
    """The committed generator script, imported as a module."""
    spec = importlib.util.spec_from_file_location("bv_vector_generate", VECTORS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

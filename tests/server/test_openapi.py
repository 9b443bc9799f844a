"""docs/openapi.json is the app's current schema, and docs/api.md covers every endpoint."""

from __future__ import annotations

import json
import re
from pathlib import Path

from vault_server.openapi import openapi_json

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_committed_openapi_document_is_up_to_date() -> None:
    committed = (DOCS / "openapi.json").read_text(encoding="utf-8")
    assert committed == openapi_json(), "regenerate: bv-server openapi -o docs/openapi.json"


def test_api_doc_describes_every_endpoint() -> None:
    schema = json.loads(openapi_json())
    prose = (DOCS / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(GET|POST|DELETE|PUT|PATCH) (/v1/[^`?\s]*)", prose))
    for path, operations in schema["paths"].items():
        for method in operations:
            assert (method.upper(), path) in documented, f"{method.upper()} {path} missing from docs/api.md"


def test_no_validation_422_is_advertised() -> None:
    schema = json.loads(openapi_json())
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "422" not in operation["responses"], (method, path)
            assert "default" in operation["responses"]

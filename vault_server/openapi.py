"""The OpenAPI document, generated from the app without a database (docs/openapi.json)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path


def openapi_json() -> str:
    """The OpenAPI document as stable, indented JSON ending in a newline."""
    from vault_server.app import create_app
    from vault_server.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(data_dir=Path(tmp)))
        schema = app.openapi()
    return json.dumps(schema, indent=2, sort_keys=False, ensure_ascii=False) + "\n"

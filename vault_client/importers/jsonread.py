"""Reading the JSON exports: strict decoding with the line and column of the first error."""

from __future__ import annotations

import json
from typing import Any

from vault_client.importers.common import MAX_INPUT_BYTES, EntryError, ImportFormatError
from vault_client.importers.csvread import decode


def load(data: bytes, label: str) -> Any:
    """Parse a JSON document; an ``ImportFormatError`` names where it breaks."""
    text = decode(data)
    if len(text) > MAX_INPUT_BYTES:
        raise ImportFormatError(f"the file is larger than {MAX_INPUT_BYTES // 2**20} MiB")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        truncated = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        what = "ends early (truncated?)" if truncated else "is not valid JSON"
        raise ImportFormatError(f"this {label} file {what}",
                                f"line {exc.lineno} column {exc.colno}") from None
    except (ValueError, RecursionError):
        raise ImportFormatError(f"this {label} file is not valid JSON (nested too deeply, or "
                                "NaN/Infinity)") from None


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def expect(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    """``value`` if it has the JSON type ``kind``, else an error naming ``what``."""
    if value is None and kind in (list, dict):
        return kind()
    if not isinstance(value, kind):
        raise EntryError(f"{what} has the wrong type")
    return value

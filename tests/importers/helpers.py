"""Shared helpers for the importer tests: the samples, a 1PUX archive built from one, lookups."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from vault_client.importers.common import ParseResult
from vault_client.items.model import Item

SAMPLES = Path(__file__).resolve().parent / "samples"
#: Real exports kept beside the repository (never copied into it); absent in a fresh clone.
SHARED = Path(__file__).resolve().parents[3] / "shared" / "formats"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def make_1pux(export_data: bytes, extra: dict[str, bytes] | None = None,
              compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A 1PUX archive as 1Password writes it: export.attributes, export.data, files/."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as archive:
        archive.writestr("export.attributes", b'{"version":3,"description":"1Password Unencrypted Export",'
                                              b'"createdAt":1700000000}')
        archive.writestr("export.data", export_data)
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buf.getvalue()


def by_name(result: ParseResult) -> dict[str, Item]:
    items = {p.item.name: p.item for p in result.items}
    assert len(items) == len(result.items), "sample names are unique"
    return items


def custom(item: Item) -> dict[str, tuple[str, bool]]:
    return {c.name: (c.value, c.concealed) for c in item.custom}

"""Our own export formats: the JSON document and the sealed export give back identical items;
the CSV export has one row per item."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.importers.helpers import sample
from vault_client import crypto, export, importers
from vault_client.items.model import Conflict, CustomField, new_item

FAST = crypto.KDF_FLOOR


def _items():
    """One item of every type, with everything an item can hold."""
    parsed = [p.item for p in importers.parse("bitwarden-json", sample("bitwarden.json")).items]
    odd = new_item("login", "Ünïcode \"quoted\", name", username="u", password="p\n2",
                   urls=["https://a", "https://b"], tags=["x", "y,z"], folder="A/B",
                   custom=[CustomField("PIN", "1", True), CustomField("empty", "", False)])
    odd.conflicts = [Conflict("fields.password", "other", "2024-01-01T00:00:00.000000Z")]
    return parsed + [odd]


def test_json_round_trip_is_identical() -> None:
    items = _items()
    result = importers.parse("blindvault-json", export.to_json(items))
    assert [p.item.to_dict() for p in result.items] == [i.to_dict() for i in items]
    assert {i.type for i in items} == {"login", "note", "card", "identity"}


def test_sealed_round_trip_is_identical() -> None:
    items = _items()
    sealed = export.seal(items, "export pässword", FAST)
    assert importers.detect(sealed) == "blindvault"
    assert b"Visa Gold" not in sealed and b"4111111111111111" not in sealed
    opened = export.open_sealed(sealed, "export pässword")
    assert [p.item.to_dict() for p in importers.parse("blindvault-json", opened).items] == [i.to_dict() for i in items]


def test_sealed_wrong_password_or_changed_file() -> None:
    sealed = export.seal(_items()[:1], "right", FAST)
    with pytest.raises(export.ExportPasswordWrong):
        export.open_sealed(sealed, "wrong")
    with pytest.raises(export.ExportPasswordWrong):
        export.open_sealed(sealed[:-1] + bytes([sealed[-1] ^ 1]), "right")
    with pytest.raises(export.ExportPasswordWrong):
        export.open_sealed(sealed[:40], "right")


def test_sealed_refuses_weak_parameters_before_deriving() -> None:
    sealed = bytearray(export.seal([], "pw", FAST))
    sealed[18:22] = (8).to_bytes(4, "big")               # memory_kib far below the floor
    with pytest.raises(export.ExportKdfRefused):
        export.open_sealed(bytes(sealed), "pw")


def test_csv_export() -> None:
    items = _items()
    rows = list(csv.DictReader(io.StringIO(export.to_csv(items).decode("utf-8"), newline="")))
    assert len(rows) == len(items)
    odd = rows[-1]
    assert odd["name"] == 'Ünïcode "quoted", name' and odd["password"] == "p\n2"
    assert odd["urls"].split("\n") == ["https://a", "https://b"] and odd["tags"].split("\n") == ["x", "y,z"]
    assert json.loads(odd["custom"])[0] == {"name": "PIN", "value": "1", "concealed": True}
    card = next(r for r in rows if r["type"] == "card")
    assert (card["number"], card["expiry"], card["cvv"]) == ("4111111111111111", "2029-04", "737")

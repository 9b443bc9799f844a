"""The item document: encoding, strict validation, field access, redaction."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from item_strategies import items

from vault_client.items.model import (
    MAX_DOCUMENT_BYTES,
    Conflict,
    CustomField,
    FieldNotFoundError,
    Item,
    ItemFormatError,
    is_concealed_field,
    new_item,
)
from vault_client.items.schema import DOCUMENT_KEYS

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
SECRET = "Zq8-canary-secret-7Hx"


def login(**extra) -> Item:
    return new_item("login", "GitHub", username="octocat", password=SECRET,
                    urls=["https://github.com/login", "https://gist.github.com"],
                    tags=["dev"], now=T0, **extra)


# -- encoding ----------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(items())
def test_round_trip(item: Item) -> None:
    data = item.to_bytes()
    back = Item.from_bytes(data)
    assert back == item
    assert back.to_bytes() == data


@settings(max_examples=50, deadline=None)
@given(items())
def test_encoding_is_compact_json_in_fixed_key_order(item: Item) -> None:
    data = item.to_bytes()
    doc = json.loads(data)
    assert tuple(doc) == DOCUMENT_KEYS
    assert data == json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def test_encoding_of_a_known_item() -> None:
    item = new_item("login", "Ünïcode", username="me", password="pw", now=T0)
    assert item.to_bytes() == (
        '{"v":1,"type":"login","name":"Ünïcode","fields":{"username":"me","password":"pw"},'
        '"urls":[],"notes":"","tags":[],"folder":null,"custom":[],'
        '"created":"2025-03-01T12:00:00.000000Z","modified":"2025-03-01T12:00:00.000000Z",'
        '"trashed":null,"conflicts":[]}').encode("utf-8")


def test_standard_fields_are_written_in_their_type_order() -> None:
    item = new_item("card", "Visa", fields={"pin": "1", "cardholder": "A", "number": "4"}, now=T0)
    assert list(json.loads(item.to_bytes())["fields"]) == ["cardholder", "number", "pin"]


def test_shorter_timestamp_forms_are_read_and_kept() -> None:
    doc = json.loads(login().to_bytes())
    doc["created"] = "2025-03-01T12:00:00Z"
    doc["modified"] = "2025-03-01T12:00:00.5Z"
    data = json.dumps(doc, separators=(",", ":")).encode()
    assert Item.from_bytes(data).to_bytes() == data


# -- validation --------------------------------------------------------------------------------

def _doc() -> dict:
    doc = json.loads(login().to_bytes())
    doc["custom"] = [{"name": "PIN", "value": "1234", "concealed": True}]
    doc["conflicts"] = [{"field": "name", "value": "Old", "at": "2025-01-01T00:00:00Z"}]
    return doc


def _set(path: str, value):
    def change(doc: dict) -> None:
        *parents, last = path.split(".")
        target = doc
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[int(last) if isinstance(target, list) else last] = value
    return change


def _drop(key: str):
    return lambda doc: doc.pop(key)


BAD_DOCUMENTS = [
    # (change to a valid document, words the error must contain)
    (_drop("conflicts"), "lacks 'conflicts'"),
    (_set("extra", 1), "unknown key"),
    (_set("v", 2), "version"),
    (_set("v", True), "version"),                       # a bool is not the integer 1
    (_set("v", "1"), "version"),
    (_set("type", "password"), "unknown item type"),
    (_set("name", ""), "name cannot be empty"),
    (_set("name", "   "), "name cannot be empty"),
    (_set("name", 7), "name must be text"),
    (_set("name", "x" * 1001), "longer than"),
    (_set("fields", []), "'fields' must be an object"),
    (_set("fields.cvv", "123"), "no standard field 'cvv'"),  # a card field on a login
    (_set("fields.password", 1234), "must be text"),
    (_set("urls", "https://x"), "'urls' must be a list"),
    (_set("urls", [""]), "cannot be empty"),
    (_set("urls", [None]), "must be text"),
    (_set("notes", None), "'notes' must be text"),
    (_set("tags", ["a", "a"]), "twice"),
    (_set("tags", [" "]), "cannot be empty"),
    (_set("folder", ""), "'folder' cannot be empty"),
    (_set("folder", 3), "must be text"),
    (_set("custom.0.concealed", "yes"), "true or false"),
    (_set("custom.0.extra", 1), "exactly the keys"),
    (_set("custom", [{"name": "a", "value": "", "concealed": False}] * 2), "repeats"),
    (_set("custom.0.name", ""), "cannot be empty"),
    (_set("created", "2025-03-01 12:00:00"), "timestamp"),
    (_set("modified", "2025-03-01T12:00:00+01:00"), "timestamp"),  # UTC only, with Z
    (_set("trashed", "2025-02-30T00:00:00Z"), "not a valid date"),
    (_set("trashed", 0), "timestamp"),
    (_set("conflicts", {}), "'conflicts' must be a list"),
    (_set("conflicts.0", {"field": "name", "value": 1}), "exactly the keys"),
    (_set("conflicts.0.field", ""), "cannot be empty"),
    (_set("conflicts.0.at", "yesterday"), "timestamp"),
]


@pytest.mark.parametrize(("change", "words"), BAD_DOCUMENTS)
def test_bad_documents_are_refused(change, words) -> None:
    doc = _doc()
    change(doc)
    with pytest.raises(ItemFormatError, match=words):
        Item.from_bytes(json.dumps(doc).encode())


@pytest.mark.parametrize(("data", "words"), [
    ("{}", "must be bytes"),                            # str, not bytes
    (b"\xff\xfe{}", "not UTF-8"),
    (b"{", "not valid JSON"),
    (b"[]", "must be a JSON object"),
    (b'{"v":1,"v":1}', "repeats a key"),
    (b'{"v":NaN}', "NaN"),
    (b" " * (MAX_DOCUMENT_BYTES + 1), "too large"),
])
def test_undecodable_documents_are_refused(data, words) -> None:
    with pytest.raises(ItemFormatError, match=words):
        Item.from_bytes(data)


def test_lone_surrogate_in_a_value_is_refused() -> None:
    doc = json.dumps(_doc()).replace('"GitHub"', '"\\ud800"').encode()
    with pytest.raises(ItemFormatError, match="not valid Unicode"):
        Item.from_bytes(doc)


def test_errors_never_quote_values() -> None:
    doc = _doc()
    doc["fields"] = {SECRET: SECRET}
    with pytest.raises(ItemFormatError) as caught:
        Item.from_bytes(json.dumps(doc).encode())
    assert SECRET not in str(caught.value)
    doc = _doc()
    doc[SECRET] = SECRET
    with pytest.raises(ItemFormatError) as caught:
        Item.from_bytes(json.dumps(doc).encode())
    assert SECRET not in str(caught.value)


def test_item_format_error_is_a_value_error() -> None:
    assert issubclass(ItemFormatError, ValueError)


def test_invalid_items_are_not_written() -> None:
    item = login()
    item.name = ""
    with pytest.raises(ItemFormatError):
        item.to_bytes()
    item = login()
    item.notes = "x" * MAX_DOCUMENT_BYTES
    with pytest.raises(ItemFormatError, match="too large"):
        item.to_bytes()


# -- construction ------------------------------------------------------------------------------

def test_new_item_takes_fields_as_keywords_or_mapping() -> None:
    a = new_item("card", "Visa", number="4111", cvv="123", now=T0)
    b = new_item("card", "Visa", fields={"number": "4111", "cvv": "123"}, now=T0)
    assert a == b
    assert a.created == a.modified == "2025-03-01T12:00:00.000000Z"
    assert a.trashed is None and a.conflicts == []


def test_new_item_treats_a_naive_time_as_utc() -> None:
    assert new_item("note", "n", now=datetime(2025, 3, 1, 12)).created == login().created


@pytest.mark.parametrize(("args", "kwargs", "words"), [
    (("password", "x"), {}, "unknown item type"),
    (("login", "x"), {"cvv": "1"}, "no standard field 'cvv'"),
    (("note", "x"), {"password": "p"}, "use a custom field"),
    (("login", ""), {}, "name cannot be empty"),
])
def test_new_item_refuses_bad_input(args, kwargs, words) -> None:
    with pytest.raises(ItemFormatError, match=words):
        new_item(*args, now=T0, **kwargs)


# -- field access ------------------------------------------------------------------------------

def test_field_lookup() -> None:
    item = login(notes="some notes", folder="Work",
                 custom=[CustomField("Recovery Code", "r-1", True)])
    assert item.field("name") == "GitHub"
    assert item.field("type") == "login"
    assert item.field("notes") == "some notes"
    assert item.field("url") == "https://github.com/login"
    assert item.field("urls") == "https://github.com/login\nhttps://gist.github.com"
    assert item.field("tags") == "dev"
    assert item.field("folder") == "Work"
    assert item.field("password") == SECRET
    assert item.field("Password") == SECRET
    assert item.field("Recovery Code") == "r-1"
    assert item.field("recovery code") == "r-1"          # case-insensitive when unique


@pytest.mark.parametrize("name", ["totp", "nope", "cvv", "url"])
def test_missing_fields_raise(name) -> None:
    item = new_item("login", "x", now=T0)
    with pytest.raises(FieldNotFoundError) as caught:
        item.field(name)
    assert name in str(caught.value)
    assert isinstance(caught.value, LookupError)


def test_custom_lookup_ignores_case_only_when_unambiguous() -> None:
    item = new_item("note", "x", custom=[CustomField("Key", "1"), CustomField("KEY", "2")],
                    now=T0)
    assert item.field("KEY") == "2"
    with pytest.raises(FieldNotFoundError):
        item.field("key")


def test_field_names_lists_what_is_set() -> None:
    item = login(custom=[CustomField("PIN", "1", True)])
    assert item.field_names() == ["name", "type", "username", "password", "PIN",
                                  "url", "urls", "tags"]


def test_concealed_fields() -> None:
    assert {n for n in ["password", "totp", "number", "cvv", "pin", "username", "brand"]
            if is_concealed_field(n)} == {"password", "totp", "number", "cvv", "pin"}
    item = login(custom=[CustomField("PIN", "1", True), CustomField("Hint", "h", False)])
    assert item.is_concealed("password") and item.is_concealed("PIN")
    assert not item.is_concealed("username") and not item.is_concealed("Hint")
    assert not item.is_concealed("name")


def test_set_field_on_every_kind_of_field() -> None:
    item = login()
    later = T0 + timedelta(hours=1)
    item.set_field("password", "new", now=later)
    assert item.fields["password"] == "new"
    assert item.modified == "2025-03-01T13:00:00.000000Z" and item.created != item.modified
    item.set_field("name", "GitHub (work)", now=later)
    item.set_field("notes", "n", now=later)
    item.set_field("folder", "Work", now=later)
    item.set_field("url", "https://github.com/", now=later)
    item.set_field("totp", None, now=later)
    item.set_field("username", None, now=later)
    item.set_field("Security answer", "blue", now=later)
    item.set_field("api password", "k", now=later)        # name of a concealed standard field
    item.set_field("Hint", "h", concealed=False, now=later)
    assert (item.name, item.notes, item.folder) == ("GitHub (work)", "n", "Work")
    assert item.urls == ["https://github.com/", "https://gist.github.com"]
    assert "username" not in item.fields
    assert item.custom == [CustomField("Security answer", "blue", False),
                           CustomField("api password", "k", False),
                           CustomField("Hint", "h", False)]
    item.set_field("password2", "x", now=later)
    item.set_field("security ANSWER", "green", concealed=True, now=later)
    item.set_field("Hint", None, now=later)
    assert item.custom[0] == CustomField("Security answer", "green", True)
    assert CustomField("password2", "x", False) in item.custom
    assert "Hint" not in [c.name for c in item.custom]
    item.to_bytes()


def test_a_password_custom_field_on_a_note_is_concealed() -> None:
    note = new_item("note", "Wi-Fi", now=T0)
    note.set_field("password", "pw", now=T0)
    assert note.custom == [CustomField("password", "pw", True)]
    assert note.is_concealed("password")


@pytest.mark.parametrize(("name", "value", "words"), [
    ("name", "", "cannot be empty"),
    ("name", None, "cannot be empty"),
    ("type", "card", "cannot be set"),
    ("urls", "x", "cannot be set"),
    ("password", 5, "must be text"),
    ("  ", "x", "cannot be empty"),
])
def test_set_field_refuses(name, value, words) -> None:
    with pytest.raises(ItemFormatError, match=words):
        login().set_field(name, value, now=T0)


def test_trash_restore_and_conflicts() -> None:
    item = login()
    item.trash(now=T0 + timedelta(days=1))
    assert item.is_trashed and item.trashed == item.modified == "2025-03-02T12:00:00.000000Z"
    item.restore(now=T0 + timedelta(days=2))
    assert not item.is_trashed and item.modified == "2025-03-03T12:00:00.000000Z"
    item.conflicts = [Conflict("name", "A", item.created), Conflict("fields.password", "p",
                                                                    item.created)]
    assert item.has_conflicts
    assert item.clear_conflicts("name", now=T0) == 1
    assert [c.field for c in item.conflicts] == ["fields.password"]
    assert item.clear_conflicts(now=T0) == 1 and not item.has_conflicts
    assert item.clear_conflicts(now=T0) == 0


def test_copy_is_deep() -> None:
    item = login(custom=[CustomField("a", "b")])
    other = item.copy()
    other.tags.append("x")
    other.fields["password"] = "changed"
    assert item.tags == ["dev"] and item.fields["password"] == SECRET


# -- redaction ---------------------------------------------------------------------------------

def test_repr_never_shows_values() -> None:
    item = login(notes=SECRET, custom=[CustomField(SECRET, SECRET, False)])
    item.conflicts = [Conflict("fields.password", SECRET, item.created)]
    for text in (repr(item), str(item), repr(item.custom), repr(item.conflicts)):
        assert SECRET not in text
        assert "GitHub" not in text and "octocat" not in text and "github.com" not in text
    assert "login" in repr(item) and "password" in repr(item)


@pytest.mark.parametrize(("field", "value", "concealed"), [
    ("fields.password", "p", True),
    ("fields.cvv", "1", True),
    ("fields.username", "u", False),
    ("custom.PIN", {"value": "1", "concealed": True}, True),
    ("custom.Hint", {"value": "h", "concealed": False}, False),
    ("custom.PIN", None, False),                         # the other side deleted it
    ("name", "n", False),
    ("notes", "n", False),
])
def test_conflict_knows_whether_its_value_is_secret(field, value, concealed) -> None:
    assert Conflict(field, value, "2025-01-01T00:00:00Z").concealed is concealed

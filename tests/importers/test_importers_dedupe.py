"""The content key: the same entry imported twice is found; a changed secret is a new item."""

from __future__ import annotations

from tests.importers.helpers import sample
from vault_client import importers
from vault_client.importers import Deduper, content_key
from vault_client.items.model import new_item


def test_a_second_import_is_all_duplicates() -> None:
    first = [p.item for p in importers.parse("bitwarden-json", sample("bitwarden.json")).items]
    again = [p.item for p in importers.parse("bitwarden-json", sample("bitwarden.json")).items]
    deduper = Deduper(first)
    assert [deduper.is_duplicate(item) for item in again] == [True] * len(again)


def test_repeated_entries_in_one_file_import_once_each() -> None:
    login = new_item("login", "Site", username="u", password="p", urls=["https://site"])
    twin = login.copy()
    deduper = Deduper([login])                 # the vault already holds one copy
    assert deduper.is_duplicate(twin) is True
    assert deduper.is_duplicate(login.copy()) is False   # a second copy in the file is new


def test_what_the_key_covers() -> None:
    base = new_item("login", "Site", username="u", password="p", urls=["https://b", "https://a"], notes="n")
    same = base.copy()
    same.folder, same.tags, same.modified = "Elsewhere", ["x"], "2020-01-01T00:00:00.000000Z"
    assert content_key(same) == content_key(base)          # folder, tags, times do not count
    same.urls = list(reversed(same.urls))
    assert content_key(same) == content_key(base)          # URL order does not count
    for change in ({"password": "p2"}, {"username": "v"}):
        other = base.copy()
        other.fields.update(change)
        assert content_key(other) != content_key(base)
    other = base.copy()
    other.notes = "changed"
    assert content_key(other) != content_key(base)
    assert content_key(new_item("note", "Site", notes="n")) != content_key(base)


def test_the_key_holds_no_secret() -> None:
    item = new_item("login", "Site", username="u", password="hunter2-unique", notes="secret note")
    assert "hunter2-unique" not in repr(content_key(item)) and "secret note" not in repr(content_key(item))

"""Three-way item merge: the table of cases, and the property that no edit is ever lost."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from item_strategies import items, labels, text, timestamps

from vault_client.items.merge import diff_fields, flatten, merge
from vault_client.items.model import (
    ITEM_TYPES,
    STANDARD_FIELDS,
    Conflict,
    CustomField,
    Item,
    format_timestamp,
    new_item,
)

T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)
LOCAL_AT = T0 + timedelta(hours=1)
REMOTE_AT = T0 + timedelta(hours=2)


def base() -> Item:
    return new_item("login", "GitHub", username="octocat", password="p0", totp="t0",
                    urls=["https://github.com"], tags=["dev", "work"], notes="n0",
                    custom=[CustomField("PIN", "1111", True)], now=T0)


Edit = Callable[[Item], None]


def setf(name: str, value: str | None) -> Edit:
    return lambda item: item.set_field(name, value, now=T0)


def seq(*edits: Edit) -> Edit:
    def run(item: Item) -> None:
        for edit in edits:
            edit(item)
    return run


def attr(name: str, value) -> Edit:
    return lambda item: setattr(item, name, value)


def nothing(item: Item) -> None:
    return None


def edited(edit: Edit, at: datetime) -> Item:
    item = base()
    edit(item)
    item.modified = format_timestamp(at)
    return item


CASES = [
    # (name, local edit, remote edit, {merge key: expected value}, [(conflict key, value)])
    ("only local changed", setf("password", "pL"), nothing,
     {"fields.password": "pL"}, []),
    ("only remote changed", nothing, setf("password", "pR"),
     {"fields.password": "pR"}, []),
    ("both made the same change", setf("password", "same"), setf("password", "same"),
     {"fields.password": "same"}, []),
    ("both changed one field differently", setf("password", "pL"), setf("password", "pR"),
     {"fields.password": "pR"}, [("fields.password", "pL")]),
    ("different fields", setf("username", "uL"), setf("password", "pR"),
     {"fields.username": "uL", "fields.password": "pR"}, []),
    ("local deleted, remote unchanged", setf("totp", None), nothing,
     {"fields.totp": None}, []),
    ("local deleted, remote changed", setf("totp", None), setf("totp", "tR"),
     {"fields.totp": "tR"}, [("fields.totp", None)]),
    ("local changed, remote deleted", setf("totp", "tL"), setf("totp", None),
     {"fields.totp": None}, [("fields.totp", "tL")]),
    ("name conflict", setf("name", "GitHub L"), setf("name", "GitHub R"),
     {"name": "GitHub R"}, [("name", "GitHub L")]),
    ("notes conflict", setf("notes", "nL"), setf("notes", "nR"),
     {"notes": "nR"}, [("notes", "nL")]),
    ("folder set on one side", setf("folder", "Work"), nothing, {"folder": "Work"}, []),
    ("tags added on both sides", attr("tags", ["dev", "work", "L"]),
     attr("tags", ["dev", "work", "R"]), {"tags": ["dev", "work", "R", "L"]}, []),
    ("tag removed on one side, added on the other", attr("tags", ["work"]),
     attr("tags", ["dev", "work", "R"]), {"tags": ["work", "R"]}, []),
    ("urls changed on both sides", attr("urls", ["https://github.com", "https://l"]),
     attr("urls", ["https://r"]), {"urls": ["https://r", "https://l"]}, []),
    ("custom field changed on one side", setf("PIN", "2222"), nothing,
     {"custom.PIN": {"value": "2222", "concealed": True}}, []),
    ("custom field changed on both sides", setf("PIN", "2"), setf("PIN", "3"),
     {"custom.PIN": {"value": "3", "concealed": True}},
     [("custom.PIN", {"value": "2", "concealed": True})]),
    ("custom fields added on both sides", setf("A", "a"), setf("B", "b"),
     {"custom.A": {"value": "a", "concealed": False},
      "custom.B": {"value": "b", "concealed": False}}, []),
    ("trashed on both sides", lambda i: i.trash(now=LOCAL_AT),
     lambda i: i.trash(now=REMOTE_AT), {"trashed": format_timestamp(REMOTE_AT)}, []),
    ("trashed locally while edited remotely", lambda i: i.trash(now=LOCAL_AT),
     setf("password", "pR"),
     {"trashed": format_timestamp(LOCAL_AT), "fields.password": "pR"}, []),
    ("remote made it a card while local edited the username",
     setf("username", "uL"),
     seq(attr("type", "card"), attr("fields", {"number": "4111"})),
     {"type": "card", "fields.number": "4111", "fields.username": None},
     [("fields.username", "uL")]),
    ("both changed the type differently",
     seq(attr("type", "note"), attr("fields", {})),
     seq(attr("type", "card"), attr("fields", {})),
     {"type": "card", "fields.password": None}, [("type", "note")]),
]


@pytest.mark.parametrize(("local_edit", "remote_edit", "expected", "conflicts"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_merge_table(local_edit, remote_edit, expected, conflicts) -> None:
    ancestor = base()
    local, remote = edited(local_edit, LOCAL_AT), edited(remote_edit, REMOTE_AT)
    result = merge(ancestor, local, remote)
    flat = flatten(result.item)
    for key, value in expected.items():
        assert flat.get(key) == value, key
    assert [(c.field, c.value) for c in result.item.conflicts] == conflicts
    assert result.conflicted_fields == list(dict.fromkeys(k for k, _ in conflicts))
    for conflict in result.item.conflicts:
        assert conflict.at in (local.modified, result.item.modified)
    assert result.item.modified == format_timestamp(REMOTE_AT)
    assert result.item.created == ancestor.created
    Item.from_bytes(result.item.to_bytes())  # always a valid document


def test_a_conflict_records_the_local_time() -> None:
    result = merge(base(), edited(setf("password", "pL"), LOCAL_AT),
                   edited(setf("password", "pR"), REMOTE_AT))
    assert result.item.conflicts == [Conflict("fields.password", "pL",
                                              format_timestamp(LOCAL_AT))]


def test_modified_is_the_later_side_even_when_local_is_later() -> None:
    local = edited(setf("notes", "x"), REMOTE_AT + timedelta(days=1))
    result = merge(base(), local, edited(nothing, REMOTE_AT))
    assert result.item.modified == local.modified


def test_without_an_ancestor_both_creations_are_kept() -> None:
    a = new_item("login", "Bank", username="me", password="pa", urls=["https://bank"],
                 tags=["money"], now=T0 + timedelta(minutes=5))
    b = new_item("login", "Bank", username="me", password="pb", tags=["fin"], now=T0)
    result = merge(None, a, b)
    assert result.item.fields == {"username": "me", "password": "pb"}
    assert result.item.tags == ["fin", "money"] and result.item.urls == ["https://bank"]
    assert [(c.field, c.value) for c in result.item.conflicts] == [("fields.password", "pa")]
    assert result.item.created == b.created
    assert result.conflicted_fields == ["fields.password"]


def test_existing_conflicts_are_unioned_and_resolutions_respected() -> None:
    ancestor = base()
    old = Conflict("notes", "old", ancestor.created)
    keep = Conflict("name", "kept", ancestor.created)
    ancestor.conflicts = [old, keep]
    local = ancestor.copy()
    local.conflicts = [keep, Conflict("fields.totp", "L", local.created)]  # resolved `old`
    remote = ancestor.copy()
    remote.conflicts = [old, keep, Conflict("fields.totp", "L", remote.modified),  # duplicate
                        Conflict("tags", ["x"], remote.created)]
    result = merge(ancestor, local, remote)
    assert [(c.field, c.value) for c in result.item.conflicts] == [
        ("name", "kept"), ("fields.totp", "L"), ("tags", ["x"])]
    assert result.conflicted_fields == []


def test_merge_does_not_modify_its_inputs() -> None:
    ancestor = base()
    local, remote = edited(setf("password", "pL"), LOCAL_AT), edited(setf("password", "pR"),
                                                                     REMOTE_AT)
    copies = [x.copy() for x in (ancestor, local, remote)]
    result = merge(ancestor, local, remote)
    result.item.tags.append("z")
    assert [ancestor, local, remote] == copies


def test_diff_fields_names_changed_keys_only() -> None:
    old = base()
    new = old.copy()
    new.set_field("password", "secret-value", now=T0)
    new.set_field("PIN", None, now=T0)
    new.tags.append("x")
    changed = diff_fields(old, new)
    assert changed == ["fields.password", "tags", "custom.PIN"]
    assert "secret-value" not in repr(changed)
    assert diff_fields(old, old.copy()) == []
    assert diff_fields(None, new_item("note", "n", now=T0)) == ["type", "name"]


# -- no edit is ever lost ----------------------------------------------------------------------

@st.composite
def edits_of(draw, ancestor: Item) -> Item:
    """A valid version derived from ``ancestor`` by random edits."""
    item = ancestor.copy()
    if draw(st.integers(0, 9)) == 0:  # sometimes a different type
        item.type = draw(st.sampled_from(ITEM_TYPES))
        item.fields = {k: v for k, v in item.fields.items() if k in STANDARD_FIELDS[item.type]}
    names = STANDARD_FIELDS[item.type]
    for _ in range(draw(st.integers(0, 6))):
        what = draw(st.integers(0, 8))
        if what == 0:
            item.name = draw(labels)
        elif what == 1 and names:
            item.fields[draw(st.sampled_from(names))] = draw(text)
        elif what == 2 and item.fields:
            del item.fields[draw(st.sampled_from(sorted(item.fields)))]
        elif what == 3:
            item.urls = draw(st.lists(labels, max_size=3))
        elif what == 4:
            item.tags = draw(st.lists(labels, max_size=3, unique=True))
        elif what == 5:
            item.notes, item.folder = draw(text), draw(st.none() | labels)
        elif what == 6:
            item.set_field("c" + draw(st.sampled_from("xyz")), draw(st.none() | text),
                           concealed=draw(st.booleans()))
        elif what == 7:
            item.trashed = draw(st.none() | timestamps)
        elif what == 8:
            pool = ancestor.conflicts + [Conflict("notes", draw(text), item.modified)]
            picks = draw(st.lists(st.integers(0, len(pool) - 1), max_size=3, unique=True))
            item.conflicts = [pool[k] for k in picks]
    item.modified = draw(timestamps)
    item.validate()
    return item


@st.composite
def three_versions(draw):
    ancestor = draw(items())
    local, remote = draw(edits_of(ancestor)), draw(edits_of(ancestor))
    return draw(st.sampled_from([ancestor, None])), local, remote


def _kept(result: Item, key: str, value) -> bool:
    flat = flatten(result)
    placed = flat[key] if key in flat else ([] if key in ("urls", "tags") else
                                            "" if key == "notes" else None)
    return placed == value or any(c.field == key and c.value == value
                                  for c in result.conflicts)


@settings(max_examples=300, deadline=None)
@given(three_versions())
def test_no_edit_is_ever_lost(versions) -> None:
    ancestor, local, remote = versions
    result = merge(ancestor, local, remote).item
    result.validate()
    a = flatten(ancestor)
    merged = flatten(result)
    for side in (local, remote):
        flat = flatten(side)
        for key in {**a, **flat}:
            before = a.get(key, [] if key in ("urls", "tags") else "" if key == "notes" else None)
            value = flat.get(key, [] if key in ("urls", "tags") else "" if key == "notes" else None)
            if value == before:
                continue
            if key in ("urls", "tags"):
                # set-wise: what a side added is there (or kept aside), what it removed is gone
                added = [v for v in value if v not in before]
                assert all(v in merged.get(key, []) for v in added) or _kept(result, key, value)
            elif key == "trashed" and value is not None:
                # trashed again: trashed still, unless the other side restored it (a conflict)
                assert result.trashed is not None or _kept(result, key, value)
            else:
                assert _kept(result, key, value), key
    # conflicts that either side added survive
    base_conflicts = ancestor.conflicts if ancestor else []
    for side in (local, remote):
        for c in side.conflicts:
            if c not in base_conflicts:
                assert any(r.field == c.field and r.value == c.value for r in result.conflicts)


@settings(max_examples=100, deadline=None)
@given(items().flatmap(lambda a: st.tuples(st.just(a), edits_of(a))))
def test_a_one_sided_change_merges_to_that_side(pair) -> None:
    ancestor, changed = pair
    for local, remote in ((ancestor.copy(), changed), (changed, ancestor.copy())):
        result = merge(ancestor, local, remote)
        assert result.conflicted_fields == []
        assert flatten(result.item) == flatten(changed)

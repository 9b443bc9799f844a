"""Item history inside the document: recording, bounds, merge union, versions, restore."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vault_client.items import history
from vault_client.items.history import MAX_HISTORY_VERSIONS, field_timeline, record, restore, versions
from vault_client.items.merge import merge
from vault_client.items.model import MAX_DOCUMENT_BYTES, AttachmentRef, Item, ItemFormatError, new_item

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def edited(item: Item, minutes: int, **fields: str) -> Item:
    out = item.copy()
    for name, value in fields.items():
        out.set_field(name, value, now=at(minutes))
    return out


def base() -> Item:
    return new_item("login", "Bank", username="u0", password="p0", now=T0)


def passwords(item: Item) -> list[str]:
    return [v.fields.get("password") for v in item.history]


def test_record_keeps_the_replaced_version_once() -> None:
    v0 = base()
    v1 = record(v0, edited(v0, 1, password="p1"))
    assert passwords(v1) == ["p0"] and v1.fields["password"] == "p1"
    v2 = record(v1, edited(v1, 2, username="u2"))
    assert passwords(v2) == ["p0", "p1"]
    assert all(not v.history for v in v2.history)  # versions carry no history of their own
    again = record(v2, edited(v2, 3))  # only `modified` moved: nothing new to keep
    assert len(again.history) == 2
    assert Item.from_bytes(v2.to_bytes()).to_dict() == v2.to_dict()


def test_record_does_not_modify_its_inputs_and_unions_histories() -> None:
    v0 = base()
    v1 = record(v0, edited(v0, 1, password="p1"))
    stale = edited(v0, 2, username="other")  # built from an older copy: its history is shorter
    out = record(v1, stale)
    assert passwords(out) == ["p0", "p1"]
    assert v1.history and not stale.history


def test_history_is_bounded_by_count() -> None:
    item = base()
    for i in range(1, MAX_HISTORY_VERSIONS + 10):
        item = record(item, edited(item, i, password=f"p{i}"))
    assert len(item.history) == MAX_HISTORY_VERSIONS
    assert item.history[0].fields["password"] == "p9"  # the oldest went first
    assert item.history[-1].fields["password"] == f"p{MAX_HISTORY_VERSIONS + 8}"


def test_history_is_bounded_by_bytes() -> None:
    item = new_item("note", "Big", notes="n" * 60_000, now=T0)
    for i in range(1, 8):
        item = record(item, edited(item, i, notes=f"{i}" * 60_000))
    assert len(item.to_bytes()) <= MAX_DOCUMENT_BYTES
    assert 1 <= len(item.history) < 7
    assert item.history[-1].notes == "6" * 60_000  # the newest versions are the ones kept
    huge = new_item("note", "Huge", notes="x" * (MAX_DOCUMENT_BYTES - 1000), now=T0)
    out = record(huge, edited(huge, 1, notes="y" * (MAX_DOCUMENT_BYTES - 1000)))
    assert out.history == [] and len(out.to_bytes()) <= MAX_DOCUMENT_BYTES


def test_versions_restore_and_password_timeline() -> None:
    v0 = base()
    v1 = record(v0, edited(v0, 1, password="p1"))
    v2 = record(v1, edited(v1, 2, username="u2"))
    kept = versions(v2)
    assert [v.number for v in kept] == [0, 1, 2]
    assert kept[0].changed == ["fields.username"] and kept[1].changed == ["fields.password"]
    assert kept[2].changed is None and kept[2].item.fields["password"] == "p0"
    assert [(value) for _, value in field_timeline(v2, "password")] == ["p1", "p0"]
    back = restore(v2, 2, now=at(3))
    assert back.fields == {"username": "u0", "password": "p0"}
    saved = record(v2, back)  # the version it replaces joins the history
    assert [v.fields["username"] for v in saved.history] == ["u0", "u0", "u2"]
    with pytest.raises(ItemFormatError):
        restore(v2, 3)
    with pytest.raises(ItemFormatError):
        restore(v2, 0)


def test_document_rules_for_history_and_attachments() -> None:
    v0 = base()
    v1 = record(v0, edited(v0, 1, password="p1"))
    doc = v1.to_dict()
    assert list(doc)[-1] == "history" and "history" not in doc["history"][0]
    nested = json.loads(json.dumps(doc))
    nested["history"][0]["history"] = [doc["history"][0]]
    with pytest.raises(ItemFormatError):
        Item.from_dict(nested)
    empty = dict(doc, history=[])
    with pytest.raises(ItemFormatError):
        Item.from_dict(empty)  # absent, never an empty list: one encoding per item
    ref = AttachmentRef("3f2504e0-4f89-41d3-9a0c-0305e82c3301", "a.pdf", 10, "ab" * 32, "A" * 43)
    ok = v0.copy()
    ok.attachments = [ref]
    assert Item.from_bytes(ok.to_bytes()).attachments == [ref]
    for bad in (AttachmentRef("not-a-uuid", "a.pdf", 10, "ab" * 32, "A" * 43),
                AttachmentRef(ref.id, " ", 10, "ab" * 32, "A" * 43),
                AttachmentRef(ref.id, "a.pdf", -1, "ab" * 32, "A" * 43),
                AttachmentRef(ref.id, "a.pdf", 10, "AB" * 32, "A" * 43),
                AttachmentRef(ref.id, "a.pdf", 10, "ab" * 32, "A" * 42)):
        broken = v0.copy()
        broken.attachments = [bad]
        with pytest.raises(ItemFormatError):
            broken.to_bytes()
    twice = v0.copy()
    twice.attachments = [ref, ref]
    with pytest.raises(ItemFormatError):
        twice.to_bytes()
    assert "A" * 43 not in repr(ref) and "a.pdf" not in repr(ref)


def _all_contents(item: Item) -> set[bytes]:
    return {history._content(v) for v in item.history} | {history._content(item)}


def test_a_conflicting_merge_keeps_both_sides_as_versions() -> None:
    ancestor = record(None, base())
    local = record(ancestor, edited(ancestor, 1, password="from-local"))
    remote = record(ancestor, edited(ancestor, 2, password="from-remote"))
    result = merge(ancestor, local, remote).item
    kept = _all_contents(result)
    for version in (ancestor, local, remote):
        assert history._content(version) in kept
    assert [c.value for c in result.conflicts] == ["from-local"]


edits = st.lists(st.tuples(st.sampled_from(["username", "password", "notes", "name"]),
                           st.text(alphabet="abcxyz", min_size=1, max_size=4)), max_size=4)


@settings(max_examples=60, deadline=None)
@given(edits, edits, edits)
def test_merge_never_loses_a_version(before: list, on_local: list, on_remote: list) -> None:
    """Every version on either side (and every version either side kept) survives the merge,
    as the merged item itself or in its history."""
    ancestor = base()
    for i, (name, value) in enumerate(before):
        ancestor = record(ancestor, edited(ancestor, i + 1, **{name: value}))
    local, remote = ancestor, ancestor
    for i, (name, value) in enumerate(on_local):
        local = record(local, edited(local, 100 + i, **{name: value}))
    for i, (name, value) in enumerate(on_remote):
        remote = record(remote, edited(remote, 200 + i, **{name: value}))
    result = merge(ancestor, local, remote).item
    kept = _all_contents(result)
    for side in (ancestor, local, remote):
        assert _all_contents(side) <= kept
    assert len(result.to_bytes()) <= MAX_DOCUMENT_BYTES


def test_merge_unions_attachments_as_a_set() -> None:
    ancestor = base()
    one = AttachmentRef("3f2504e0-4f89-41d3-9a0c-0305e82c3301", "one.txt", 1, "aa" * 32, "A" * 43)
    two = AttachmentRef("3f2504e0-4f89-41d3-9a0c-0305e82c3302", "two.txt", 2, "bb" * 32, "B" * 43)
    ancestor.attachments = [one]
    local, remote = ancestor.copy(), ancestor.copy()
    local.attachments = [one, two]  # local attached a file
    remote.attachments = []  # remote removed one
    result = merge(ancestor, local, remote).item
    assert result.attachments == [two]
    assert not result.conflicts

"""Hypothesis strategies for item documents, shared by the item tests."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import strategies as st

from vault_client.items.model import (
    ITEM_TYPES,
    STANDARD_FIELDS,
    Conflict,
    CustomField,
    Item,
    format_timestamp,
)

text = st.text(max_size=20)
labels = st.text(min_size=1, max_size=12).filter(lambda s: s.strip())
timestamps = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                          timezones=st.just(timezone.utc)).map(format_timestamp)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def custom_fields(draw) -> list[CustomField]:
    names = draw(st.lists(labels, max_size=4, unique=True))
    return [CustomField(n, draw(text), draw(st.booleans())) for n in names]


@st.composite
def items(draw, item_type: str | None = None) -> Item:
    kind = item_type or draw(st.sampled_from(ITEM_TYPES))
    names = STANDARD_FIELDS[kind]
    fields = draw(st.dictionaries(st.sampled_from(names), text, max_size=len(names))) \
        if names else {}
    return Item(
        type=kind,
        name=draw(labels),
        fields=fields,
        urls=draw(st.lists(labels, max_size=3)),
        notes=draw(text),
        tags=draw(st.lists(labels, max_size=3, unique=True)),
        folder=draw(st.none() | labels),
        custom=draw(custom_fields()),
        created=draw(timestamps),
        modified=draw(timestamps),
        trashed=draw(st.none() | timestamps),
        conflicts=draw(st.lists(st.builds(Conflict, labels, json_values, timestamps),
                                max_size=3)),
    )

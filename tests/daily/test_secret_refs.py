"""bv:// references: parsing, templates, strict resolution; and the health report."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from vault_client.entry import Entry
from vault_client.errors import AmbiguousItem, FieldNotFound, ItemNotFound, UsageError
from vault_client.health import check, password_set_at
from vault_client.items.generate import generate_password
from vault_client.items.history import record
from vault_client.items.model import new_item
from vault_client.secret_refs import (
    Resolver,
    SecretRef,
    parse_reference,
    render_template,
    template_references,
)

VAULT = "6f1c2b9a-0000-4000-8000-000000000001"
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


class ListView:
    """The one call a Resolver makes of a vault view, over a fixed list of entries."""

    def __init__(self, entries: list[Entry]) -> None:
        self._entries = entries
        self.calls = 0

    def entries(self, vault_ids=None, *, trashed=False):
        self.calls += 1
        return [e for e in self._entries if vault_ids is None or e.vault_id in vault_ids]


def entry(item_id: str, name: str, **fields: str) -> Entry:
    return Entry(VAULT, item_id, 1, new_item("login", name, now=T0, **fields), False)


DB = entry("aaaaaaaa-1111-4000-8000-000000000001", "prod/db", username="app", password="s3cret")
WEB = entry("bbbbbbbb-2222-4000-8000-000000000002", "Web", password="web-pw")
WEB2 = entry("bbbbbbbb-3333-4000-8000-000000000003", "web", password="other")


def resolver(*entries: Entry) -> Resolver:
    return Resolver(ListView(list(entries)), lambda name: VAULT if name in ("personal", VAULT) else "none")


@pytest.mark.parametrize(("text", "parsed"), [
    ("bv://personal/GitHub/password", SecretRef("personal", "GitHub", "password")),
    ("  bv://personal/prod%2Fdb/password\n", SecretRef("personal", "prod/db", "password")),
    ("bv://Family%20Vault/My%20Bank/PIN%20code", SecretRef("Family Vault", "My Bank", "PIN code")),
])
def test_parse_reference(text: str, parsed: SecretRef) -> None:
    assert parse_reference(text) == parsed
    assert parse_reference(str(parsed)) == parsed


@pytest.mark.parametrize("text", [
    "personal/GitHub/password",          # no scheme
    "bv://personal/GitHub",              # two parts
    "bv://personal/prod/db/password",    # an unencoded slash makes four
    "bv://personal//password",           # an empty item
    "bv://" + "x" * 3000 + "/a/b",       # absurdly long
])
def test_bad_references_are_refused(text: str) -> None:
    with pytest.raises(UsageError):
        parse_reference(text)


def test_resolution_is_exact() -> None:
    r = resolver(DB, WEB, WEB2)
    assert r.resolve(parse_reference("bv://personal/prod%2Fdb/password")) == "s3cret"
    assert r.resolve(parse_reference("bv://personal/PROD%2FDB/username")) == "app"  # case ignored
    assert r.resolve(parse_reference("bv://personal/aaaaaaaa-1111/password")) == "s3cret"  # id prefix
    with pytest.raises(AmbiguousItem):
        r.resolve(parse_reference("bv://personal/web/password"))  # two items called web/Web
    assert r.resolve(parse_reference(f"bv://personal/{WEB2.item_id}/password")) == "other"
    with pytest.raises(ItemNotFound):
        r.resolve(parse_reference("bv://personal/prod/password"))  # no partial names
    with pytest.raises(ItemNotFound):
        r.resolve(parse_reference("bv://personal/aaaaa/password"))  # id prefixes of 6 or more
    with pytest.raises(FieldNotFound) as info:
        r.resolve(parse_reference("bv://personal/prod%2Fdb/totp"))
    assert "s3cret" not in info.value.message


def test_templates_resolve_everything_first() -> None:
    template = ("user={{ bv://personal/prod%2Fdb/username }}\npass={{bv://personal/prod%2Fdb/password}}\n"
                "again={{ bv://personal/prod%2Fdb/password }} other={{ not a reference }}\n")
    refs = template_references(template)
    assert len(refs) == 2
    view = ListView([DB])
    r = Resolver(view, lambda name: VAULT)
    out = render_template(template, r.resolve_all(refs))
    assert out == "user=app\npass=s3cret\nagain=s3cret other={{ not a reference }}\n"
    assert view.calls == 1  # one read of the vault for every reference
    with pytest.raises(ItemNotFound):
        r.resolve_all(template_references(template + "{{ bv://personal/missing/password }}"))


# -- health ------------------------------------------------------------------------------------

def test_health_finds_weak_reused_and_old_passwords() -> None:
    now = T0 + timedelta(days=400)
    strong = generate_password(24)
    weak = entry("cccccccc-0000-4000-8000-000000000001", "Forum", password="Password1")
    reused_a = entry("cccccccc-0000-4000-8000-000000000002", "Mail", password=strong)
    reused_b = entry("cccccccc-0000-4000-8000-000000000003", "Shop", password=strong)
    fresh_item = new_item("login", "Fresh", password="old-" + strong, now=T0)
    fresh_item = record(fresh_item, _edited(fresh_item, now - timedelta(days=3), password=generate_password(24)))
    renamed = new_item("login", "Renamed", password=generate_password(24), now=T0)
    renamed = record(renamed, _edited(renamed, now - timedelta(days=1), name="Renamed later"))
    fresh = Entry(VAULT, "cccccccc-0000-4000-8000-000000000004", 2, fresh_item, False)
    stale = Entry(VAULT, "cccccccc-0000-4000-8000-000000000005", 2, renamed, False)
    note = Entry(VAULT, "cccccccc-0000-4000-8000-000000000006", 1, new_item("note", "n", notes="x"), False)

    report = check([weak, reused_a, reused_b, fresh, stale, note], max_age_days=365, now=now)
    assert report.checked == 5
    assert [w["name"] for w in report.weak] == ["Forum"]
    assert [[r["name"] for r in group] for group in report.reused] == [["Mail", "Shop"]]
    old = {o["name"]: o["days"] for o in report.old}
    # A rename does not renew a password; a new password does.
    assert set(old) == {"Forum", "Mail", "Shop", "Renamed later"} and old["Renamed later"] == 400
    assert password_set_at(fresh_item) == fresh_item.modified
    text = str(report.to_json())
    assert strong not in text and "Password1" not in text


def _edited(item, when, **fields):
    out = item.copy()
    for name, value in fields.items():
        out.set_field(name, value, now=when)
    return out


# -- strength estimate -------------------------------------------------------------------------

@pytest.mark.parametrize(("password", "below"), [
    ("password", 5), ("123456", 5), ("P@ssw0rd", 12), ("qwertyuiop", 12), ("aaaaaaaaaaaa", 12),
    ("Summer2024!", 30), ("hunter2", 12), ("abcabcabcabc", 20), ("correctcorrect", 20),
])
def test_guessable_passwords_score_low(password: str, below: float) -> None:
    from vault_client.items.strength import estimate_bits

    assert estimate_bits(password) < below


def test_random_passwords_score_near_their_entropy() -> None:
    from vault_client.items.generate import entropy_bits, generate_passphrase
    from vault_client.items.strength import estimate_bits

    for _ in range(20):
        assert estimate_bits(generate_password(20)) > 0.8 * entropy_bits(length=20)
        assert estimate_bits(generate_passphrase(words=6)) >= entropy_bits(words=6) - 1
    assert estimate_bits("") == 0
    assert estimate_bits("x" * 100) < 40  # repeats stay cheap

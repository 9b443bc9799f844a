"""Search ranking and typo tolerance; lookup by id, name, URL and prefix."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from vault_client.items.fuzzy import candidate_words, max_typos, typo_distance
from vault_client.items.model import CustomField, Item, new_item
from vault_client.items.search import SearchIndex, find, search, url_host

T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)


def login(name: str, **kwargs) -> Item:
    return new_item("login", name, now=T0, **kwargs)


def ids(results) -> list:
    return [item_id for item_id, _ in results]


# -- ranking -----------------------------------------------------------------------------------

def test_exact_beats_prefix_beats_substring_beats_typo() -> None:
    vault = {
        "typo": login("Githbu"),
        "substring": login("MyGitHubStuff"),
        "prefix": login("GitHubber"),
        "exact": login("GitHub"),
        "unrelated": login("GitLab"),
    }
    results = search(vault.items(), "github")
    assert ids(results) == ["exact", "prefix", "substring", "typo"]
    scores = [score for _, score in results]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 4


def test_tiers_outrank_the_field_a_match_is_in() -> None:
    vault = {"name-prefix": login("Githubber"), "tag-exact": login("Code", tags=["github"])}
    assert ids(search(vault.items(), "github")) == ["tag-exact", "name-prefix"]


def test_within_a_tier_the_name_and_the_whole_name_win() -> None:
    vault = {
        "user": login("Mail", username="github"),
        "name": login("Work GitHub"),
        "whole": login("GitHub"),
    }
    assert ids(search(vault.items(), "github")) == ["whole", "name", "user"]


def test_ties_break_by_name_then_id() -> None:
    vault = [("2", login("Beta")), ("1", login("Alpha")), ("0", login("Beta"))]
    assert ids(search(vault, "a")) == ["1", "0", "2"]


@pytest.mark.parametrize(("name", "query"), [
    ("GitHub", "gihtub"),          # transposition
    ("GitHub", "githbu"),          # transposition at the end
    ("GitHub", "gitthub"),         # insertion
    ("Amazon", "amazn"),           # deletion
    ("Amazon", "amazom"),          # substitution
    ("Netflix", "netflx"),
    ("PayPal", "paypl"),
    ("Facebook", "faceboook"),
    ("Microsoft", "micrsoftt"),    # two edits in a long word
    ("Accounts payable", "acount"),  # typo in the start of a word
])
def test_typos_are_forgiven(name, query) -> None:
    vault = [("hit", login(name)), ("other", login("Unrelated"))]
    assert ids(search(vault, query)) == ["hit"]


@pytest.mark.parametrize(("name", "query"), [
    ("GitHub", "gitlab"),          # three edits away
    ("Git", "gti"),                # three letters: no typo allowed
    ("America", "acme"),           # four letters: the typo must cover four of the word's
    ("Netflix", "nteflx"),         # two edits in a word of six
])
def test_too_distant_words_do_not_match(name, query) -> None:
    assert search([("x", login(name))], query) == []


def test_searches_names_usernames_hosts_and_tags_only() -> None:
    item = new_item("login", "Bank", username="jdoe@example.org", password="hunter2",
                    urls=["https://www.mybank.example/login?next=secretpath"],
                    notes="treasure", tags=["finance"],
                    custom=[CustomField("answer", "platypus")], now=T0)
    vault = [("bank", item)]
    for query in ["bank", "jdoe", "example.org", "mybank", "mybank.example", "finance"]:
        assert ids(search(vault, query)) == ["bank"], query
    for query in ["hunter2", "treasure", "platypus", "secretpath", "login", "www", "https"]:
        assert search(vault, query) == [], query


def test_identity_email_is_searched() -> None:
    person = new_item("identity", "Me", email="ada@lovelace.example", now=T0)
    assert ids(search([("me", person)], "lovelace")) == ["me"]


def test_every_query_word_must_match() -> None:
    vault = [("both", login("Bank of America")), ("one", login("Bank of Canada"))]
    assert ids(search(vault, "america bank")) == ["both"]
    assert ids(search(vault, "bank")) == ["both", "one"]
    assert search(vault, "bank zebra") == []


def test_trashed_items_only_when_asked() -> None:
    gone = login("GitHub")
    gone.trash(now=T0)
    vault = [("gone", gone), ("here", login("GitHubber"))]
    assert ids(search(vault, "github")) == ["here"]
    assert ids(search(vault, "github", include_trashed=True)) == ["gone", "here"]
    assert find(vault, "GitHub") == ["here"]                     # by prefix only
    assert find(vault, "GitHub", include_trashed=True) == ["gone"]


def test_limit_and_empty_queries() -> None:
    vault = [(i, login(f"Item {i}")) for i in range(30)]
    assert len(search(vault, "item")) == 20
    assert len(search(vault, "item", limit=5)) == 5
    assert search(vault, "   ") == [] and search(vault, "item", limit=0) == []
    assert search([], "item") == []


def test_case_and_unicode_folding() -> None:
    vault = [("de", login("Straße Konto")), ("fr", login("Crédit Agricole"))]
    assert ids(search(vault, "STRASSE")) == ["de"]
    assert ids(search(vault, "crédit")) == ["fr"]


def test_ids_of_any_hashable_type() -> None:
    key = uuid.uuid4()
    assert ids(search([(key, login("GitHub"))], "github")) == [key]


def test_separator_characters_in_values_do_not_break_the_index() -> None:
    vault = [("odd", login("a\x00b\x1fc\x1dd", tags=["x\x00y"])), ("gh", login("GitHub"))]
    assert ids(search(vault, "github")) == ["gh"]
    assert ids(search(vault, "c")) == ["odd"]
    assert ids(search(vault, "y")) == ["odd"]


def test_an_index_answers_like_search() -> None:
    vault = [(str(i), login(name)) for i, name in enumerate(
        ["GitHub", "GitLab", "Amazon", "Bank", "Githbu", "Gist"])]
    index = SearchIndex(vault)
    assert len(index) == 6
    for query in ["git", "github", "amazn", "zzz", "bank git"]:
        assert index.search(query) == search(vault, query)


# -- the typo distance and its candidate filter ------------------------------------------------

def osa(a: str, b: str) -> int:
    """Reference optimal-string-alignment distance, no shortcuts."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def reference_typo(query: str, word: str, limit: int):
    full = osa(query, word)
    if full <= limit:
        return full, True
    shortest = min(max(len(query) - limit, 4), len(word))
    nearest = min(osa(query, word[:j]) for j in range(shortest, len(word) + 1))
    return (nearest, False) if nearest <= limit else None


small_words = st.text(alphabet="abcx", max_size=10)


@settings(max_examples=400, deadline=None)
@given(small_words, small_words, st.integers(0, 2))
def test_typo_distance_matches_the_reference(query, word, limit) -> None:
    assert typo_distance(query, word, limit) == reference_typo(query, word, limit)


@st.composite
def near_words(draw):
    """A query word and a word within its typo allowance (as a whole or at its start)."""
    query = draw(st.text(alphabet="abcxyz09", min_size=4, max_size=10))
    chars = list(query)
    for _ in range(draw(st.integers(0, max_typos(query)))):
        kind, at = draw(st.integers(0, 3)), draw(st.integers(0, len(chars)))
        letter = draw(st.sampled_from("abcxyz09"))
        if kind == 0 and at < len(chars):
            chars[at] = letter
        elif kind == 1:
            chars.insert(at, letter)
        elif kind == 2 and at < len(chars) and len(chars) > 1:
            del chars[at]
        elif kind == 3 and at + 1 < len(chars):
            chars[at], chars[at + 1] = chars[at + 1], chars[at]
    word = "".join(chars) + draw(st.text(alphabet="abcxyz09", max_size=4))
    return query, word


@settings(max_examples=400, deadline=None)
@given(near_words(), st.lists(st.text(alphabet="abcxyz09", min_size=1, max_size=8), max_size=6))
def test_candidate_filter_never_misses_a_match(pair, noise) -> None:
    query, word = pair
    limit = max_typos(query)
    assume(reference_typo(query, word, limit) is not None)
    text = " ".join(noise[:3] + [word] + noise[3:]) + "\x1f" + "-".join(noise)
    found = candidate_words(text, query, limit)
    assert word in found.values()
    for start, w in found.items():
        assert text[start:start + len(w)] == w


def test_max_typos_by_length() -> None:
    assert [max_typos("x" * n) for n in range(1, 11)] == [0, 0, 0, 1, 1, 1, 1, 2, 2, 2]


# -- find --------------------------------------------------------------------------------------

GH = "4f0c2b8e-9d1a-4c3e-8b7a-2d6e5f4a3b21"
GH2 = "4f0c9999-0000-4000-8000-000000000000"
VAULT = [
    (GH, login("GitHub", urls=["https://github.com"])),
    (GH2, login("GitHub Enterprise", urls=["https://git.corp.example/"])),
    ("b1", login("bank", urls=["https://www.mybank.example/login"])),
    ("b2", login("Bank", urls=["https://mybank.example"])),
    ("g", login("Gist", urls=["https://gist.github.com"])),
    ("a", login("Amazon", urls=["amazon.co.uk"])),
]


@pytest.mark.parametrize(("ref", "expected"), [
    (GH, [GH]),                                     # exact id
    (GH.upper(), [GH]),
    ("github", [GH]),                               # exact name, any case
    ("BANK", ["b1", "b2"]),                         # ambiguous name: both
    ("github.com", [GH]),                           # host
    ("https://github.com/login?x=1", [GH]),         # URL with path and query
    ("www.GitHub.com", [GH]),
    ("http://github.com:8080/", [GH]),
    ("mybank.example", ["b1", "b2"]),
    ("https://amazon.co.uk/basket", ["a"]),
    ("corp.example", [GH2]),                        # parent domain of an item's host
    ("login.gist.github.com", ["g"]),               # subdomain of an item's host
    ("gith", [GH, GH2]),                            # name prefix, ambiguous
    ("github e", [GH2]),                            # unique name prefix
    ("4f0c2", [GH]),                                # id prefix
    ("4f0", []),                                    # too short for an id prefix
    ("nothing-here", []),
    ("", []),
])
def test_find(ref, expected) -> None:
    assert find(VAULT, ref) == expected


def test_find_prefers_an_exact_name_over_a_host() -> None:
    vault = [("name", login("example.com")), ("host", login("Ex", urls=["https://example.com"]))]
    assert find(vault, "example.com") == ["name"]
    assert find(vault, "https://example.com") == ["host"]


def test_find_accepts_uuid_ids() -> None:
    key = uuid.UUID(GH)
    assert find([(key, login("x"))], GH.upper()) == [key]


@pytest.mark.parametrize(("url", "host"), [
    ("https://www.GitHub.com:443/login", "github.com"),
    ("github.com/login", "github.com"),
    ("ftp://user:pw@files.example.org/x", "files.example.org"),
    ("http://[::1]:8080/", "::1"),
    ("https://example.com./", "example.com"),
    ("", None),
    ("https://", None),
])
def test_url_host(url, host) -> None:
    assert url_host(url) == host


def test_a_mistyped_word_with_punctuation_is_split_into_words() -> None:
    vault = [("gh", login("Code", urls=["https://github.com"])), ("x", login("Other"))]
    assert ids(search(vault, "github.com")) == ["gh"]
    assert ids(search(vault, "gihub.com")) == ["gh"]
    assert ids(search(vault, "code!")) == ["gh"]
    assert search(vault, "?!") == []

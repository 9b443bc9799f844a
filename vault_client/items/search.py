"""Client-side search over decrypted items, and lookup of one item for ``bv get NAME|ID|URL``.

``search`` looks at an item's name, username (login ``username``, identity ``email``), URL hosts
and tags, never at secrets or notes. Case is ignored; a word is a run of letters and digits.
Every whitespace-separated word of the query must match; each scores by its best match, in
strict tiers:

=========  =====================================================================
exact      4 + ...   it is a whole word of the item ("github", "github.com")
prefix     3 + ...   a word of the item starts with it ("git")
substring  2 + ...   the item's text contains it ("hub")
fuzzy      1 + ...   it is within a few typos of a word of the item or of the start of one
                     ("gihtub", "amazn"): no typo for up to 3 characters, 1 up to 7, then 2
                     (Damerau-Levenshtein, see ``fuzzy.py``)
=========  =====================================================================

Within a tier a match in the name, a prefix closer to the whole word, fewer typos, and a query
equal to (or starting) the whole name score a little higher, always by less than one tier. An
item's score is the sum over the query words. A query word with punctuation that matches nothing
as typed (``gihub.com``) is split into its words, each of which must then match.

``SearchIndex`` prepares the text of many items once (one string per item, built in bulk) for
repeated queries; ``search`` builds one and queries it once.

``find`` resolves a reference the way ``bv get`` needs it: exact id, then exact name (ignoring
case), then URL host, then the start of an id or name. It returns every match of the first tier
that has any, so the caller can say "several items match" when there is more than one.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_right
from collections.abc import Hashable, Iterable
from itertools import accumulate
from typing import TypeVar

from vault_client.items.fuzzy import candidate_words, max_typos, typo_distance
from vault_client.items.model import Item

__all__ = ["SearchIndex", "find", "search", "url_host"]

Id = TypeVar("Id", bound=Hashable)

_NAME_WEIGHT, _OTHER_WEIGHT = 0.3, 0.2
_TYPO_CEILING = 2.0  # no typo match scores this much; every substring match scores more
# Item text: "name<US>username<US>email<US><GS>url...<US>tag..." per item, items joined by NUL.
_ITEM, _FIELD, _URL = "\x00", "\x1f", "\x1d"
_SEPARATORS = str.maketrans({_ITEM: " ", _FIELD: " ", _URL: " "})
_URL_TO_HOST = re.compile(
    "\x1d(?:[a-z][a-z0-9+.\\-]*://)?(?:[^@/?#\\s\x1f\x00]*@)?(?:www\\.)?"
    "([^:/?#\\s\x1f\x00]*)[^\x1f\x00]*")
_HOST = re.compile(r"(?:[a-z][a-z0-9+.\-]*://)?(?:[^@/?#\s]*@)?(\[[^\]/?#]*\]|[^:/?#\s]*)")
_LOOKS_LIKE_HOST = re.compile(r"[^\s/@:]+\.[^\s/@:.]+")
_WORD = re.compile(r"[^\W_]+")
_MIN_ID_PREFIX = 4


def _host_group(match: re.Match[str]) -> str:
    return match.group(1)


def url_host(url: str) -> str | None:
    """The host of a URL or bare host, lowercase, without port and a leading ``www.``.

    ``"https://www.GitHub.com:443/login"`` and ``"github.com/login"`` both give ``"github.com"``.
    """
    match = _HOST.match(url.strip().lower())
    host = match.group(1).strip("[]").rstrip(".") if match else ""
    if host.startswith("www."):
        host = host[4:]
    return host or None


def _item_text(item: Item, clean: bool = False) -> str:
    fields = item.fields
    if clean:
        return _FIELD.join([v.translate(_SEPARATORS) for v in (
            item.name, fields.get("username", ""), fields.get("email", ""))]
            + [_URL + u.translate(_SEPARATORS) for u in item.urls]
            + [t.translate(_SEPARATORS) for t in item.tags])
    text = f"{item.name}\x1f{fields.get('username', '')}\x1f{fields.get('email', '')}"
    if item.urls:
        text += "\x1f\x1d" + "\x1f\x1d".join(item.urls)
    if item.tags:
        text += "\x1f" + "\x1f".join(item.tags)
    return text


class SearchIndex:
    """The searchable text of a set of items, prepared for any number of ``search`` calls."""

    def __init__(self, items: Iterable[tuple[Id, Item]], *, include_trashed: bool = False):
        self._ids: list[Hashable] = []
        kept: list[Item] = []
        fields = urls = 0
        for item_id, item in items:
            if item.trashed is None or include_trashed:
                self._ids.append(item_id)
                kept.append(item)
                fields += 2 + len(item.urls) + len(item.tags)
                urls += len(item.urls)
        raw = _ITEM.join([_item_text(item) for item in kept])
        if (raw.count(_ITEM), raw.count(_FIELD), raw.count(_URL)) != (
                max(len(kept) - 1, 0), fields, urls):
            # Some value holds a separator character: blank those out.
            raw = _ITEM.join([_item_text(item, clean=True) for item in kept])
        self._text = _URL_TO_HOST.sub(_host_group, raw.casefold())
        self._hays = self._text.split(_ITEM) if kept else []
        self._starts: list[int] = []  # where each item's text starts in _text (made on demand)
        self._name_ends: list[int] = []  # where each item's name ends in _text

    def __len__(self) -> int:
        return len(self._ids)

    def search(self, query: str, limit: int = 20) -> list[tuple[Hashable, float]]:
        """Best matches first, as ``(id, score)``; see the module docstring for the scores."""
        if limit <= 0 or not self._ids:
            return []
        words: list[str] = []
        per_word: list[dict[int, float]] = []
        for word in dict.fromkeys(query.casefold().translate(_SEPARATORS).split()):
            best = self._substring_scores(word)
            if best or _WORD.fullmatch(word):
                words.append(word)
                per_word.append(best)
            else:  # "gihub.com", "forum?": no match as typed; try its words one by one
                for piece in dict.fromkeys(_WORD.findall(word)):
                    if piece not in words:
                        words.append(piece)
                        per_word.append(self._substring_scores(piece))
        if not words:
            return []
        totals = _all_words(per_word)
        # Typos are looked for only where they could still reach the results: an item needing
        # one scores at most (words - 1) exact name matches plus one typo match.
        bound = (len(words) - 1) * (4.0 + _NAME_WEIGHT) + _TYPO_CEILING
        if len(totals) < limit or heapq.nlargest(limit, totals.values())[-1] < bound:
            for word, best in zip(words, per_word):
                if max_typos(word) and _WORD.fullmatch(word):
                    for index, score in self._typo_scores(word).items():
                        if score > best.get(index, 0.0):
                            best[index] = score
            totals = _all_words(per_word)
        if not totals:
            return []
        whole = " ".join(words)
        for index in totals:
            hay = self._hays[index]
            if hay.startswith(whole):
                totals[index] += 0.35 if hay.find(_FIELD) == len(whole) else 0.2
        cutoff = heapq.nlargest(limit, totals.values())[-1]
        ranked = sorted(((i, s) for i, s in totals.items() if s >= cutoff),
                        key=lambda kv: (-kv[1], self._name(kv[0]), str(self._ids[kv[0]])))
        return [(self._ids[i], round(score, 4)) for i, score in ranked[:limit]]

    def _name(self, index: int) -> str:
        hay = self._hays[index]
        return hay[:hay.find(_FIELD)]

    def _substring_scores(self, word: str) -> dict[int, float]:
        quoted = re.escape(word)
        exact = re.compile(r"(?<![^\W_])" + quoted + r"(?![^\W_])")
        prefix = re.compile(r"(?<![^\W_])" + quoted)
        best: dict[int, float] = {}
        for index, hay in enumerate(self._hays):
            if word not in hay:
                continue
            match = exact.search(hay)
            if match is not None:
                score, at = 4.0, match.start()
            else:
                match = prefix.search(hay)
                if match is not None:
                    whole = _WORD.match(hay, match.start())
                    length = max(len(whole.group()) if whole else 0, len(word))
                    score, at = 3.0 + 0.3 * len(word) / length, match.start()
                else:
                    score, at = 2.0, hay.find(word)
            best[index] = score + (_NAME_WEIGHT if at < hay.find(_FIELD) else _OTHER_WEIGHT)
        return best

    def _typo_scores(self, word: str) -> dict[int, float]:
        limit = max_typos(word)
        if not self._starts:
            self._starts = [0, *accumulate(len(h) + 1 for h in self._hays)]
            self._name_ends = [s + h.find(_FIELD) for s, h in zip(self._starts, self._hays)]
        measured: dict[str, float | None] = {}
        best: dict[int, float] = {}
        for start, found in candidate_words(self._text, word, limit).items():
            if found not in measured:
                result = typo_distance(word, found, limit)
                measured[found] = None if result is None else (
                    1.0 + 0.15 * (limit - result[0] + 1) + (0.15 if result[1] else 0.0))
            score = measured[found]
            if score is None:
                continue
            index = bisect_right(self._starts, start) - 1
            score += _NAME_WEIGHT if start < self._name_ends[index] else _OTHER_WEIGHT
            if score > best.get(index, 0.0):
                best[index] = score
        return best


def _all_words(per_word: list[dict[int, float]]) -> dict[int, float]:
    """Items matched by every query word, with the sum of their scores."""
    totals = dict(per_word[0])
    for best in per_word[1:]:
        totals = {i: s + best[i] for i, s in totals.items() if i in best}
    return totals


def search(items: Iterable[tuple[Id, Item]], query: str, limit: int = 20, *,
           include_trashed: bool = False) -> list[tuple[Id, float]]:
    """Items matching ``query``, best first, as ``(id, score)``; trashed items are left out
    unless ``include_trashed``."""
    index = SearchIndex(items, include_trashed=include_trashed)
    return index.search(query, limit)  # type: ignore[return-value]


def find(items: Iterable[tuple[Id, Item]], ref: str, *,
         include_trashed: bool = False) -> list[Id]:
    """Ids of the items ``ref`` names, for ``bv get NAME|ID|URL``; empty when none.

    Tiers, the first with any match wins: the exact id (ignoring case); the exact name
    (ignoring case); a URL host equal to the host of ``ref`` (``github.com`` or
    ``https://github.com/login`` both match an item for ``https://github.com``), then the
    closest subdomain or parent domain of it; finally ids (at least 4 characters) or names that
    start with ``ref``. More than one id back means the reference is ambiguous.
    """
    pool = [(i, it) for i, it in items if include_trashed or it.trashed is None]
    text = ref.strip()
    if not text:
        return []
    folded, lowered = text.casefold(), text.lower()
    by_id = [i for i, _ in pool if str(i).lower() == lowered]
    if by_id:
        return by_id
    by_name = [i for i, it in pool if it.name.casefold() == folded]
    if by_name:
        return by_name
    looks_like_url = "://" in text or _LOOKS_LIKE_HOST.fullmatch(text.split("/")[0])
    host = url_host(text) if looks_like_url else None
    if host:
        labels = host.split(".")
        # Only URLs that contain the host or one of its parent domains can match: parse those.
        needles = [host] + [".".join(labels[k:]) for k in range(1, len(labels) - 1)]
        hosts = [(i, {h for h in map(url_host, it.urls) if h}) for i, it in pool
                 if any(n in url.lower() for url in it.urls for n in needles)]
        exact = [i for i, hs in hosts if host in hs]
        if exact:
            return exact
        # Otherwise a subdomain or parent domain; the closest (most labels shared) wins.
        shared = {i: max((min(h.count("."), host.count(".")) + 1 for h in hs
                          if h.endswith("." + host) or host.endswith("." + h)), default=0)
                  for i, hs in hosts}
        closest = max(shared.values(), default=0)
        if closest:
            return [i for i, n in shared.items() if n == closest]
    return [i for i, it in pool
            if (len(text) >= _MIN_ID_PREFIX and str(i).lower().startswith(lowered))
            or it.name.casefold().startswith(folded)]

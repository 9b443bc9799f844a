"""Typo-tolerant word matching for search: a bounded edit distance and a fast candidate filter.

``typo_distance`` is the Damerau-Levenshtein distance in its optimal-string-alignment form
(insertions, deletions, substitutions, transpositions of neighbours), measured from a query
word to a word or to the closest start of it, and given up as soon as it must exceed the bound.

``candidate_words`` finds, in one large text, the words that could be within ``d`` edits of a
query word, without looking at every word: split the query into ``d + 1`` pieces; ``d`` edits
touch at most ``d`` pieces, so one piece appears unchanged, near its place, in every word within
reach. A transposition across two pieces touches both, so the same is done for the query with
each set of piece borders transposed. Only the words around occurrences of the pieces (found by
``str.find``, in C) are then measured with ``typo_distance``.
"""

from __future__ import annotations

import re
from itertools import combinations

__all__ = ["candidate_words", "max_typos", "typo_distance"]

_WORD = re.compile(r"[^\W_]+")  # the same characters as str.isalnum
_MIN_PREFIX = 4  # a typo match against the start of a word covers at least this many characters


def max_typos(word: str) -> int:
    """Edits a query word may be off by and still match: 0 up to 3 characters, 1 up to 7, then 2."""
    n = len(word)
    return 0 if n <= 3 else 1 if n <= 7 else 2


def typo_distance(query: str, word: str, limit: int) -> tuple[int, bool] | None:
    """``(distance, whole_word)`` from ``query`` to ``word`` (``whole_word`` True) or else to the
    nearest start of ``word`` (one of at least ``len(query) - limit`` and at least 4 characters),
    if that distance is at most ``limit``; otherwise None."""
    m = len(query)
    if m - limit > len(word):
        return None
    target = word[:m + limit]
    n = len(target)
    before: list[int] = []
    prev = list(range(n + 1))
    for i in range(1, m + 1):
        q = query[i - 1]
        cur = [i] + [0] * n
        low = i
        for j in range(1, n + 1):
            t = target[j - 1]
            best = prev[j - 1] if q == t else prev[j - 1] + 1
            if prev[j] + 1 < best:
                best = prev[j] + 1
            if cur[j - 1] + 1 < best:
                best = cur[j - 1] + 1
            if (i > 1 and j > 1 and q == target[j - 2] and query[i - 2] == t
                    and before[j - 2] + 1 < best):
                best = before[j - 2] + 1
            cur[j] = best
            if best < low:
                low = best
        if low > limit:  # rows never get cheaper again, even through a transposition
            return None
        before, prev = prev, cur
    if n == len(word) and prev[n] <= limit:
        return prev[n], True
    shortest = max(m - limit, _MIN_PREFIX)
    if shortest > n:
        return None
    nearest = min(prev[shortest:])
    return (nearest, False) if nearest <= limit else None


def _pieces(query: str, parts: int) -> tuple[list[int], list[str]]:
    size, extra = divmod(len(query), parts)
    offsets, pieces, at = [], [], 0
    for k in range(parts):
        length = size + (1 if k < extra else 0)
        offsets.append(at)
        pieces.append(query[at:at + length])
        at += length
    return offsets, pieces


def _probes(query: str, limit: int) -> set[tuple[str, int]]:
    """(piece, offset in the query) pairs; one of them is intact in any word within reach."""
    offsets, _ = _pieces(query, limit + 1)
    borders = offsets[1:]
    probes: set[tuple[str, int]] = set()
    for count in range(len(borders) + 1):
        for swapped in combinations(borders, count):
            chars = list(query)
            for b in swapped:
                chars[b - 1], chars[b] = chars[b], chars[b - 1]
            variant = "".join(chars)
            for offset, piece in zip(offsets, _pieces(variant, limit + 1)[1]):
                if piece:
                    probes.add((piece, offset))
    return probes


def candidate_words(text: str, query: str, limit: int) -> dict[int, str]:
    """``{start: word}`` for the words of ``text`` that may be within ``limit`` edits of
    ``query`` or of a start of it (a superset: callers confirm with ``typo_distance``).

    A word is a maximal run of characters for which ``str.isalnum`` holds; ``query`` must be one
    such word.
    """
    found: dict[int, str] = {}
    if limit <= 0 or not query:
        return found
    find, word_at = text.find, _WORD.match
    for piece, offset in _probes(query, limit):
        pos = find(piece)
        while pos >= 0:
            lowest, highest = pos - offset - limit, pos - offset + limit
            start = pos
            while start > 0 and start >= lowest and text[start - 1].isalnum():
                start -= 1
            if (lowest <= start <= highest and start not in found
                    and (start == 0 or not text[start - 1].isalnum())):
                word = word_at(text, start)
                if word is not None:
                    found[start] = word.group()
            pos = find(piece, pos + 1)
    return found

"""Is this human-readable text? A likelihood-ratio score, and the readable runs of a byte string.

Printable runs turn up in random bytes all the time (8 printable bytes in a row: about once every
3 KiB of ciphertext), so a run alone proves nothing. Each run is scored instead: every character
adds ``log2(p_text(c) / p_random(c))`` bits, where ``p_text`` is a rough model of written text
(mostly lower-case letters at English frequencies and spaces) and ``p_random`` is what uniformly
random bytes give (1/256 a byte). The score of the best-scoring stretch of a run is its evidence
that the run is text rather than chance.

Under random bytes the running likelihood ratio is a non-negative supermartingale, so by Ville's
inequality a stretch starting at a given byte reaches ``TEXT_BITS`` bits with probability at most
``2**-TEXT_BITS``: with 32 bits, fewer than one false alarm in four gigabytes of random data.
Ordinary text gains 2 to 5 bits a character, so any phrase of about ten characters or more scores
well above the threshold. A short random-looking string ("Tr0ub4dor&3") cannot be told apart from
ciphertext by its bytes alone; that is what the column checks are for.
"""

from __future__ import annotations

import math
import re
from itertools import accumulate
from operator import sub

TEXT_BITS = 32.0
MIN_RUN = 8

# English letter frequencies (per cent), a..z.
_LETTERS = dict(zip("abcdefghijklmnopqrstuvwxyz", (
    8.2, 1.5, 2.8, 4.3, 12.7, 2.2, 2.0, 6.1, 7.0, 0.15, 0.77, 4.0, 2.4,
    6.7, 7.5, 1.9, 0.095, 6.0, 6.3, 9.1, 2.8, 0.98, 2.4, 0.15, 2.0, 0.074), strict=True))
_PUNCT = {".": 0.02, ",": 0.015, "-": 0.02, "'": 0.008, '"': 0.008, ":": 0.008, "/": 0.01, "_": 0.006,
          "@": 0.003, "(": 0.003, ")": 0.003, "!": 0.002, "?": 0.002, ";": 0.002, "\n": 0.01, "\t": 0.002,
          "\r": 0.001}
_OTHER_ASCII = 0.0008  # each remaining printable ASCII character
_CODE_POINTS = {2: 1920, 3: 61440, 4: 1048576}  # how many characters UTF-8 encodes in n bytes


class TextModel:
    """One model of written text: a probability for every character (summing to at most 1)."""

    def __init__(self, name: str, *, space: float, lower: float, upper: float, digits: float,
                 punct_scale: float, non_ascii: dict[int, tuple[float, float]]):
        self.name = name
        total = sum(_LETTERS.values())
        p: dict[str, float] = {" ": space}
        for ch, pct in _LETTERS.items():
            p[ch] = lower * pct / total
            p[ch.upper()] = upper * pct / total
        for d in "0123456789":
            p[d] = digits / 10
        for ch, q in _PUNCT.items():
            p[ch] = q * punct_scale
        for code in range(0x20, 0x7F):
            p.setdefault(chr(code), _OTHER_ASCII * punct_scale)
        self.p_ascii = p
        # (letter, other) probability of one non-ASCII character of each UTF-8 length
        self.p_non_ascii = {n: (letter / _CODE_POINTS[n], other / _CODE_POINTS[n])
                            for n, (letter, other) in non_ascii.items()}
        self.mass = sum(p.values()) + sum(letter + other for letter, other in non_ascii.values())
        # Evidence for text, in bits, of each character: log2(p_text(c) / p_random(c)), where
        # p_random(c) = 256^-(its UTF-8 length); filled in on first use for non-ASCII characters.
        self.bits = _Bits(self)
        self.bits.update({ch: math.log2(q * 256) for ch, q in p.items()})


class _Bits(dict):
    def __init__(self, model: TextModel):
        super().__init__()
        self._model = model

    def __missing__(self, ch: str) -> float:
        if ord(ch) < 0x80:
            bits = -8.0  # a control character
        else:
            n = len(ch.encode("utf-8", "surrogatepass"))
            letter, other = self._model.p_non_ascii.get(n, (2.0 ** -40, 2.0 ** -40))
            bits = math.log2(letter if ch.isalpha() else other) + 8 * n
        self[ch] = bits
        return bits


_FEW_NON_ASCII = {2: (0.02, 0.003), 3: (0.01, 0.002), 4: (0.001, 0.0002)}
MODELS = (
    TextModel("latin", space=0.12, lower=0.54, upper=0.06, digits=0.06, punct_scale=1.0,
              non_ascii=_FEW_NON_ASCII),
    TextModel("capitals", space=0.12, lower=0.06, upper=0.54, digits=0.06, punct_scale=1.0,
              non_ascii=_FEW_NON_ASCII),
    TextModel("other scripts", space=0.14, lower=0.08, upper=0.01, digits=0.03, punct_scale=0.5,
              non_ascii={2: (0.38, 0.02), 3: (0.22, 0.02), 4: (0.01, 0.001)}),
)


def _kadane(bits: dict[str, float], text: str) -> float:
    # Best stretch = max over i of (prefix sum at i) - (lowest prefix sum before i).
    sums = list(accumulate(map(bits.__getitem__, text), initial=0.0))
    return max(map(sub, sums, accumulate(sums, min)))


class _Optimist(dict):
    """Per character, the best bits any model gives it: a cheap upper bound of every model."""

    def __missing__(self, ch: str) -> float:
        bits = max(model.bits[ch] for model in MODELS)
        self[ch] = bits
        return bits


_OPTIMIST = _Optimist()


def best_bits(text: str) -> float:
    """The score of the highest-scoring stretch of ``text`` under any model (fast path)."""
    if _kadane(_OPTIMIST, text) < TEXT_BITS:
        return 0.0  # below the threshold under every model; the exact figure does not matter
    return max(_kadane(model.bits, text) for model in MODELS)


def best_stretch(text: str) -> tuple[float, int, int]:
    """The highest-scoring stretch of ``text`` under any model: (bits, start, end)."""
    best = (0.0, 0, 0)
    for model in MODELS:
        bits = model.bits
        top, top_start, top_end = 0.0, 0, 0
        run, start = 0.0, 0
        for i, ch in enumerate(text):
            if run <= 0.0:
                run, start = 0.0, i
            run += bits[ch]
            if run > top:
                top, top_start, top_end = run, start, i + 1
        if top > best[0]:
            best = (top, top_start, top_end)
    return best


def is_text(text: str) -> bool:
    """True when some stretch of at least ``MIN_RUN`` characters is text beyond reasonable doubt."""
    if best_bits(text) < TEXT_BITS:
        return False
    bits, start, end = best_stretch(text)
    return bits >= TEXT_BITS and end - start >= MIN_RUN


# Runs of readable characters: printable ASCII (with tab, newline, return) and complete UTF-8
# sequences, at least MIN_RUN characters. Found fast: bytes are first mapped to a class letter
# ("a" ASCII, "c" continuation, "2"/"3"/"4" a lead byte of that length, NUL anything else) and
# runs are searched where 8 ASCII or 3 multi-byte characters follow each other; only those
# stretches are decoded and matched exactly.
_CLASS = bytes(
    0x61 if 0x20 <= b < 0x7F or b in (9, 10, 13) else
    0x63 if 0x80 <= b <= 0xBF else
    0x32 if 0xC2 <= b <= 0xDF else
    0x33 if 0xE0 <= b <= 0xEF else
    0x34 if 0xF0 <= b <= 0xF4 else 0
    for b in range(256)
)
_NEEDLES = (b"a" * MIN_RUN, b"2c" * 3, b"3cc" * 3, b"4ccc" * 3)
_RUN = re.compile("[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]{%d,}" % MIN_RUN)


def printable_runs(data: bytes) -> list[tuple[int, str]]:
    """(byte offset, text) of every run of readable characters in ``data`` (see above)."""
    classes = data.translate(_CLASS)
    windows: set[tuple[int, int]] = set()
    for needle in _NEEDLES:
        pos = classes.find(needle)
        while pos >= 0:
            start = classes.rfind(b"\0", 0, pos) + 1
            end = classes.find(b"\0", pos)
            end = len(classes) if end < 0 else end
            windows.add((start, end))
            pos = classes.find(needle, end)
    out: list[tuple[int, str]] = []
    for start, end in sorted(windows):
        decoded = data[start:end].decode("utf-8", "surrogateescape")
        for m in _RUN.finditer(decoded):
            offset = start + len(decoded[:m.start()].encode("utf-8", "surrogateescape"))
            out.append((offset, m.group()))
    return out


def open_tail(data: bytes) -> int:
    """Where the trailing stretch of ``data`` that a following chunk could continue as a run begins."""
    return data.translate(_CLASS).rfind(b"\0") + 1


def readable_text(data: bytes) -> str | None:
    """The first stretch of ``data`` that reads as text, or None."""
    for _, run in printable_runs(data):
        if best_bits(run) >= TEXT_BITS:
            bits, start, end = best_stretch(run)
            if bits >= TEXT_BITS and end - start >= MIN_RUN:
                return run[start:end]
    return None


def excerpt(text: str, limit: int = 40) -> str:
    """A short, escaped excerpt of ``text`` for a report line."""
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return shown.encode("unicode_escape").decode("ascii").replace("\\u2026", "…")

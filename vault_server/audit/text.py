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
        # Evidence for text, in bits, of each ASCII character: log2(p_text(c) / (1/256)).
        self._bits = {ch: math.log2(q * 256) for ch, q in p.items()}

    def bits(self, ch: str) -> float:
        b = self._bits.get(ch)
        if b is not None:
            return b
        if ord(ch) < 0x80:
            return -8.0  # a control character
        n = len(ch.encode("utf-8", "surrogatepass"))
        letter, other = self.p_non_ascii[n]
        return math.log2(letter if ch.isalpha() else other) + 8 * n


_FEW_NON_ASCII = {2: (0.02, 0.003), 3: (0.01, 0.002), 4: (0.001, 0.0002)}
MODELS = (
    TextModel("latin", space=0.12, lower=0.54, upper=0.06, digits=0.06, punct_scale=1.0,
              non_ascii=_FEW_NON_ASCII),
    TextModel("capitals", space=0.12, lower=0.06, upper=0.54, digits=0.06, punct_scale=1.0,
              non_ascii=_FEW_NON_ASCII),
    TextModel("other scripts", space=0.14, lower=0.08, upper=0.01, digits=0.03, punct_scale=0.5,
              non_ascii={2: (0.38, 0.02), 3: (0.22, 0.02), 4: (0.01, 0.001)}),
)


def best_stretch(text: str) -> tuple[float, int, int]:
    """The highest-scoring stretch of ``text`` under any model: (bits, start, end)."""
    best = (0.0, 0, 0)
    for model in MODELS:
        top, top_start, top_end = 0.0, 0, 0
        run, start = 0.0, 0
        for i, ch in enumerate(text):
            if run <= 0.0:
                run, start = 0.0, i
            run += model.bits(ch)
            if run > top:
                top, top_start, top_end = run, start, i + 1
        if top > best[0]:
            best = (top, top_start, top_end)
    return best


def is_text(text: str) -> bool:
    """True when some stretch of at least ``MIN_RUN`` characters is text beyond reasonable doubt."""
    bits, start, end = best_stretch(text)
    return bits >= TEXT_BITS and end - start >= MIN_RUN


# A run of readable characters, in bytes decoded as UTF-8 with undecodable bytes escaped as lone
# surrogates: anything but C0/C1 controls (tab, newline and return allowed) and escaped bytes.
_RUN = re.compile("[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]{%d,}" % MIN_RUN)


def printable_runs(data: bytes) -> list[tuple[int, str]]:
    """(byte offset, text) of every run of at least ``MIN_RUN`` readable characters in ``data``."""
    decoded = data.decode("utf-8", "surrogateescape")
    if decoded.isascii():
        return [(m.start(), m.group()) for m in _RUN.finditer(decoded)]
    out, char_pos, byte_pos = [], 0, 0
    for m in _RUN.finditer(decoded):  # turn character offsets into byte offsets as we go
        byte_pos += len(decoded[char_pos:m.start()].encode("utf-8", "surrogateescape"))
        char_pos = m.start()
        out.append((byte_pos, m.group()))
    return out


def readable_text(data: bytes) -> str | None:
    """The first stretch of ``data`` that reads as text, or None."""
    for _, run in printable_runs(data):
        bits, start, end = best_stretch(run)
        if bits >= TEXT_BITS and end - start >= MIN_RUN:
            return run[start:end]
    return None


def excerpt(text: str, limit: int = 40) -> str:
    """A short, escaped excerpt of ``text`` for a report line."""
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return shown.encode("unicode_escape").decode("ascii").replace("\\u2026", "…")

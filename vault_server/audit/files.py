"""Scan the raw bytes of every file in a SQLite server's data directory for readable text.

The column checks see what SQLite returns; this sees what is on the disk: the database file with
its free pages, the write-ahead log with older page images, the shared-memory index and any other
file someone left there. Every run of readable characters (``text.printable_runs``) is reduced in
two steps:

1. structured metadata is cut out by its shape wherever it appears (timestamps, hex such as
   ids and digests, Argon2id strings), then stretches that do not read as text are dropped
   (``text.is_text``);
2. once the database has been read, what remains is cut again by the metadata the audit
   accounted for: text values that passed their column checks (emails, device names...) and the
   schema as SQLite stores it; a stretch made mostly of the schema's identifiers and SQL words
   (an older copy of the schema) is accounted for too. What still reads as text is flagged.

The files are read before the database is opened, so the scan sees them as they were (closing
the last connection to a SQLite database may checkpoint and remove its WAL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from vault_server.audit.formats import ARGON2_PATTERN
from vault_server.audit.tables import DatabaseScan, Finding
from vault_server.audit.text import MIN_RUN, excerpt, is_text, open_tail, printable_runs

CHUNK = 16 * 1024 * 1024
MAX_CARRY = 1024 * 1024
MAX_FINDINGS_PER_FILE = 20
SCHEMA_SHARE = 0.8  # a stretch whose letters are this much schema words is schema text
_CUT = "\0"
# Applied in this order: a timestamp's year would otherwise be eaten by the hex run before it.
_SHAPES = [re.compile(p) for p in (
    r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[+-]\d{2}:?\d{2}|Z)?",
    ARGON2_PATTERN,
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    r"[0-9a-f]{10,}|[0-9A-F]{16,}",
)]
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class FileScan:
    name: str
    size: int = 0
    runs: int = 0
    candidates: list[tuple[int, str]] = field(default_factory=list)  # (offset, text) reading as text
    flagged: int = 0
    unreadable: str | None = None  # why the file could not be read

    def to_dict(self) -> dict[str, object]:
        return {"file": self.name, "bytes": self.size, "text_runs": self.runs, "flagged": self.flagged,
                "unreadable": self.unreadable}


def _text_pieces(text: str) -> list[str]:
    return [p for p in text.split(_CUT) if len(p) >= MIN_RUN and is_text(p)]


def _byte_offset(text: str, piece: str) -> int:
    """Where ``piece`` starts in ``text``, in bytes (pieces are substrings of what they came from)."""
    return len(text[: max(text.find(piece), 0)].encode("utf-8", "surrogateescape"))


def _cut_shapes(text: str) -> str:
    for shape in _SHAPES:
        text = shape.sub(_CUT, text)
    return text


def _runs_in_chunks(path: Path):  # noqa: ANN202 - yields (offset, run)
    """Readable runs of a file of any size, read in chunks; a run across a chunk edge is whole
    (up to ``MAX_CARRY`` bytes of it held back for the next chunk)."""
    offset = 0  # file offset of the start of ``carry``
    carry = b""
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            buf = carry + chunk
            cut = len(buf)
            if chunk:  # more may follow: hold back a trailing stretch a run could continue into
                tail = open_tail(buf)
                if len(buf) - tail <= MAX_CARRY:
                    cut = tail
            for start, run in printable_runs(buf[:cut]):
                yield offset + start, run
            if not chunk:
                return
            carry = buf[cut:]
            offset += cut


def scan_file(path: Path, root: Path) -> FileScan:
    """Step 1 for one file: its readable runs, with stretches that read as text kept."""
    scan = FileScan(str(path.relative_to(root)))
    try:
        scan.size = path.stat().st_size
        for offset, run in _runs_in_chunks(path):
            scan.runs += 1
            for piece in _text_pieces(_cut_shapes(run)):
                scan.candidates.append((offset + _byte_offset(run, piece), piece))
    except OSError as exc:
        scan.unreadable = exc.strerror or type(exc).__name__
    return scan


def scan_directory(data_dir: Path) -> list[FileScan]:
    """Step 1 for every regular file under ``data_dir`` (symbolic links are not followed)."""
    files = sorted(p for p in data_dir.rglob("*") if p.is_file() and not p.is_symlink())
    return [scan_file(p, data_dir) for p in files]


class Accounted:
    """The metadata the database scan accounted for, ready to cut out of a text run."""

    PREFIX = 4

    def __init__(self, db: DatabaseScan):
        self.vocabulary = {w for w in db.vocabulary} | {w.lower() for w in db.vocabulary}
        self._by_prefix: dict[str, list[str]] = {}
        for text in db.accounted | db.schema_texts:
            if len(text) >= self.PREFIX:
                self._by_prefix.setdefault(text[: self.PREFIX], []).append(text)
        for group in self._by_prefix.values():
            group.sort(key=len, reverse=True)

    def unaccounted(self, text: str) -> list[str]:
        """The stretches of ``text`` that still read as text once known metadata is cut out."""
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            for known in self._by_prefix.get(text[i:i + self.PREFIX], ()):
                if text.startswith(known, i):
                    out.append(_CUT)
                    i += len(known)
                    break
            else:
                out.append(text[i])
                i += 1
        return [p for p in _text_pieces("".join(out)) if not self._schema_like(p)]

    def _schema_like(self, text: str) -> bool:
        """Mostly identifiers and SQL words of this schema (say, an older page of it in the WAL)."""
        words = _WORD.findall(text)
        known = sum(len(w) for w in words if w in self.vocabulary)
        return known >= SCHEMA_SHARE * sum(len(w) for w in words)


def classify(files: list[FileScan], db: DatabaseScan) -> list[Finding]:
    """Step 2: flag what still reads as text once the accounted-for metadata is cut out."""
    accounted = Accounted(db)
    findings: list[Finding] = []
    for f in files:
        if f.unreadable is not None:  # what cannot be read cannot be vouched for
            f.flagged += 1
            findings.append(Finding(f"file {f.name}", f"could not be read: {f.unreadable}"))
        for offset, candidate in f.candidates:
            for piece in accounted.unaccounted(candidate):
                f.flagged += 1
                if f.flagged <= MAX_FINDINGS_PER_FILE:
                    findings.append(Finding(f"file {f.name}", f"readable text: {excerpt(piece)!r}",
                                            f"offset {offset + _byte_offset(candidate, piece)}"))
                elif f.flagged == MAX_FINDINGS_PER_FILE + 1:
                    findings.append(Finding(f"file {f.name}", "more readable text; only the first "
                                            f"{MAX_FINDINGS_PER_FILE} stretches are listed"))
    return findings

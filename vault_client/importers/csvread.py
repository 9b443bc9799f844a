"""Reading the CSV exports: text decoding, the header check, rows with their line numbers.

Every CSV exporter here writes RFC 4180 CSV (quoted cells may hold commas, quotes and line
breaks, CRLF or LF). The reader is strict: a quote left open at the end of the file is a
truncated file, a row with more or fewer cells than the header is a bad entry, and a row holding
bytes that are not UTF-8 is a bad entry named by its line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from vault_client.importers.common import MAX_INPUT_BYTES, Draft, ImportFormatError, ParseResult

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
csv.field_size_limit(MAX_INPUT_BYTES)


def decode(data: bytes, *, strict: bool = True) -> str:
    """Text from an export: UTF-8 (a BOM is dropped) or UTF-16 with a BOM.

    ``strict``: undecodable bytes are an ``ImportFormatError`` naming the line; otherwise they
    are kept as lone surrogates, for the caller to find row by row (see ``has_bad_bytes``).
    """
    if len(data) > MAX_INPUT_BYTES:
        raise ImportFormatError(f"the file is larger than {MAX_INPUT_BYTES // 2**20} MiB")
    encoding, start = "utf-8", 0
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, start = name, len(bom)
            break
    try:
        return data[start:].decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-8" and not strict:
            return data[start:].decode("utf-8", errors="surrogateescape")
        line = data[start:start + exc.start].count(b"\n") + 1
        raise ImportFormatError("the file is not UTF-8 text (an undecodable byte)", f"line {line}") from None


def has_bad_bytes(text: str) -> bool:
    """Whether ``text`` holds a byte that was not UTF-8 (a lone surrogate from ``decode``)."""
    return any("\udc80" <= ch <= "\udcff" for ch in text)


@dataclass(frozen=True)
class Row:
    """One CSV record: the line it starts on and its cells by lowercased header name."""

    line: int
    cells: dict[str, str]

    @property
    def where(self) -> str:
        return f"line {self.line}"

    def __repr__(self) -> str:
        return f"Row(line={self.line}, columns={sorted(self.cells)})"

    def get(self, key: str) -> str:
        return self.cells.get(key, "")


def header_of(text: str) -> list[str]:
    """The normalised header (stripped, lowercased) of CSV text; empty if there is none."""
    first = next(csv.reader(io.StringIO(text[:65536], newline="")), [])
    return [h.strip().lower() for h in first]


class CsvFile:
    """A decoded CSV export whose header was checked against ``required`` columns."""

    def __init__(self, data: bytes, label: str, required: tuple[str, ...]) -> None:
        self.text = decode(data, strict=False)
        self.label = label
        self.original = [h.strip() for h in next(csv.reader(io.StringIO(self.text[:65536], newline="")), [])]
        self.header = [h.lower() for h in self.original]
        missing = [c for c in required if c not in self.header]
        if not self.header or missing:
            raise ImportFormatError(
                f"this is not a {label} file: the header lacks {', '.join(missing or required)} "
                f"(expected columns: {', '.join(required)})", "line 1")
        if has_bad_bytes(",".join(self.header)):
            raise ImportFormatError("the header is not UTF-8 text", "line 1")
        dupes = sorted({h for h in self.header if self.header.count(h) > 1})
        if dupes:
            raise ImportFormatError(f"the header repeats {', '.join(dupes)}", "line 1")

    def rows(self, result: ParseResult) -> Iterator[Row]:
        """Each record after the header; records that cannot be read are recorded as problems
        of ``result`` instead."""
        reader = csv.reader(io.StringIO(self.text, newline=""), strict=True)
        end = 0
        try:
            next(reader)
            end = reader.line_num
            for cells in reader:
                start, end = end + 1, reader.line_num
                if not cells or cells == [""]:
                    continue  # a blank line
                where = f"line {start}"
                if len(cells) != len(self.header):
                    result.problem(where, f"{len(cells)} cells where the header has "
                                          f"{len(self.header)}")
                    continue
                if has_bad_bytes("".join(cells)):
                    result.problem(where, "not UTF-8 text (an undecodable byte)")
                    continue
                yield Row(start, dict(zip(self.header, cells)))
        except csv.Error:
            raise ImportFormatError("the file ends inside a quoted cell or has a stray quote "
                                    "(truncated or not CSV)", f"line {end + 1}") from None


    def keep_rest(self, row: Row, used: set[str], draft: Draft) -> None:
        """Every non-empty cell of a column the format does not map becomes a custom field
        named as in the header (concealed when the name says it holds a secret)."""
        for column, original in zip(self.header, self.original):
            value = row.get(column)
            if column not in used and value:
                hidden = any(word in column for word in _SECRET_WORDS)
                draft.add_custom(original, value, concealed=hidden)


_SECRET_WORDS = ("password", "passwd", "secret", "pin", "otp", "cvv", "key", "token")

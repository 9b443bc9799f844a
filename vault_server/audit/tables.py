"""Read every row of every table and check each value against the registry.

Values are read through the DB-API driver as stored (no ORM conversion), inside one read-only
snapshot, and streamed, so the audit's memory does not grow with the database. The text values
that pass their checks (emails, device names, ids, timestamps, Argon2id strings...) are kept as
the "accounted-for metadata" the SQLite file scan may meet.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Connection, inspect

from vault_server.audit.registry import REGISTRY, Column, DataClass, row_problems
from vault_server.audit.text import excerpt, readable_text

MAX_FINDINGS_PER_COLUMN = 20
STREAM_ROWS = 1000


@dataclass
class Finding:
    """One thing that does not fit: where, which row or offset, and why."""

    where: str
    reason: str
    locator: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"where": self.where, "locator": self.locator, "reason": self.reason}


@dataclass
class ColumnReport:
    table: str
    name: str
    cls: str | None  # None: not in the registry
    what: str
    values: int = 0
    nulls: int = 0
    flagged: int = 0
    bytes: int = 0
    sizes: Counter[int] = field(default_factory=Counter)  # ciphertext lengths

    def to_dict(self) -> dict[str, object]:
        doc: dict[str, object] = {"name": self.name, "class": self.cls or "UNCLASSIFIED", "what": self.what,
                                  "values": self.values, "nulls": self.nulls, "flagged": self.flagged,
                                  "bytes": self.bytes}
        if self.cls == DataClass.CIPHERTEXT.value:
            doc["sizes"] = {str(k): n for k, n in sorted(self.sizes.items())}
        return doc


@dataclass
class TableReport:
    name: str
    known: bool
    rows: int = 0
    columns: list[ColumnReport] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # registry columns the table lacks

    def column(self, name: str) -> ColumnReport | None:
        return next((c for c in self.columns if c.name == name), None)

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "known": self.known, "rows": self.rows,
                "columns": [c.to_dict() for c in self.columns], "missing_columns": self.missing}


@dataclass
class DatabaseScan:
    tables: list[TableReport] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    accounted: set[str] = field(default_factory=set)  # text values that passed their checks
    vocabulary: set[str] = field(default_factory=set)  # identifiers and SQL words of the schema
    schema_texts: set[str] = field(default_factory=set)  # SQLite: schema records as stored
    members_per_vault: Counter[str] = field(default_factory=Counter)

    def table(self, name: str) -> TableReport | None:
        return next((t for t in self.tables if t.name == name), None)


SQL_WORDS = frozenset(
    "CREATE TABLE INDEX UNIQUE ON NOT NULL PRIMARY KEY FOREIGN REFERENCES DELETE UPDATE CASCADE SET "
    "CONSTRAINT CHECK IN VARCHAR CHAR BLOB INTEGER BIGINT SMALLINT DATETIME TIMESTAMP BOOLEAN TEXT REAL "
    "NUMERIC FLOAT DEFAULT AUTOINCREMENT IF EXISTS WITHOUT ROWID COLLATE AND OR table index view trigger".split()
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _locator(pk: list[str], row: dict[str, object], number: int) -> str:
    if pk and all(k in row for k in pk):
        return ", ".join(f"{k}={row[k]}" for k in pk)
    return f"row {number}"


def scan_database(conn: Connection) -> DatabaseScan:
    """Check every table and column ``conn`` can see; ``conn`` should hold a read snapshot."""
    scan = DatabaseScan()
    insp = inspect(conn)
    for name in REGISTRY:
        scan.vocabulary.add(name)
        scan.vocabulary.update(REGISTRY[name])
    scan.vocabulary.update(SQL_WORDS)
    if conn.dialect.name == "sqlite":
        _read_sqlite_schema(conn, scan)
    for schema in _schemas(conn):
        for table in sorted(insp.get_table_names(schema=schema)):
            columns = [c["name"] for c in insp.get_columns(table, schema=schema)]
            pk = list(insp.get_pk_constraint(table, schema=schema).get("constrained_columns") or [])
            scan.vocabulary.add(table)
            scan.vocabulary.update(columns)
            scan.vocabulary.update(ix["name"] for ix in insp.get_indexes(table, schema=schema) if ix.get("name"))
            scan.tables.append(_scan_table(conn, scan, table, columns, pk, schema))
    return scan


def _schemas(conn: Connection) -> list[str | None]:
    """The server's schema (None: the default), then, on PostgreSQL, every other user schema:
    a table hidden there is flagged like any unknown table."""
    if conn.dialect.name != "postgresql":
        return [None]
    insp = inspect(conn)
    default = insp.default_schema_name
    others = [s for s in insp.get_schema_names()
              if s != default and s != "information_schema" and not s.startswith("pg_")]
    return [None, *sorted(others)]


SQLITE_HEADER = "SQLite format 3"  # the first bytes of every database file (and of page 1 in a WAL)


def _read_sqlite_schema(conn: Connection, scan: DatabaseScan) -> None:
    scan.schema_texts.add(SQLITE_HEADER)
    for kind, name, tbl_name, sql in conn.exec_driver_sql(
            "SELECT type, name, tbl_name, sql FROM sqlite_master"):
        scan.schema_texts.add(f"{kind}{name}{tbl_name}")
        scan.vocabulary.update((name, tbl_name))
        if sql:
            scan.schema_texts.add(sql)
            scan.vocabulary.update(_WORD.findall(sql))


def _scan_table(conn: Connection, scan: DatabaseScan, table: str, columns: list[str],
                pk: list[str], schema: str | None = None) -> TableReport:
    spec = REGISTRY.get(table) if schema is None else None
    qualified = _quote(conn, table) if schema is None else f"{_quote(conn, schema)}.{_quote(conn, table)}"
    table = table if schema is None else f"{schema}.{table}"
    report = TableReport(table, known=spec is not None)
    specs: list[Column | None] = [spec.get(c) if spec else None for c in columns]
    for col, s in zip(columns, specs, strict=True):
        report.columns.append(ColumnReport(table, col, s.cls.value if s else None,
                                           s.what if s else "not in the audit's registry"))
    if spec:
        report.missing = [c for c in spec if c not in columns]
    if spec is None:
        scan.findings.append(Finding(table, "unknown table: not in the audit's registry"))
    for col, s in zip(columns, specs, strict=True):
        if spec is not None and s is None:
            scan.findings.append(Finding(f"{table}.{col}", "unclassified column: not in the audit's registry"))

    select = f"SELECT {', '.join(_quote(conn, c) for c in columns)} FROM {qualified}"
    result = conn.execution_options(stream_results=True, max_row_buffer=STREAM_ROWS).exec_driver_sql(select)
    reports = report.columns
    for number, values in enumerate(result, start=1):
        report.rows += 1
        row = dict(zip(columns, values, strict=True))
        for s, col_report, value in zip(specs, reports, values, strict=True):
            _check_value(scan, col_report, s, value, pk, row, number)
        if spec is not None:
            for col, reason in row_problems(table, row):
                _flag(scan, report.column(col), reason, _locator(pk, row, number))
        if table == "vault_members" and row.get("vault_id") is not None:
            scan.members_per_vault[str(row["vault_id"])] += 1
    return report


def _check_value(scan: DatabaseScan, report: ColumnReport, spec: Column | None, value: object,
                 pk: list[str], row: dict[str, object], number: int) -> None:
    if value is None:
        report.nulls += 1
        if spec is not None and not spec.nullable:
            _flag(scan, report, "null where a value is required", _locator(pk, row, number))
        return
    report.values += 1
    if isinstance(value, (bytes, str)):
        report.bytes += len(value)
    if spec is None:  # the column itself is flagged once; each readable value of it too
        text = _readable(value)
        if text is not None:
            _flag(scan, report, f"readable text in an unclassified column: {excerpt(text)!r}",
                  _locator(pk, row, number))
        return
    if spec.cls is DataClass.CIPHERTEXT and isinstance(value, bytes):
        report.sizes[len(value)] += 1
    problem = spec.check(value)
    if problem is not None:
        _flag(scan, report, problem, _locator(pk, row, number))
    elif isinstance(value, str):
        scan.accounted.add(value)


def _readable(value: object) -> str | None:
    if isinstance(value, str):
        return value if len(value) >= 8 and readable_text(value.encode("utf-8", "replace")) else None
    if isinstance(value, bytes):
        return readable_text(value)
    return None


def _flag(scan: DatabaseScan, report: ColumnReport | None, reason: str, locator: str) -> None:
    if report is None:
        return
    report.flagged += 1
    if report.flagged <= MAX_FINDINGS_PER_COLUMN:
        scan.findings.append(Finding(f"{report.table}.{report.name}", reason, locator))
    elif report.flagged == MAX_FINDINGS_PER_COLUMN + 1:
        scan.findings.append(Finding(f"{report.table}.{report.name}",
                                     f"more values flagged; only the first {MAX_FINDINGS_PER_COLUMN} are listed"))

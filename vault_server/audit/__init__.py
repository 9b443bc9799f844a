"""`bv-server audit`: show, without trusting anyone's word, that the server holds only ciphertext.

For the database ``serve`` would use (SQLite in the data directory, or ``BV_DATABASE_URL``), the
audit lists every table and column with the class of data it holds (``registry``), checks every
value against its class (``tables``: envelopes of the current format with plausible lengths and
random-looking bodies, Argon2id strings, SHA-256 digests, ML-KEM keys, ids, timestamps...), and
flags whatever does not fit, including any table or column the registry does not know. For
SQLite it also scans the raw bytes of every file in the data directory for readable text that is
not accounted-for metadata (``files``). The report (``report``) ends with what the operator can
see. The audit only reads.
"""

from __future__ import annotations

import time

from vault_server.audit.report import Report
from vault_server.settings import Settings

__all__ = ["AuditError", "Report", "run_audit"]


class AuditError(Exception):
    """The audit cannot run (no database where the settings point)."""


def run_audit(settings: Settings) -> Report:
    """Audit the database of ``settings``; SQLAlchemy errors propagate to the caller."""
    from vault_server.audit.files import classify, scan_directory
    from vault_server.audit.tables import scan_database
    from vault_server.database import Database, make_engine
    from vault_server.migrate import schema_status

    started = time.perf_counter()
    files = None
    if settings.is_sqlite:
        if not settings.sqlite_path.is_file():
            raise AuditError(f"no database at {settings.sqlite_path}")
        files = scan_directory(settings.data_dir)  # before SQLite may checkpoint the WAL
    engine = make_engine(settings)
    db = Database.from_settings(settings, engine)
    try:
        status = schema_status(engine)
        with db.read() as session:
            conn = session.connection()
            conn.exec_driver_sql("PRAGMA query_only = ON" if db.is_sqlite else "SET TRANSACTION READ ONLY")
            scan = scan_database(conn)
    finally:
        db.dispose()
    location = str(settings.sqlite_path) if settings.is_sqlite else engine.url.render_as_string(hide_password=True)
    report = Report(backend=engine.dialect.name, database=location, schema_revision=status.current,
                    schema_head=status.head, scan=scan, files=files)
    if files is not None:
        report.file_findings = classify(files, scan)
    report.seconds = time.perf_counter() - started
    return report

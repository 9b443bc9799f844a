"""The audit's result: a table of columns and classes, the findings, and what the operator sees.

``Report.to_dict()`` is the ``--json`` document; ``render_text()`` the terminal report. Both end
with the same plain statement of what anyone with the database can learn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vault_server.audit.files import FileScan
from vault_server.audit.registry import DataClass
from vault_server.audit.tables import DatabaseScan, Finding

REPORT_VERSION = 1


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@dataclass
class Report:
    backend: str
    database: str  # a path, or a URL without its password
    schema_revision: str | None
    schema_head: str
    scan: DatabaseScan
    files: list[FileScan] | None  # None: not SQLite, no file scan
    file_findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def findings(self) -> list[Finding]:
        return self.scan.findings + self.file_findings

    @property
    def clean(self) -> bool:
        return not self.findings

    # -- what the operator can see ------------------------------------------------------------------

    def _count(self, table: str) -> int:
        t = self.scan.table(table)
        return t.rows if t else 0

    def _column(self, table: str, column: str):  # noqa: ANN202 - ColumnReport | None
        t = self.scan.table(table)
        return t.column(column) if t else None

    def visibility(self) -> dict[str, object]:
        """Figures for the statement: what the stored metadata tells its reader."""
        items = self._column("items", "blob")
        attachments = self._column("attachments", "blob")
        recovery = self._column("accounts", "recovery_wrapped_account_key")
        devices = self._column("device_sessions", "device_name")
        shared = [n for n in self.scan.members_per_vault.values() if n > 1]
        return {
            "accounts": self._count("accounts"),
            "accounts_with_recovery_code": recovery.values if recovery else 0,
            "device_sessions": self._count("device_sessions"),
            "device_names": devices.values if devices else 0,
            "vaults": self._count("vaults"),
            "shared_vaults": len(shared),
            "memberships": self._count("vault_members"),
            "pending_invitations": self._count("invitations"),
            "items": items.values if items else 0,
            "deleted_items": items.nulls if items else 0,
            "item_bytes": items.bytes if items else 0,
            "item_sizes": {str(k): n for k, n in sorted(items.sizes.items())} if items else {},
            "attachments": attachments.values if attachments else 0,
            "attachment_bytes": attachments.bytes if attachments else 0,
            "throttle_counters": self._count("login_throttles"),
            "reset_tokens": self._count("reset_tokens"),
        }

    def statement(self) -> list[str]:
        v = self.visibility()
        return [
            "What the operator of this database can see:",
            f"- emails: the login name of each of {_n(v['accounts'], 'account')}, and when each registered;",
            f"- devices: {_n(v['device_sessions'], 'signed-in session')} with the device names their clients "
            "chose, and when each signed in and was last seen;",
            f"- the membership graph: {_n(v['vaults'], 'vault')}, {_n(v['memberships'], 'membership')} with "
            f"their roles ({_n(v['shared_vaults'], 'vault')} shared by more than one account), "
            f"{_n(v['pending_invitations'], 'pending invitation')}, and who sealed a pending key to whom;",
            f"- item counts and sizes: {_n(v['items'], 'item')} ({v['item_bytes']} bytes of ciphertext, padded "
            f"to size buckets), {_n(v['deleted_items'], 'deletion')}, revisions, and the times of every change; "
            f"{_n(v['attachments'], 'attached file')} ({v['attachment_bytes']} bytes, padded);",
            f"- timestamps: of registrations, sign-ins, writes and {_n(v['reset_tokens'], 'reset token')}; "
            f"whether a recovery code is set ({v['accounts_with_recovery_code']} set), not the code;",
            f"- KDF parameters and salts, public keys, and {_n(v['throttle_counters'], 'failed-attempt counter')} "
            "keyed by an HMAC of an email or IP address (the address itself is not stored);",
            "- IP addresses only in the web server's access log, if it is kept (`--no-access-log`).",
            "It cannot see item names, fields, URLs, notes, passwords, files or vault names, nor any key that "
            "would decrypt them: every such value above is ciphertext or a hash.",
        ]

    # -- output -------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, object]:
        return {
            "report_version": REPORT_VERSION,
            "clean": self.clean,
            "database": {"backend": self.backend, "location": self.database,
                         "schema_revision": self.schema_revision, "schema_head": self.schema_head},
            "tables": [t.to_dict() for t in self.scan.tables],
            "files": None if self.files is None else [f.to_dict() for f in self.files],
            "findings": [f.to_dict() for f in self.findings],
            "operator_can_see": self.visibility(),
            "statement": self.statement(),
            "seconds": round(self.seconds, 3),
        }

    def render_text(self) -> list[str]:
        lines = [f"Blindvault server audit: {self.backend} database {self.database}",
                 f"schema revision {self.schema_revision or '(none)'} (this server: {self.schema_head})", ""]
        for t in self.scan.tables:
            state = "" if t.known else "   <- UNKNOWN TABLE"
            lines.append(f"table {t.name}: {t.rows} rows{state}")
            for c in t.columns:
                mark = "FLAGGED" if c.flagged or c.cls is None else "ok"
                cls = c.cls or "UNCLASSIFIED"
                extra = f", {c.nulls} null" if c.nulls else ""
                lines.append(f"  {c.name:<30} {cls:<13} {mark:<8} {c.values} values{extra}; {c.what}")
            for name in t.missing:
                lines.append(f"  {name:<30} (in the registry, not in this database)")
        lines.append("")
        if self.files is None:
            lines.append("file scan: not applicable to PostgreSQL (see docs/operations.md, Auditing)")
        else:
            for f in self.files:
                lines.append(f"file {f.name}: {f.size} bytes, {f.runs} readable runs, "
                             f"{'FLAGGED ' + str(f.flagged) if f.flagged else 'nothing unaccounted for'}")
        lines.append("")
        ciphertext = sum(c.values for t in self.scan.tables for c in t.columns
                         if c.cls == DataClass.CIPHERTEXT.value)
        if self.clean:
            lines.append(f"CLEAN: every column is classified, all {ciphertext} ciphertext values are envelopes of "
                         "the current format, every hash and key has its shape, no readable text is unaccounted for.")
        else:
            lines.append(f"FLAGGED: {len(self.findings)} finding(s):")
            for f in self.findings:
                where = f"{f.where} [{f.locator}]" if f.locator else f.where
                lines.append(f"  {where}: {f.reason}")
        lines.append("")
        lines.extend(self.statement())
        lines.append(f"(audit took {self.seconds:.2f} s)")
        return lines

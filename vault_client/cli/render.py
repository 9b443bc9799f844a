"""How items look on the terminal and in --json output."""

from __future__ import annotations

from typing import Any

from vault_client.cli import output
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vault_client.entry import Entry

HIDDEN = "••••••••"


def summary_row(e: Entry) -> list[str]:
    item = e.item
    return [e.item_id[:8], item.type, item.name + (" *" if e.pending else ""),
            item.fields.get("username", ""), item.urls[0] if item.urls else ""]


def entry_json(e: Entry, *, reveal: bool) -> dict[str, Any]:
    doc = e.item.to_dict()
    doc.pop("v", None)
    doc.pop("history", None)  # earlier versions (old passwords): `bv history` shows them
    if "attachments" in doc:  # the file keys stay inside the item
        doc["attachments"] = [{k: v for k, v in a.items() if k != "key"} for a in doc["attachments"]]
    if not reveal:
        doc["fields"] = {k: v for k, v in doc["fields"].items() if not e.item.is_concealed(k)}
        doc["custom"] = [c for c in doc["custom"] if not c["concealed"]]
        doc.pop("notes", None)
        doc.pop("conflicts", None)
    return {"item_id": e.item_id, "vault_id": e.vault_id, "revision": e.revision, "pending": e.pending, **doc}


def show_entry(e: Entry, *, reveal: bool) -> None:
    item = e.item
    rows: list[tuple[str, str]] = [("name", item.name), ("type", item.type), ("id", e.item_id)]
    for key, value in item.fields.items():
        rows.append((key, value if reveal or not item.is_concealed(key) else HIDDEN))
    for url in item.urls:
        rows.append(("url", url))
    for c in item.custom:
        rows.append((c.name, c.value if reveal or not c.concealed else HIDDEN))
    for a in item.attachments:
        rows.append(("attachment", f"{a.name} ({a.size} bytes)"))
    if item.tags:
        rows.append(("tags", ", ".join(item.tags)))
    if item.folder:
        rows.append(("folder", item.folder))
    rows.append(("modified", item.modified))
    if item.trashed:
        rows.append(("trashed", item.trashed))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        output.out(f"{key.rjust(width)}  {value}")
    if item.notes:
        output.out("")
        output.out(item.notes.rstrip("\n"))
    for c in item.conflicts:
        shown = c.value if reveal else HIDDEN
        output.out(f"conflict: {c.field} also had {shown!s} (kept from {c.at}); `bv edit {e.item_id[:8]} --resolve`")
    if e.pending:
        output.notice("this item has changes not yet synced")

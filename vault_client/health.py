"""Vault health: weak, reused and old passwords, worked out on this device from decrypted items.

Nothing here talks to the network or writes anything: the report is computed in memory from the
items the caller passes and holds item names and ids, never a password.

- weak: estimated at under ``WEAK_BITS`` bits of guessing work (``items.strength``);
- reused: the same password on more than one item (exact comparison, in memory);
- old: the password has not changed for more than ``max_age_days`` days. The date it was set is
  read from the item's history (the first version that had the current password); an item whose
  history never shows another password counts from its creation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vault_client.entry import Entry
from vault_client.items.history import field_timeline
from vault_client.items.model import Item, parse_timestamp, utc_now
from vault_client.items.strength import estimate_bits, strength_label

WEAK_BITS = 40
DEFAULT_MAX_AGE_DAYS = 365


def password_set_at(item: Item) -> str:
    """When the current password was set, as far as the item's history shows."""
    timeline = field_timeline(item, "password")
    return timeline[0][0] if len(timeline) > 1 else item.created


@dataclass
class HealthReport:
    checked: int = 0
    max_age_days: int = DEFAULT_MAX_AGE_DAYS
    weak: list[dict[str, Any]] = field(default_factory=list)
    reused: list[list[dict[str, Any]]] = field(default_factory=list)
    old: list[dict[str, Any]] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return len(self.weak) + sum(len(group) for group in self.reused) + len(self.old)

    def to_json(self) -> dict[str, Any]:
        return {"checked": self.checked, "max_age_days": self.max_age_days, "weak": self.weak,
                "reused": self.reused, "old": self.old}


def _who(entry: Entry) -> dict[str, Any]:
    return {"item_id": entry.item_id, "vault_id": entry.vault_id, "name": entry.item.name}


def check(entries: list[Entry], *, max_age_days: int = DEFAULT_MAX_AGE_DAYS,
          now: datetime | None = None) -> HealthReport:
    """The health of the passwords of ``entries`` (live items with a ``password`` field)."""
    now = now or utc_now()
    report = HealthReport(max_age_days=max_age_days)
    by_password: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        password = entry.item.fields.get("password")
        if entry.item.trashed is not None or not password:
            continue
        report.checked += 1
        by_password[password].append(entry)
        bits = estimate_bits(password)
        if bits < WEAK_BITS:
            report.weak.append({**_who(entry), "bits": round(bits, 1), "strength": strength_label(bits)})
        since = password_set_at(entry.item)
        age = (now - parse_timestamp(since)).days
        if age > max_age_days:
            report.old.append({**_who(entry), "days": age, "since": since})
    for group in by_password.values():
        if len(group) > 1:
            report.reused.append([_who(e) for e in group])
    report.weak.sort(key=lambda d: (d["bits"], d["name"].casefold()))
    report.old.sort(key=lambda d: -d["days"])
    report.reused.sort(key=lambda g: (-len(g), g[0]["name"].casefold()))
    return report

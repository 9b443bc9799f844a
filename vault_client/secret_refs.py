"""Secret references for programs: ``bv://VAULT/ITEM/FIELD``, resolved at the last moment.

- ``VAULT``: ``personal``, a vault id or id prefix, or a vault name;
- ``ITEM``: the item's exact name (case ignored), its id, or an id prefix of at least 6
  characters. Unlike ``bv get``, no URL or partial-name matching: a reference names one item or
  fails, so a typo can never hand a program another item's secret;
- ``FIELD``: any field ``bv get --field`` accepts (``password``, ``username``, a custom field...).

A part that contains ``/``, ``%`` or spaces is percent-encoded (``bv://personal/My%20DB/password``).
Templates (``bv inject``) hold references as ``{{ bv://VAULT/ITEM/FIELD }}``. Every reference of
a template or an environment is resolved before anything is used, so a missing one is an error
and nothing half-filled is ever written or run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from vault_client.entry import Entry
from vault_client.errors import AmbiguousItem, FieldNotFound, ItemNotFound, UsageError
from vault_client.items.model import FieldNotFoundError

SCHEME = "bv://"
MIN_ID_PREFIX = 6
MAX_REFERENCE_CHARS = 2048
TEMPLATE_REFERENCE = re.compile(r"\{\{\s*(bv://[^\s{}]*)\s*\}\}")


@dataclass(frozen=True)
class SecretRef:
    """One parsed reference (holds names, never a secret)."""

    vault: str
    item: str
    field: str

    def __str__(self) -> str:
        parts = (quote(p, safe="") for p in (self.vault, self.item, self.field))
        return SCHEME + "/".join(parts)


def is_reference(value: str) -> bool:
    """Whether a whole value (an environment variable, say) is a reference."""
    return value.strip().startswith(SCHEME)


def parse_reference(text: str) -> SecretRef:
    """Parse ``bv://VAULT/ITEM/FIELD``. Raises ``UsageError`` naming what is wrong."""
    value = text.strip()
    if len(value) > MAX_REFERENCE_CHARS or not value.startswith(SCHEME):
        raise UsageError(f"not a secret reference: {value[:80]!r}", hint="write bv://VAULT/ITEM/FIELD")
    parts = value[len(SCHEME):].split("/")
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise UsageError(f"a secret reference has three parts, bv://VAULT/ITEM/FIELD: {value!r}",
                         hint="percent-encode a '/' inside a name as %2F")
    vault, item, field = (unquote(p) for p in parts)
    return SecretRef(vault, item, field)


def template_references(template: str) -> list[SecretRef]:
    """Every reference of a template, in order, each once."""
    refs = [parse_reference(m.group(1)) for m in TEMPLATE_REFERENCE.finditer(template)]
    return list(dict.fromkeys(refs))


def render_template(template: str, values: dict[SecretRef, str]) -> str:
    """``template`` with every ``{{ bv://... }}`` replaced by its value from ``values``."""
    return TEMPLATE_REFERENCE.sub(lambda m: values[parse_reference(m.group(1))], template)


def _pick(entries: list[Entry], ref: SecretRef) -> Entry:
    name, lowered = ref.item.strip().casefold(), ref.item.strip().lower()
    tiers = (
        [e for e in entries if e.item_id == lowered],
        [e for e in entries if e.item.name.casefold() == name],
        [e for e in entries if len(lowered) >= MIN_ID_PREFIX and e.item_id.startswith(lowered)],
    )
    for found in tiers:
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            ids = ", ".join(e.item_id[:8] for e in found[:5])
            raise AmbiguousItem(f"{str(ref)!r} matches several items ({ids})",
                                hint="name the item by its id in the reference")
    raise ItemNotFound(f"{str(ref)!r}", hint="check the vault and the item's exact name with `bv list`")


class Resolver:
    """Resolves references against a vault view (``VaultView`` or the agent's ``RemoteView``).

    ``vault_id_for`` turns the VAULT part into a vault id (the CLI passes its ``--vault``
    resolver). Items of each vault are read once per resolver.
    """

    def __init__(self, view, vault_id_for: Callable[[str], str]) -> None:
        self._view = view
        self._vault_id_for = vault_id_for
        self._entries: dict[str, list[Entry]] = {}

    def __repr__(self) -> str:
        return f"Resolver(vaults={len(self._entries)})"

    def resolve(self, ref: SecretRef) -> str:
        vault_id = self._vault_id_for(ref.vault)
        if vault_id not in self._entries:
            self._entries[vault_id] = self._view.entries([vault_id])
        entry = _pick(self._entries[vault_id], ref)
        try:
            return entry.item.field(ref.field)
        except FieldNotFoundError:
            raise FieldNotFound(f"{str(ref)!r}: {entry.item.name!r} has no field {ref.field!r}",
                                hint=f"its fields: {', '.join(entry.item.field_names())}") from None

    def resolve_all(self, refs: Iterable[SecretRef]) -> dict[SecretRef, str]:
        """Every reference's value; the first that fails raises, before any value is used."""
        return {ref: self.resolve(ref) for ref in dict.fromkeys(refs)}

"""1PUX section fields: the value kinds, and where each field of a category lands in an item."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from vault_client.importers.common import Draft, as_text

#: 1Password category -> (our item type, the category's name in 1Password).
CATEGORIES = {
    "001": ("login", "Login"), "002": ("card", "Credit Card"), "003": ("note", "Secure Note"),
    "004": ("identity", "Identity"), "005": ("login", "Password"), "006": ("note", "Document"),
    "100": ("note", "Software License"), "101": ("note", "Bank Account"),
    "102": ("note", "Database"), "103": ("note", "Driver License"),
    "104": ("note", "Outdoor License"), "105": ("note", "Membership"),
    "106": ("note", "Passport"), "107": ("note", "Reward Program"),
    "108": ("note", "Social Security Number"), "109": ("note", "Wireless Router"),
    "110": ("note", "Server"), "111": ("note", "Email Account"), "112": ("note", "API Credential"),
    "113": ("note", "Medical Record"), "114": ("note", "SSH Key"), "115": ("note", "Crypto Wallet"),
}
#: Section field ids that are standard fields of our card and identity types.
_CARD = {"cardholder": "cardholder", "type": "brand", "ccnum": "number", "cvv": "cvv",
         "expiry": "expiry", "pin": "pin"}
_IDENTITY = {"firstname": "first_name", "initial": "middle_name", "lastname": "last_name",
             "birthdate": "birthday", "company": "company", "defphone": "phone", "email": "email"}
_CONCEALED_KINDS = {"concealed", "totp", "creditCardNumber"}


def field_value(value: Any) -> tuple[Any, bool, str]:
    """``(value, concealed, kind)`` from a section field's ``{"kind": value}`` object."""
    if not isinstance(value, dict) or len(value) != 1:
        return ("" if value is None else json.dumps(value, ensure_ascii=False)), False, "unknown"
    kind, inner = next(iter(value.items()))
    if kind == "email" and isinstance(inner, dict):
        inner = inner.get("email_address")
    elif kind == "monthYear" and isinstance(inner, int) and inner > 0:
        inner = f"{inner // 100:04d}-{inner % 100:02d}"
    elif kind == "date" and isinstance(inner, (int, float)) and inner:
        try:
            inner = datetime.fromtimestamp(inner, timezone.utc).strftime("%Y-%m-%d")
        except (OverflowError, OSError, ValueError):
            inner = str(inner)
    elif kind == "sshKey" and isinstance(inner, dict):
        inner = inner.get("privateKey")
        kind = "concealed"
    elif isinstance(inner, (dict, list)):
        inner = json.dumps(inner, ensure_ascii=False) if kind != "address" else inner
    return inner, kind in _CONCEALED_KINDS, kind


def place_field(draft: Draft, category: str, field_id: str, title: str, value: Any,
                concealed: bool, kind: str) -> None:
    """Put one section field where it belongs: a standard field, the TOTP, or a custom field."""
    if kind == "address" and isinstance(value, dict):
        _address(draft, title, value)
        return
    if kind == "totp":
        if draft.type == "login" and "totp" not in draft.fields:
            draft.set("totp", value)
        else:
            draft.add_custom(title or "one-time password", value, concealed=True)
        return
    if category == "002" and field_id in _CARD:
        draft.set(_CARD[field_id], value, concealed=concealed, label=title)
        return
    if category == "004" and field_id in _IDENTITY:
        draft.set(_IDENTITY[field_id], value, concealed=concealed, label=title)
        return
    draft.add_custom(title or field_id or "field", value, concealed=concealed)


def _address(draft: Draft, title: str, value: dict[str, Any]) -> None:
    parts = {"street": "address", "city": "city", "state": "region", "zip": "postcode",
             "country": "country"}
    if draft.type == "identity":
        for key, target in parts.items():
            draft.set(target, value.get(key), label=f"{title or 'address'} {key}")
        return
    text = "\n".join(as_text(value.get(k)) for k in parts if as_text(value.get(k)))
    draft.add_custom(title or "address", text)

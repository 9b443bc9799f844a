"""People this device knows: their public bundles, pinned on first use, verified on request.

The first time a person's bundle is seen it is pinned (trust on first use, announced loudly by the
CLI). A later, different bundle for a pinned person is an error naming both safety numbers, never
a prompt to accept: a server substituting keys is exactly what this stops. `bv contacts verify`
marks a pin as checked against the safety number the person read out.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any
from uuid import UUID

from vault_client import crypto, paths
from vault_client.encoding import b64d, b64e
from vault_client.errors import BvError, ExitStatus, IntegrityFailure, StateCorrupt, UsageError

CONTACTS_FILE = "contacts.json"


class KeyChanged(BvError):
    """The server presented a different key for someone you pinned; refusing"""

    status = ExitStatus.INTEGRITY
    hint = ("nothing was shared or accepted; ask them (not the server) whether they reset their account, "
            "then `bv contacts forget EMAIL` if they did")


class UnknownIdentity(BvError):
    """This was signed by someone this device does not know"""

    status = ExitStatus.INTEGRITY
    hint = "check their safety number with them and run `bv contacts verify EMAIL NUMBER`"


@dataclass
class Contact:
    email: str
    account_id: str
    identity_public: str
    sharing_public: str
    signature: str
    safety_number: str
    verified: bool
    pinned_at: float

    def bundle(self) -> crypto.PublicBundle:
        return crypto.PublicBundle(UUID(self.account_id), b64d(self.identity_public), b64d(self.sharing_public),
                                   b64d(self.signature))


def _load() -> dict[str, Contact]:
    path = paths.state_dir() / CONTACTS_FILE
    try:
        doc = json.loads(path.read_bytes())
        return {email: Contact(**c) for email, c in doc.items()}
    except FileNotFoundError:
        return {}
    except (ValueError, TypeError) as exc:
        raise StateCorrupt(CONTACTS_FILE) from exc


def _save(contacts: dict[str, Contact]) -> None:
    doc = {email: asdict(c) for email, c in sorted(contacts.items())}
    paths.write_private(paths.state_dir() / CONTACTS_FILE, json.dumps(doc, indent=2).encode())


def all_contacts() -> list[Contact]:
    return sorted(_load().values(), key=lambda c: c.email)


def bundle_from_doc(doc: Any) -> tuple[str, crypto.PublicBundle]:
    """(email, bundle) from a server answer `{account_id, email, bundle: {...}}`; not yet trusted."""
    try:
        email = str(doc["email"])
        b = doc["bundle"]
        bundle = crypto.PublicBundle(UUID(str(doc["account_id"])), b64d(b["identity_public"]),
                                     b64d(b["sharing_public"]), b64d(b["signature"]))
    except (KeyError, TypeError, ValueError):
        raise IntegrityFailure("a public key bundle from the server is malformed") from None
    return email, bundle


@dataclass
class Checked:
    contact: Contact
    newly_pinned: bool


def check(email: str, bundle: crypto.PublicBundle, *, pin_new: bool = True) -> Checked:
    """Verify a bundle's self-signature and compare it with the pin for ``email``.

    A first sighting is pinned when ``pin_new`` (else UnknownIdentity); a different bundle for a
    pinned email, or the same keys presented for another account id, raises KeyChanged.
    """
    try:
        crypto.verify_public_bundle(bundle, email)
    except crypto.CryptoError:
        raise IntegrityFailure(f"the public key bundle for {email} is not validly signed") from None
    number = crypto.safety_number(bundle)
    contacts = _load()
    known = contacts.get(email)
    if known is not None:
        if (known.identity_public, known.sharing_public, known.account_id) != (
                b64e(bundle.identity_public), b64e(bundle.sharing_public), str(bundle.account_id)):
            raise KeyChanged(f"{email}: pinned {known.safety_number}, server now says {number}")
        return Checked(known, False)
    if not pin_new:
        raise UnknownIdentity(f"{email}, safety number {number}")
    contact = Contact(email, str(bundle.account_id), b64e(bundle.identity_public), b64e(bundle.sharing_public),
                      b64e(bundle.signature), number, False, time.time())
    contacts[email] = contact
    _save(contacts)
    return Checked(contact, True)


def by_account_id(account_id: str) -> Contact | None:
    for c in _load().values():
        if c.account_id == account_id:
            return c
    return None


def verify(email: str, number: str) -> Contact:
    contacts = _load()
    known = contacts.get(email)
    if known is None:
        raise UsageError(f"{email} is not a contact yet", hint="share a vault with them, or accept their invitation")
    if "".join(number.split()) != "".join(known.safety_number.split()):
        raise KeyChanged(f"{email}: pinned {known.safety_number}, you were given {number}",
                         hint="do not share with this person until you find out why the numbers differ")
    known.verified = True
    _save(contacts)
    return known


def forget(email: str) -> bool:
    contacts = _load()
    if contacts.pop(email, None) is None:
        return False
    _save(contacts)
    return True

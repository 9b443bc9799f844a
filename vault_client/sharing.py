"""Shared vaults: create, invite, accept, members, remove with key rotation, leave.

Every public key that arrives from the server is checked against this device's pins
(``vault_client.contacts``) before a vault key is sealed to it or a grant from it is accepted. On
acceptance the vault key is re-wrapped symmetrically under the member's own account key, so the
server cannot substitute it later. Removing a member makes a new vault key, re-encrypts every item
and attached file and re-grants the key to those who stay, in one atomic server update
(``vault_client.rotation``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from vault_client import contacts, crypto, rotation
from vault_client.cache import Cache, VaultRow
from vault_client.encoding import b64d, b64e
from vault_client.errors import IntegrityFailure, UsageError
from vault_client.items.model import new_item
from vault_client.keychain import Keychain
from vault_client.rotation import RotationConflict  # noqa: F401 - re-exported
from vault_client.sync import SyncEngine
from vault_client.transport import Api
from vault_client.vault import VaultView

ROLES = ("owner", "editor", "viewer")


@dataclass
class Invitation:
    vault_id: str
    inviter_id: str
    inviter_email: str
    inviter_bundle: crypto.PublicBundle
    role: str
    key_generation: int
    grant: bytes
    safety_number: str
    pinned: contacts.Contact | None


def _trust(checked: contacts.Checked) -> dict[str, Any]:
    c = checked.contact
    return {"email": c.email, "safety_number": c.safety_number, "newly_pinned": checked.newly_pinned,
            "verified": c.verified}


class Sharing:
    def __init__(self, cache: Cache, keychain: Keychain, api: Api, email: str) -> None:
        self.cache = cache
        self.keys = keychain
        self.api = api
        self.email = email
        self.engine = SyncEngine(cache, keychain, api)

    # -- vaults ------------------------------------------------------------------------------

    def create_vault(self, name: str) -> str:
        vault_id = uuid4()
        vault_key = crypto.new_symmetric_key()
        wrapped = self.keys.wrap_vault_key(vault_id, 1, vault_key)
        mac = crypto.manifest_mac(vault_key, vault_id, 0, 1, [])
        self.api.create_vault({"vault_id": str(vault_id), "wrapped_vault_key": b64e(wrapped), "key_generation": 1,
                               "manifest": {"version": 0, "mac": b64e(mac)}})
        with self.cache.transaction():
            self.cache.put_vault(VaultRow(str(vault_id), "owner", 1, wrapped, 0, 0, mac))
        VaultView(self.cache, self.keys).save(str(vault_id), new_item("note", name), item_id=str(vault_id))
        self.engine.push()
        return str(vault_id)

    # -- invitations -------------------------------------------------------------------------

    def share(self, vault_id: str, email: str, role: str) -> dict[str, Any]:
        if role not in ROLES:
            raise UsageError(f"unknown role {role!r}", hint="use owner, editor or viewer")
        vault = self._vault(vault_id)
        if vault.role != "owner":
            raise UsageError("only an owner of this vault can share it")
        got_email, bundle = contacts.bundle_from_doc(self.api.bundle(email))
        if got_email.casefold() != email.casefold():
            raise IntegrityFailure("the server answered with another person's bundle")
        checked = contacts.check(email, bundle)
        vault_key = self.keys.vault_key(vault)
        grant = crypto.seal_grant(vault_key, UUID(vault_id), vault.key_generation, role, bundle,
                                  self.keys.private_keys(), self.keys.account_id)
        self.api.invite(vault_id, {"invitee_id": str(bundle.account_id), "role": role,
                                   "key_generation": vault.key_generation, "grant": b64e(grant)})
        return _trust(checked)

    def invitations(self) -> list[dict[str, Any]]:
        return [{"vault_id": i.vault_id, "inviter_email": i.inviter_email, "inviter_id": i.inviter_id,
                 "role": i.role, "safety_number": i.safety_number,
                 "trust": "unknown" if i.pinned is None else ("verified" if i.pinned.verified else "pinned")}
                for i in self._invitations()]

    def _invitations(self) -> list[Invitation]:
        out = []
        for doc in self.api.invitations():
            try:
                email, bundle = contacts.bundle_from_doc({"account_id": doc["inviter_id"], "email": doc["inviter_email"],
                                                          "bundle": doc["inviter_bundle"]})
                inv = Invitation(str(UUID(doc["vault_id"])), str(bundle.account_id), email, bundle, str(doc["role"]),
                                 int(doc["key_generation"]), b64d(doc["grant"]), "", None)
            except (KeyError, TypeError, ValueError):
                raise IntegrityFailure("an invitation from the server is malformed") from None
            try:
                crypto.verify_public_bundle(bundle, email)
                inv.safety_number = crypto.safety_number(bundle)
            except crypto.CryptoError:
                inv.safety_number = "(invalid signature)"
            known = {c.email: c for c in contacts.all_contacts()}.get(email)
            inv.pinned = known
            out.append(inv)
        return out

    def accept(self, vault_id: str, *, trust_new: bool) -> dict[str, Any]:
        found = [i for i in self._invitations() if i.vault_id == vault_id]
        if not found:
            raise UsageError(f"no pending invitation to vault {vault_id}", hint="see `bv vault accept`")
        inv = found[0]
        checked = contacts.check(inv.inviter_email, inv.inviter_bundle, pin_new=trust_new)
        if inv.role not in ROLES:
            raise IntegrityFailure("the invitation names an unknown role")
        try:
            vault_key = crypto.open_grant(inv.grant, self.keys.private_keys(), self.keys.account_id,
                                          inv.inviter_bundle, UUID(inv.vault_id), inv.key_generation, inv.role)
        except crypto.CryptoError:
            raise IntegrityFailure(f"the invitation to vault {inv.vault_id} does not open: it was not signed by "
                                   f"{inv.inviter_email}, or not sealed to your key") from None
        wrapped = self.keys.wrap_vault_key(UUID(inv.vault_id), inv.key_generation, vault_key)
        self.api.accept(inv.vault_id, inv.key_generation, b64e(wrapped))
        self.engine.pull()
        return {**_trust(checked), "vault_id": inv.vault_id, "role": inv.role}

    def vault_list(self) -> list[dict[str, Any]]:
        view = VaultView(self.cache, self.keys)
        names = view.vault_names()
        counts: dict[str, int] = {}
        for e in view.entries():
            counts[e.vault_id] = counts.get(e.vault_id, 0) + 1
        return [{"vault_id": v.vault_id, "name": names.get(v.vault_id, "?"), "role": v.role,
                 "key_generation": v.key_generation, "items": counts.get(v.vault_id, 0)}
                for v in self.cache.vaults()]

    def decline(self, vault_id: str) -> None:
        self.api.decline(vault_id)

    # -- members -----------------------------------------------------------------------------

    def members(self, vault_id: str) -> list[dict[str, Any]]:
        doc = self.api.members(vault_id)
        out = []
        for m in doc.get("members", []):
            email, bundle = contacts.bundle_from_doc(m)
            entry = {"email": email, "account_id": str(bundle.account_id), "role": m.get("role"),
                     "you": str(bundle.account_id) == str(self.keys.account_id)}
            if entry["you"]:
                entry.update(safety_number=crypto.safety_number(bundle), trust="you")
            else:
                try:  # listing never pins: the member list itself comes from the server
                    checked = contacts.check(email, bundle, pin_new=False)
                    entry.update(safety_number=checked.contact.safety_number,
                                 trust="verified" if checked.contact.verified else "pinned")
                except contacts.UnknownIdentity:
                    entry.update(safety_number=crypto.safety_number(bundle),
                                 trust="NOT PINNED (`bv contacts add EMAIL NUMBER` after checking with them)")
                except contacts.KeyChanged as exc:
                    entry.update(safety_number=crypto.safety_number(bundle), trust=f"CHANGED ({exc.detail})")
            out.append(entry)
        for inv in doc.get("invitations", []):
            out.append({"email": inv.get("email"), "account_id": inv.get("account_id"), "role": inv.get("role"),
                        "you": False, "safety_number": "", "trust": "invited"})
        return out

    def add_contact(self, email: str, number: str | None) -> dict[str, Any]:
        """Pin a person's key deliberately (fetched from the server, checked against the safety
        number they read out when one is given)."""
        got_email, bundle = contacts.bundle_from_doc(self.api.bundle(email))
        if got_email.casefold() != email.casefold():
            raise IntegrityFailure("the server answered with another person's bundle")
        if number is not None:
            seen = crypto.safety_number(bundle)
            if "".join(number.split()) != "".join(seen.split()):
                raise contacts.KeyChanged(f"{email}: you were given {number}, the server says {seen}",
                                          hint="do not pin it; find out why the numbers differ")
        checked = contacts.check(email, bundle)
        if number is not None:
            contacts.verify(email, number)
        return {**_trust(checked), "verified": number is not None}

    def leave(self, vault_id: str) -> None:
        self._vault(vault_id)
        self.api.leave(vault_id)
        with self.cache.transaction():
            self.cache.drop_vault(vault_id)

    # -- rotation ----------------------------------------------------------------------------

    def remove(self, vault_id: str, email: str, progress: Callable[[int, int], None] | None = None) -> int:
        """Remove ``email`` and rotate the vault key (``vault_client.rotation``); returns the number
        of items re-encrypted. An earlier rotation of this vault that was interrupted is finished
        first; if it already removed ``email``, that is the result."""
        self.engine.pull()
        self.engine.push()
        settled = rotation.settle(self.cache, self.keys, self.api, vault_id)
        vault = self._vault(vault_id)
        if vault.role != "owner":
            raise UsageError("only an owner of this vault can remove members")
        doc = self.api.members(vault_id)
        members = doc.get("members", [])
        removed = [m for m in members if str(m.get("email", "")).casefold() == email.casefold()]
        if not removed:
            if any(j.removed for j in settled):
                return settled[-1].items  # an interrupted rotation had removed them
            raise UsageError(f"{email} is not a member of this vault")
        removed_id = str(removed[0]["account_id"])
        if removed_id == str(self.keys.account_id):
            raise UsageError("to remove yourself, use `bv vault leave`")
        staying = []
        for m in members:
            got_email, bundle = contacts.bundle_from_doc(m)
            if str(bundle.account_id) in (removed_id, str(self.keys.account_id)):
                continue
            try:  # the new key goes only to people this device pinned: never to one the server added
                contacts.check(got_email, bundle, pin_new=False)
            except contacts.UnknownIdentity as exc:
                raise contacts.UnknownIdentity(
                    f"{exc.detail}: listed as a member of this vault; nothing was rotated",
                    hint="if they belong there, check their safety number with them, run "
                         "`bv contacts add EMAIL NUMBER`, then remove again") from None
            staying.append((bundle, str(m.get("role"))))
        return self._rotate(vault, [removed_id], staying, progress)

    def _rotate(self, vault: VaultRow, remove: list[str], staying: list[tuple[crypto.PublicBundle, str]],
                progress: Callable[[int, int], None] | None) -> int:
        return rotation.rotate(self.cache, self.keys, self.api, vault, remove, staying, progress)

    def _vault(self, vault_id: str) -> VaultRow:
        vault = self.cache.vault(vault_id)
        if vault is None:
            raise UsageError(f"unknown vault {vault_id}", hint="see `bv vault list`")
        return vault

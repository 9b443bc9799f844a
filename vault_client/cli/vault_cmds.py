"""`bv vault ...`, `bv whoami`, `bv contacts ...`: sharing vaults with people you have verified."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from vault_client.cli import output, prompts
from vault_client.cli.context import Context
from vault_client.cli.item_cmds import _run
from vault_client.cli.vault_ref import resolve_vault
from vault_client.errors import Cancelled, UsageError

vault_app = typer.Typer(help="Vaults: create, share with family, accept, remove members.", no_args_is_help=True)
contacts_app = typer.Typer(help="People you share with, and their pinned safety numbers.",
                           invoke_without_command=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _pin_notice(doc: dict) -> None:
    if doc.get("newly_pinned"):
        output.warn(f"first time seeing {doc['email']}: their key is now PINNED (trust on first use).")
        output.warn(f"  safety number: {doc['safety_number']}")
        output.warn(f"  compare it with them in person or by phone, then: bv contacts verify {doc['email']} NUMBER")


@vault_app.command("create")
def create(name: str) -> None:
    """Create a new vault (for example one to share with your family)."""

    def go(ctx: Context) -> None:
        vault_id = ctx.sharing.create_vault(name=name)
        output.out(f"Created vault {name!r} ({vault_id[:8]}).")

    _run(go)


@vault_app.command("list")
def list_(json_: JsonOpt = False) -> None:
    """List your vaults with your role in each."""

    def go(ctx: Context) -> None:
        ctx.sync_quietly()
        rows = ctx.sharing.vault_list()
        if json_:
            output.emit_json(rows)
            return
        output.table(["id", "name", "role", "items", "key gen"],
                     [[r["vault_id"][:8], r["name"], r["role"], str(r["items"]), str(r["key_generation"])]
                      for r in rows])

    _run(go)


@vault_app.command("share")
def share(
    vault: str,
    email: str,
    role: Annotated[str, typer.Option(help="owner, editor or viewer.")] = "viewer",
) -> None:
    """Invite someone: the vault key is sealed to their (pinned) public key and signed by you."""

    def go(ctx: Context) -> None:
        vault_id = resolve_vault(ctx, vault)
        doc = ctx.sharing.share(vault_id=vault_id, email=email.strip().lower(), role=role)
        _pin_notice(doc)
        trust = "verified" if doc["verified"] else "pinned, not yet verified"
        output.out(f"Invited {email} as {role} ({trust}). They run `bv vault accept` to join.")

    _run(go)


@vault_app.command("accept")
def accept(
    vault: Annotated[Optional[str], typer.Argument(help="Vault id of the invitation (default: list them).")] = None,
    trust: Annotated[bool, typer.Option(
        help="Accept from someone not pinned yet, pinning their key now (check the safety number!).")] = False,
    decline: Annotated[bool, typer.Option(help="Decline the invitation instead.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Show pending invitations, or accept one. The key is then re-wrapped under your own account key."""

    def go(ctx: Context) -> None:
        invitations = ctx.sharing.invitations()
        if vault is None:
            if json_:
                output.emit_json(invitations)
                return
            if not invitations:
                output.out("No pending invitations.")
                return
            for inv in invitations:
                output.out(f"Vault {inv['vault_id']} from {inv['inviter_email']} as {inv['role']}")
                output.out(f"  their safety number: {inv['safety_number']} ({inv['trust']})")
            output.out("Accept with `bv vault accept VAULT_ID` (add --trust for someone not pinned yet).")
            return
        matches = [i for i in invitations if i["vault_id"].startswith(vault.lower())]
        if len(matches) != 1:
            raise UsageError(f"no single invitation matches {vault!r}", hint="run `bv vault accept` to list them")
        inv = matches[0]
        if decline:
            ctx.sharing.decline(vault_id=inv["vault_id"])
            output.out(f"Declined the invitation from {inv['inviter_email']}.")
            return
        if inv["trust"] == "unknown" and not trust:
            output.out(f"{inv['inviter_email']} is not pinned on this device. Their safety number is:")
            output.out(f"  {inv['safety_number']}")
            if not prompts.confirm("Does it match what they read to you?"):
                raise Cancelled(hint="compare the safety number, then accept with --trust")
        doc = ctx.sharing.accept(vault_id=inv["vault_id"], trust_new=True)
        _pin_notice(doc)
        output.out(f"Joined vault {inv['vault_id'][:8]} as {inv['role']}.")

    _run(go)


@vault_app.command("members")
def members(vault: str, json_: JsonOpt = False) -> None:
    """List a vault's members with their roles and safety numbers."""

    def go(ctx: Context) -> None:
        rows = ctx.sharing.members(vault_id=resolve_vault(ctx, vault))
        if json_:
            output.emit_json(rows)
            return
        output.table(["email", "role", "trust", "safety number"],
                     [[r["email"] or "", r["role"] or "", r["trust"], r["safety_number"]] for r in rows])

    _run(go)


@vault_app.command("remove")
def remove(
    vault: str,
    email: str,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a member: new vault key, every item re-encrypted, re-granted to those who stay (atomic)."""

    def go(ctx: Context) -> None:
        vault_id = resolve_vault(ctx, vault)
        if not prompts.confirm(f"Remove {email} and rotate the key of this vault?", assume_yes=yes):
            raise Cancelled()
        bar = _progress_bar()
        try:
            count = ctx.sharing.remove(vault_id=vault_id, email=email.strip().lower(), progress=bar.update)
        finally:
            bar.close()
        output.out(f"Removed {email}; {count} item(s) re-encrypted under a new vault key. "
                   "What they copied before stays readable to them; nothing written from now on is.")

    _run(go)


@vault_app.command("leave")
def leave(vault: str, yes: Annotated[bool, typer.Option("--yes", "-y")] = False) -> None:
    """Leave a shared vault (its items disappear from this account)."""

    def go(ctx: Context) -> None:
        vault_id = resolve_vault(ctx, vault)
        if not prompts.confirm("Leave this vault?", assume_yes=yes):
            raise Cancelled()
        ctx.sharing.leave(vault_id=vault_id)
        output.out("Left the vault.")

    _run(go)


class _progress_bar:
    """A rich progress bar on a terminal; silent otherwise."""

    def __init__(self) -> None:
        import sys

        self._progress = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            self._progress = Progress(transient=True, console=Console(stderr=True))
            self._progress.start()
            self._task = self._progress.add_task("re-encrypting", total=None)

    def update(self, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=done, total=total)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def whoami(json_: JsonOpt = False) -> None:
    """Your account and the safety number others use to verify you."""
    from vault_client.identity_view import own_identity

    doc = own_identity()
    if json_:
        output.emit_json(doc)
        return
    output.out(f"{doc['email']} ({doc['account_id']})")
    output.out(f"Safety number: {doc['safety_number']}")
    output.out("Read it to the people you share with; they run `bv contacts verify EMAIL NUMBER`.")


@contacts_app.callback()
def contacts_list(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List known people with their pinned safety numbers and whether you verified them."""
    if ctx.invoked_subcommand is not None:
        return
    from vault_client import contacts

    rows = contacts.all_contacts()
    if json_:
        output.emit_json([{"email": c.email, "account_id": c.account_id, "safety_number": c.safety_number,
                           "verified": c.verified} for c in rows])
        return
    output.table(["email", "verified", "safety number"],
                 [[c.email, "yes" if c.verified else "no", c.safety_number] for c in rows])


@contacts_app.command("add")
def contacts_add(
    email: str,
    number: Annotated[Optional[list[str]], typer.Argument(help="Their safety number, as they read it to you.")] = None,
) -> None:
    """Pin someone's key on purpose (and verify it at once when you give the safety number)."""

    def go(ctx: Context) -> None:
        doc = ctx.sharing.add_contact(email=email.strip().lower(), number=" ".join(number) if number else None)
        _pin_notice(doc)
        state = "verified" if doc["verified"] else "pinned, not yet verified"
        output.out(f"{doc['email']}: {state}. Safety number {doc['safety_number']}")

    _run(go)


@contacts_app.command("verify")
def contacts_verify(email: str, number: Annotated[list[str], typer.Argument(help="Their safety number.")]) -> None:
    """Mark a contact verified after comparing the safety number with them."""
    from vault_client import contacts

    contact = contacts.verify(email.strip().lower(), " ".join(number))
    output.out(f"{contact.email} is verified.")


@contacts_app.command("forget")
def contacts_forget(email: str) -> None:
    """Drop a pin (only after they told you, not the server, that they reset their account)."""
    from vault_client import contacts

    if not contacts.forget(email.strip().lower()):
        raise UsageError(f"{email} is not a contact")
    output.out(f"Forgot the pinned key of {email}.")

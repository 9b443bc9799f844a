"""`bv account create`, `bv login`, `bv logout`, `bv status`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Optional

import typer

from vault_client import state
from vault_client.cli import output, prompts
from vault_client.cli.context import Context
from vault_client.errors import AlreadySetUp, NotLoggedIn, ServerUnreachable, UsageError

account_app = typer.Typer(help="Create and manage the account.", no_args_is_help=True)

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")

KIT_TEMPLATE = """\
BLINDVAULT EMERGENCY KIT
========================

Keep this sheet somewhere safe (printed, in a drawer). Together with your account password it is
the only way into your vault. Nobody, including the server's operator, can recover it for you.

Server:      {server}
Email:       {email}
Secret Key:  {secret_key}

Account password: ______________________________________

If you lose both the Secret Key and every device that holds it, or forget the password and have no
recovery code, the data in your vault is lost for good.
"""


def _email(value: str) -> str:
    value = value.strip()
    if not EMAIL_RE.match(value):
        raise UsageError(f"not an email address: {value!r}")
    return value.lower()


def _parse_kit(path: Path) -> tuple[str, str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the Emergency Kit {path}") from exc
    fields = {}
    for line in text.splitlines():
        m = re.match(r"^(Server|Email|Secret Key):\s*(\S.*)$", line.strip())
        if m:
            fields[m.group(1)] = m.group(2).strip()
    if len(fields) != 3:
        raise UsageError(f"{path} is not a Blindvault Emergency Kit (server, email or Secret Key missing)")
    return fields["Server"], fields["Email"], fields["Secret Key"]


@account_app.command("create")
def create(
    server: Annotated[str, typer.Option(help="Sync server URL, e.g. https://vault.example.org")],
    email: Annotated[str, typer.Option(help="Your email address (your account name).")],
    kit: Annotated[Optional[Path], typer.Option(help="Write the Emergency Kit to this new file.")] = None,
    insecure: Annotated[bool, typer.Option(help="Allow plain http:// to a non-loopback server.")] = False,
) -> None:
    """Create an account: make the Secret Key and all keys on this device, and register."""
    from vault_client.account import create_account
    from vault_client.transport import Api, check_server_url

    if state.has_account():
        raise AlreadySetUp()
    server = check_server_url(server, insecure=insecure)
    email = _email(email)
    if kit is not None and kit.exists():
        raise UsageError(f"{kit} already exists; choose a new file for the Emergency Kit")
    password = prompts.account_password("Choose an account password: ", confirm=True)
    with Api(server) as api:
        created = create_account(api, server, email, password, insecure=insecure)
    secret_text = created.secret_key.format()
    if kit is not None:
        from vault_client.paths import write_private_new

        write_private_new(kit, KIT_TEMPLATE.format(server=server, email=email, secret_key=secret_text).encode())
    output.out(f"Account created for {email} on {server}.")
    output.out("")
    output.out(f"Your Secret Key: {secret_text}")
    output.out("")
    output.out("It is shown once. It is stored on this device and never sent to the server. To use another")
    output.out("device you need it and your password. If you lose it and this device, or forget your")
    output.out("password, your data is lost: nobody can recover it. Keep the Emergency Kit safe.")
    if kit is not None:
        output.out(f"Emergency Kit written to {kit}.")


@account_app.command("sessions")
def sessions(json_: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """List the devices signed in to this account."""
    ctx = Context()
    try:
        rows = ctx.api.sessions()
    finally:
        ctx.close()
    if json_:
        output.emit_json(rows)
        return
    output.table(["session", "device", "last seen", ""],
                 [[str(r.get("session_id", ""))[:12], str(r.get("device_name", "")), str(r.get("last_seen_at", "")),
                   "this device" if r.get("current") else ""] for r in rows])


def login(
    kit: Annotated[Optional[Path], typer.Option(help="Emergency Kit file with server, email and Secret Key.")] = None,
    server: Annotated[Optional[str], typer.Option(help="Sync server URL.")] = None,
    email: Annotated[Optional[str], typer.Option(help="Account email.")] = None,
    insecure: Annotated[bool, typer.Option(help="Allow plain http:// to a non-loopback server.")] = False,
) -> None:
    """Set up this device (or sign in again): from an Emergency Kit, or server + email + Secret Key."""
    from vault_client.account import login as do_login
    from vault_client.account import parse_secret_key
    from vault_client.transport import Api, check_server_url

    existing = state.load_account() if state.has_account() else None
    if kit is not None:
        server, email, secret_text = _parse_kit(kit)
    elif existing is not None and server is None and email is None:
        server, email, secret_text = existing.server, existing.email, state.load_secret_key_text()
        insecure = insecure or existing.insecure
    elif server and email:
        secret_text = prompts.secret_value("Secret Key: ") if existing is None else state.load_secret_key_text()
    else:
        raise UsageError("say where to log in", hint="bv login --kit FILE, or bv login --server URL --email EMAIL")
    server = check_server_url(server, insecure=insecure)
    email = _email(email)
    if existing is not None and (existing.email, existing.server) != (email, server):
        raise AlreadySetUp(f"as {existing.email} on {existing.server}")
    secret_key = parse_secret_key(secret_text)
    password = prompts.account_password()
    pinned = existing.kdf_pin if existing is not None else None
    with Api(server) as api:
        done = do_login(api, server, email, password, secret_key, insecure=insecure, pinned=pinned)
    output.out(f"Logged in as {done.account.email} on {server}.")
    ctx = Context()
    try:
        ctx.keychain = done.keychain  # the keys the login opened: no second derivation
        ctx.sync_quietly()  # fetch the vaults now, so the device is ready to use
    finally:
        ctx.close()


def logout(
    forget_device: Annotated[bool, typer.Option(
        help="Also remove the Secret Key and account settings from this device.")] = False,
) -> None:
    """End this device's session, lock the agent and remove the local cache."""
    from vault_client.cli.agent_cmds import lock_agent

    lock_agent()
    ctx = Context()
    try:
        account = ctx.account
        try:
            ctx.api.logout()
        except (ServerUnreachable, NotLoggedIn):
            output.notice("the server could not be told; the session will expire on its own")
    finally:
        ctx.close()
    state.clear_session()
    if forget_device:
        state.forget_device()
        output.out(f"Logged out; {account.email}'s Secret Key and data were removed from this device.")
    else:
        from vault_client.paths import state_dir

        for cache in state_dir().glob("cache.sqlite3*"):
            cache.unlink(missing_ok=True)
        output.out("Logged out. `bv login` signs in again.")


def status(json_: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """Show the account, whether it is unlocked, queued changes and unresolved conflicts."""
    from vault_client.cli.agent_cmds import agent_status
    from vault_client.errors import PasswordUnavailable

    doc: dict = {"set_up": state.has_account()}
    if doc["set_up"]:
        account = state.load_account()
        try:
            state.load_session()
            logged_in = True
        except NotLoggedIn:
            logged_in = False
        agent = agent_status()
        doc.update(email=account.email, server=account.server, account_id=account.account_id,
                   device=account.device_name, logged_in=logged_in, unlocked=agent is not None,
                   lock_in_seconds=agent["idle_left"] if agent else None)
        ctx = Context()
        try:
            doc["vaults"] = len(ctx.cache.vaults())
            doc["queued_changes"] = len(ctx.cache.pending())
            try:
                conflicted = ctx.view.conflicted() if ctx.cache.vaults() else []
                doc["conflicts"] = [{"item_id": e.item_id, "name": e.item.name,
                                     "fields": sorted({c.field for c in e.item.conflicts})} for e in conflicted]
            except PasswordUnavailable:
                doc["conflicts"] = None  # locked, and no password to look inside
        finally:
            ctx.close()
    if json_:
        output.emit_json(doc)
        return
    if not doc["set_up"]:
        output.out("No account on this device. Run `bv account create` or `bv login --kit FILE`.")
        return
    output.out(f"Account:   {doc['email']} on {doc['server']}")
    output.out(f"Device:    {doc['device']} ({'logged in' if doc['logged_in'] else 'logged out'})")
    if doc["unlocked"]:
        output.out(f"Unlocked:  yes, locks after {doc['lock_in_seconds']} s without use")
    else:
        output.out("Unlocked:  no (`bv unlock` to unlock once for this session)")
    output.out(f"Vaults:    {doc['vaults']}")
    output.out(f"Queued:    {doc['queued_changes']} change(s) waiting for sync")
    if doc["conflicts"] is None:
        output.out("Conflicts: unknown while locked")
    elif doc["conflicts"]:
        output.out(f"Conflicts: {len(doc['conflicts'])} item(s) hold two values for a field:")
        for c in doc["conflicts"]:
            output.out(f"  {c['name']} ({c['item_id'][:8]}): {', '.join(c['fields'])}"
                       f"  ->  bv edit {c['item_id'][:8]} --resolve")
    else:
        output.out("Conflicts: none")

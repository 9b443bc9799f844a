"""`bv passwd`, `bv account recovery-code`, `bv account recover`, `bv account reset`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from vault_client import state
from vault_client.cli import output, prompts
from vault_client.cli.account_cmds import KIT_TEMPLATE, _email, _parse_kit, account_app
from vault_client.cli.agent_cmds import lock_agent
from vault_client.cli.context import Context
from vault_client.errors import Cancelled, UsageError

NEW_PASSWORD_ENV = "BV_NEW_PASSWORD_FILE"


def _new_password() -> str:
    return prompts.account_password("New account password: ", env=NEW_PASSWORD_ENV, confirm=True)


def passwd() -> None:
    """Change the account password. Items are untouched; other devices must log in again."""
    from vault_client.credentials import change_password

    ctx = Context()
    try:
        account = ctx.account
        old = prompts.account_password("Current account password: ")
        new = _new_password()
        if new == old:
            raise UsageError("the new password is the same as the current one")
        change_password(ctx.api, account, old, new)
    finally:
        ctx.close()
    lock_agent()
    output.out("Password changed. Your items were not touched. Other devices were signed out and need")
    output.out("`bv login` with the new password. The agent was locked: `bv unlock` with the new password.")


@account_app.command("recovery-code")
def recovery_code(
    file: Annotated[Optional[Path], typer.Option(help="Also write the code to this new 0600 file.")] = None,
) -> None:
    """Create (or replace) a recovery code: the one way to set a new password without losing data."""
    from vault_client.account import unlock
    from vault_client.credentials import make_recovery_code

    ctx = Context()
    try:
        account = ctx.account
        keychain = unlock(account, prompts.account_password())  # always ask: this is a key to the account
        code = make_recovery_code(ctx.api, account, keychain.account_key)
    finally:
        ctx.close()
    text = code.format()
    if file is not None:
        from vault_client.paths import write_private_new

        write_private_new(file, (text + "\n").encode())
    output.out(f"Recovery code: {text}")
    output.out("")
    output.out("It is shown once and replaces any earlier code. With it, your email and your Secret Key,")
    output.out("`bv account recover` sets a new password without losing anything. Anyone who has it and")
    output.out("your Secret Key can take over the account: store it offline, apart from the Emergency Kit.")


@account_app.command("recover")
def recover(
    kit: Annotated[Optional[Path], typer.Option(help="Emergency Kit with server, email and Secret Key.")] = None,
    server: Annotated[Optional[str], typer.Option(help="Sync server URL.")] = None,
    email: Annotated[Optional[str], typer.Option(help="Account email.")] = None,
    insecure: Annotated[bool, typer.Option(help="Allow plain http:// to a non-loopback server.")] = False,
) -> None:
    """Set a new password with your recovery code and Secret Key; nothing is lost."""
    from vault_client.credentials import parse_recovery_code
    from vault_client.credentials import recover as do_recover
    from vault_client.transport import Api, check_server_url

    if kit is not None:
        server, email, secret_text = _parse_kit(kit)
    elif server and email:
        secret_text = state.load_secret_key_text() if state.has_account() else prompts.secret_value("Secret Key: ")
    else:
        raise UsageError("say which account", hint="bv account recover --kit FILE, or --server URL --email EMAIL")
    server = check_server_url(server, insecure=insecure)
    email = _email(email)
    code = parse_recovery_code(prompts.account_password("Recovery code: ", env="BV_RECOVERY_CODE_FILE"))
    new = _new_password()
    lock_agent()
    with Api(server) as api:
        account = do_recover(api, server, email, secret_text, code, new, insecure=insecure)
    output.out(f"New password set for {account.email}. Nothing was lost; every other device was signed out.")


@account_app.command("reset")
def reset(
    server: Annotated[str, typer.Option(help="Sync server URL.")],
    email: Annotated[str, typer.Option(help="Account email.")],
    token: Annotated[str, typer.Option(help="One-time reset token from the server's operator.")],
    kit: Annotated[Optional[Path], typer.Option(help="Write the new Emergency Kit to this new file.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    insecure: Annotated[bool, typer.Option(help="Allow plain http:// to a non-loopback server.")] = False,
) -> None:
    """Forgotten password, no recovery code: start over with new keys. Your old items are destroyed."""
    from vault_client.credentials import reset as do_reset
    from vault_client.credentials import reset_preview
    from vault_client.transport import Api, check_server_url

    server = check_server_url(server, insecure=insecure)
    email = _email(email)
    if kit is not None and kit.exists():
        raise UsageError(f"{kit} already exists; choose a new file for the Emergency Kit")
    with Api(server) as api:
        preview = reset_preview(api, email, token)
        shared = preview.shared_vaults
        output.out(f"Resetting {email} on {server} will DESTROY, for good:")
        output.out(f"  - {preview.personal_items} item(s) in {preview.personal_vaults} personal vault(s);")
        output.out(f"  - your access to {len(shared)} shared vault(s)"
                   + (": " + ", ".join(f"{v.get('vault_id', '?')[:8]} ({v.get('role', '?')})" for v in shared)
                      if shared else "") + ";")
        output.out("  - your recovery code, your Secret Key, and every signed-in device.")
        output.out("The server cannot decrypt your items, so nobody can bring them back after this.")
        output.out("If you still have a recovery code, stop and run `bv account recover` instead.")
        if not prompts.confirm("Destroy the old data and start over?", assume_yes=yes):
            raise Cancelled()
        new_password = _new_password()
        lock_agent()
        account, new = do_reset(api, server, email, token, preview.account_id, new_password, insecure=insecure)
    secret_text = new.secret_key.format()
    if kit is not None:
        from vault_client.paths import write_private_new

        write_private_new(kit, KIT_TEMPLATE.format(server=server, email=email, secret_key=secret_text).encode())
    output.out("")
    output.out(f"Reset done. Lost: {preview.personal_items} item(s), {preview.personal_vaults} personal vault(s), "
               f"access to {len(shared)} shared vault(s). They were deleted from the server and cannot be opened.")
    output.out(f"Your NEW Secret Key: {secret_text}")
    output.out("Your old Secret Key and password open nothing now. Keep the new Emergency Kit safe.")
    if kit is not None:
        output.out(f"Emergency Kit written to {kit}.")

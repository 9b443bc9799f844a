"""The `bv` entry point: the command tree, and the one place that turns errors into messages."""

from __future__ import annotations

import os
import sys

import typer

from vault_client.cli import account_cmds, agent_cmds, credential_cmds, edit_cmds, item_cmds, vault_cmds
from vault_client.cli import transfer_cmds
from vault_client.cli import daily_cmds
from vault_client.cli import server_view_cmd  # noqa: F401 - registers `bv account server-view`
from vault_client.errors import BvError, ExitStatus

app = typer.Typer(
    name="bv",
    help="Blindvault: an end-to-end encrypted password vault.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)

app.add_typer(account_cmds.account_app, name="account")
app.command("login")(account_cmds.login)
app.command("logout")(account_cmds.logout)
app.command("status")(account_cmds.status)
app.add_typer(item_cmds.add_app, name="add")
app.command("get")(item_cmds.get)
app.command("list")(item_cmds.list_)
app.command("search")(item_cmds.search)
app.command("edit")(edit_cmds.edit)
app.command("rm")(edit_cmds.rm)
app.command("restore")(edit_cmds.restore)
app.command("generate")(edit_cmds.generate)
app.command("sync")(edit_cmds.sync)
app.command("unlock")(agent_cmds.unlock)
app.command("lock")(agent_cmds.lock)
app.command("passwd")(credential_cmds.passwd)
app.command("import")(transfer_cmds.import_)
app.command("export")(transfer_cmds.export)
app.add_typer(vault_cmds.vault_app, name="vault")
app.add_typer(vault_cmds.contacts_app, name="contacts")
app.command("whoami")(vault_cmds.whoami)
app.command("totp")(daily_cmds.totp)
app.command("history")(daily_cmds.history)
app.command("run", context_settings={"allow_interspersed_args": False})(daily_cmds.run)
app.command("inject")(daily_cmds.inject)
app.command("health")(daily_cmds.health)
app.command("attach")(daily_cmds.attach)


@app.command("demo")
def demo(
    yes: bool = typer.Option(False, "--yes", "-y", help="Run straight through without pausing."),
    keep: bool = typer.Option(False, help="Keep the temporary directory for a look afterwards."),
) -> None:
    """Walk through Blindvault on a throw-away local server: what it stores, and what a reset costs."""
    from vault_client.demo import DemoFailed, run_demo

    try:
        run_demo(interactive=not yes and sys.stdin.isatty(), keep=keep)
    except DemoFailed as exc:
        raise BvError(str(exc)) from None


@app.command("version")
def version() -> None:
    """Print the client version."""
    from vault_client import __version__

    typer.echo(__version__)


def _click_classes() -> tuple[tuple[type, ...], tuple[type, ...], tuple[type, ...]]:
    """Usage-error, abort and exit classes of typer's bundled click (typer >= 0.23) and of click."""
    errors: list[type] = []
    aborts: list[type] = [typer.Abort]
    exits: list[type] = [typer.Exit]
    try:
        from typer._click.exceptions import ClickException  # type: ignore[import-not-found]

        errors.append(ClickException)
    except ImportError:  # pragma: no cover - depends on the installed typer
        pass
    try:
        import click

        errors.append(click.ClickException)
        aborts.append(click.exceptions.Abort)
        exits.append(click.exceptions.Exit)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors), tuple(aborts), tuple(exits)


def run(argv: list[str] | None = None) -> int:
    """Run `bv`; every failure ends here as one `bv: error:` line and an exit status."""
    from vault_client.cli import output

    click_errors, aborts, exits = _click_classes()
    try:
        app(args=argv, standalone_mode=False, prog_name="bv")
        status = ExitStatus.OK
    except BvError as err:
        output.error(err)
        status = err.status
    except aborts:
        sys.stderr.write("\nbv: error: cancelled; nothing was changed\n")
        status = ExitStatus.CANCELLED
    except exits as exc:
        status = getattr(exc, "exit_code", 0)
    except click_errors as exc:
        exc.show()
        status = ExitStatus.USAGE
    except KeyboardInterrupt:
        sys.stderr.write("\nbv: error: interrupted\n")
        status = ExitStatus.CANCELLED
    except BrokenPipeError:
        status = ExitStatus.OK
    except Exception as exc:  # noqa: BLE001 - never a traceback (it could hold secrets)
        if os.environ.get("BV_DEBUG") == "1":
            raise
        sys.stderr.write(f"bv: error: internal error ({type(exc).__name__}); nothing was changed\n")
        sys.stderr.write("bv: hint: run again with BV_DEBUG=1 to see where it failed\n")
        status = ExitStatus.ERROR
    sys.stdout.flush()
    raise SystemExit(int(status))

"""The `bv-server` command: serve, database migrations, and the operator's tools.

Each command group lives here as a small function; later tools (`audit`) register on ``app`` the
same way. Errors print one line, ``bv-server: error: ...``, and exit with 2.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

from vault_server import __version__

app = typer.Typer(name="bv-server", help="Blindvault sync server.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")

DataDirOption = Annotated[
    Optional[Path],
    typer.Option("--data-dir", help="Server data directory (SQLite database); env BV_DATA_DIR.",
                 file_okay=False),
]
EXIT_ERROR = 2


def fail(message: str) -> NoReturn:
    typer.echo(f"bv-server: error: {message}", err=True)
    raise typer.Exit(EXIT_ERROR)


def load_settings(data_dir: Path | None):  # noqa: ANN201 - Settings
    """Settings from the environment, with ``--data-dir`` taking precedence."""
    from vault_server.settings import Settings, SettingsError

    try:
        return Settings.from_env(data_dir=data_dir.resolve() if data_dir else None)
    except SettingsError as exc:
        fail(str(exc))


def open_engine(settings):  # noqa: ANN001, ANN201 - Settings -> Engine
    from vault_server.database import make_engine

    try:
        return make_engine(settings)
    except OSError as exc:
        fail(f"cannot use the data directory {settings.data_dir}: {exc.strerror or exc}")


def _database_error(exc: Exception) -> NoReturn:
    first_line = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0:1]
    fail(f"cannot reach the database: {first_line[0] if first_line else type(exc).__name__}")


@app.command()
def version() -> None:
    """Print the server version."""
    typer.echo(__version__)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    data_dir: DataDirOption = None,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=256)] = 1,
    migrate: Annotated[bool, typer.Option("--migrate", help="Apply pending migrations first.")] = False,
    ssl_certfile: Annotated[Optional[Path], typer.Option(help="TLS certificate (PEM).", dir_okay=False)] = None,
    ssl_keyfile: Annotated[Optional[Path], typer.Option(help="TLS private key (PEM).", dir_okay=False)] = None,
    forwarded_allow_ips: Annotated[
        Optional[str], typer.Option(help="Proxies trusted for X-Forwarded-For (comma-separated).")
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    access_log: Annotated[bool, typer.Option(help="Log each request (with the client address).")] = True,
) -> None:
    """Run the HTTP server (uvicorn). Refuses an un-migrated database unless --migrate."""
    import uvicorn
    from sqlalchemy.exc import SQLAlchemyError

    from vault_server.migrate import schema_status, upgrade

    settings = load_settings(data_dir)
    engine = open_engine(settings)
    try:
        status = schema_status(engine)
        if not status.up_to_date:
            if not migrate:
                fail(status.describe())
            upgrade(engine)
    except SQLAlchemyError as exc:
        _database_error(exc)
    finally:
        engine.dispose()
    if (ssl_certfile is None) != (ssl_keyfile is None):
        fail("--ssl-certfile and --ssl-keyfile go together")
    os.environ.update(settings.to_env())  # worker processes build their settings from these
    uvicorn.run(
        "vault_server.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
        ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level=log_level,
        access_log=access_log,
        server_header=False,
    )


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDirOption = None) -> None:
    """Apply every pending migration to the database."""
    from sqlalchemy.exc import SQLAlchemyError

    from vault_server.migrate import schema_status, upgrade

    settings = load_settings(data_dir)
    engine = open_engine(settings)
    try:
        before = schema_status(engine)
        if before.up_to_date:
            typer.echo(f"already at revision {before.head}")
            return
        upgrade(engine)
        typer.echo(f"upgraded from revision {before.current or '(empty)'} to {before.head}")
    except SQLAlchemyError as exc:
        _database_error(exc)
    finally:
        engine.dispose()


@db_app.command("current")
def db_current(data_dir: DataDirOption = None) -> None:
    """Show the database's schema revision; exit 1 when it is not the one this server needs."""
    from sqlalchemy.exc import SQLAlchemyError

    from vault_server.migrate import schema_status

    settings = load_settings(data_dir)
    engine = open_engine(settings)
    try:
        status = schema_status(engine)
    except SQLAlchemyError as exc:
        _database_error(exc)
    finally:
        engine.dispose()
    typer.echo(f"current: {status.current or '(none)'}  head: {status.head}")
    if not status.up_to_date:
        typer.echo(status.describe(), err=True)
        raise typer.Exit(1)


@app.command("reset-token")
def reset_token(
    email: Annotated[str, typer.Argument(help="Email of the account to reset.", show_default=False)],
    ttl_minutes: Annotated[int, typer.Option("--ttl-minutes", help="Minutes until the token expires.",
                                             min=1, max=7 * 24 * 60)] = 60,
    data_dir: DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead.")] = False,
) -> None:
    """Issue a one-time, expiring password-reset token for an account.

    It stands in for an emailed link: give it to the account's owner over a channel you trust.
    With it, `bv account reset` replaces every key of the account; the account's personal vaults
    and its memberships are deleted, because nothing on the server can decrypt them. The database
    keeps only the token's SHA-256; a new token replaces the account's unused ones.
    """
    import json
    from datetime import timedelta

    from pydantic import TypeAdapter, ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from vault_server.crud.accounts import get_account_by_email
    from vault_server.crud.resets import issue_token
    from vault_server.database import Database
    from vault_server.migrate import schema_status
    from vault_server.models.base import utcnow
    from vault_server.models.wire import Email

    try:
        address = TypeAdapter(Email).validate_python(email)
    except ValidationError:
        fail("not an email address")
    settings = load_settings(data_dir)
    db = Database.from_settings(settings, open_engine(settings))
    try:
        status = schema_status(db.engine)
        if not status.up_to_date:
            fail(status.describe())
        with db.write() as session:
            account = get_account_by_email(session, address)
            if account is None:
                fail(f"no account with the email {address}")
            token, expires_at = issue_token(session, account.id, timedelta(minutes=ttl_minutes), utcnow())
    except SQLAlchemyError as exc:
        _database_error(exc)
    finally:
        db.dispose()
    expires = expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if as_json:
        typer.echo(json.dumps({"email": address, "account_id": str(account.id), "token": token,
                               "expires_at": expires}))
        return
    typer.echo(f"token: {token}")
    typer.echo(f"expires: {expires}")
    typer.echo(f"One use. The owner of {address} runs: bv account reset --server URL --email {address} --token TOKEN",
               err=True)


@app.command()
def audit(
    data_dir: DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON report instead.")] = False,
) -> None:
    """Check that the database holds only ciphertext, hashes, keys and the metadata listed.

    Lists every table and column with its class of data, checks every value, scans SQLite's
    files for readable text, and says what the operator can see. Exit 1 when anything is flagged.
    """
    import json

    from sqlalchemy.exc import SQLAlchemyError

    from vault_server.audit import AuditError, run_audit

    try:
        report = run_audit(load_settings(data_dir))
    except AuditError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        _database_error(exc)
    typer.echo(json.dumps(report.to_dict(), indent=2) if as_json else "\n".join(report.render_text()))
    if not report.clean:
        raise typer.Exit(1)


@app.command()
def openapi(
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write (default stdout).")] = None,
) -> None:
    """Print the OpenAPI document of API v1 (docs/openapi.json is this output)."""
    from vault_server.openapi import openapi_json

    text = openapi_json()
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


def run() -> None:
    app()

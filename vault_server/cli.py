"""The `bv-server` entry point."""

import typer

app = typer.Typer(name="bv-server", help="Blindvault sync server.", no_args_is_help=True)


@app.command()
def version() -> None:
    """Print the server version."""
    from vault_server import __version__

    typer.echo(__version__)


def run() -> None:
    app()

"""The `bv` entry point."""

import typer

app = typer.Typer(name="bv", help="Blindvault: an end-to-end encrypted password vault.", no_args_is_help=True)


@app.command()
def version() -> None:
    """Print the client version."""
    from vault_client import __version__

    typer.echo(__version__)


def run() -> None:
    app()

"""``python -m vault_server`` is ``bv-server``."""

from vault_server.cli import run

run()

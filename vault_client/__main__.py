"""``python -m vault_client`` is ``bv``."""

from vault_client.cli.fast import main

main()

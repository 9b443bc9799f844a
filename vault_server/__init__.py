"""Blindvault sync server: stores and forwards ciphertext. Never imports vault_client."""

__version__ = "0.1.0"

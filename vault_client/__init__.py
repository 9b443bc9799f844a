"""Blindvault client: everything that touches a key or plaintext."""

__version__ = "0.1.0"

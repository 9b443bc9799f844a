"""Unlocked keys held for the length of one command (or by the agent).

``Keychain`` is the only place outside the crypto core that holds key material. It unwraps vault
keys on demand and caches them; its ``repr`` says nothing about the keys.
"""

from __future__ import annotations

from uuid import UUID

from vault_client import crypto
from vault_client.cache import VaultRow
from vault_client.errors import IntegrityFailure


class Keychain:
    def __init__(self, account_id: UUID, account_key: crypto.SecretBytes, wrapped_private_keys: bytes) -> None:
        self.account_id = account_id
        self._account_key = account_key
        self._wrapped_private_keys = wrapped_private_keys
        self._private_keys: crypto.KeyPairs | None = None
        self._vault_keys: dict[tuple[str, int, bytes], crypto.SecretBytes] = {}

    def __repr__(self) -> str:
        return f"Keychain(account_id={self.account_id}, keys=<redacted>)"

    @property
    def account_key(self) -> crypto.SecretBytes:
        return self._account_key

    def private_keys(self) -> crypto.KeyPairs:
        if self._private_keys is None:
            try:
                self._private_keys = crypto.unwrap_private_keys(
                    self._account_key, self._wrapped_private_keys, self.account_id)
            except crypto.CryptoError:
                raise IntegrityFailure("the account's private keys do not open") from None
        return self._private_keys

    def vault_key(self, vault: VaultRow) -> crypto.SecretBytes:
        return self.open_vault_key(vault.vault_id, vault.key_generation, vault.wrapped_vault_key)

    def open_vault_key(self, vault_id: str, generation: int, wrapped: bytes) -> crypto.SecretBytes:
        cache_key = (vault_id, generation, wrapped)
        key = self._vault_keys.get(cache_key)
        if key is None:
            try:
                key = crypto.unwrap_vault_key(self._account_key, wrapped, UUID(vault_id), generation)
            except crypto.CryptoError:
                raise IntegrityFailure(f"the key of vault {vault_id} does not open") from None
            self._vault_keys[cache_key] = key
        return key

    def wrap_vault_key(self, vault_id: UUID, generation: int, vault_key: crypto.SecretBytes) -> bytes:
        return crypto.wrap_vault_key(self._account_key, vault_key, vault_id, generation)

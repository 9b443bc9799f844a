"""The crypto core's exceptions.

Each class's docstring is the message a user sees. ``CryptoError`` is the single error for every
failed open, unwrap or verification: it deliberately never says which check failed (version byte,
length, authentication tag, signature or MAC), so a hostile server learns nothing from it.
"""

from __future__ import annotations


class _DocstringMessage(Exception):
    """Base: an exception raised without arguments shows its class docstring."""

    def __str__(self) -> str:
        if self.args:
            return str(self.args[0])
        return (type(self).__doc__ or type(self).__name__).strip()


class CryptoError(_DocstringMessage):
    """This data could not be decrypted or verified: it was changed, or the key is wrong."""

    def __init__(self) -> None:
        # No arguments on purpose: the error must not carry any detail about the failed check.
        super().__init__()


class KdfParamsError(_DocstringMessage, ValueError):
    """The key derivation parameters are out of the accepted bounds."""


class SecretKeyFormatError(_DocstringMessage, ValueError):
    """This does not look like a valid key: check it for a mistyped character."""

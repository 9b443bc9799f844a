"""The Secret Key: 128 random bits made on the first device, the second secret of every unlock.

It never leaves the user's devices and the printed Emergency Kit. Because the master secret mixes
it in, nothing the server holds lets anyone test a password guess.
"""

from __future__ import annotations

from . import labels
from .humanform import HumanKey


class SecretKey(HumanKey):
    """A 128-bit Secret Key; ``format()`` gives ``BV1-XXXX-XXXX-...`` (28 symbols in 7 groups)."""

    LENGTH = 16
    PREFIX = "BV1"
    CHECK_LABEL = labels.SECRET_KEY_CHECK
    GROUP = 4
    NOUN = "Secret Key"
    __slots__ = ()

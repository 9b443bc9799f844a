"""Argon2id password hashing with bounded parameters.

Parameters arrive from the server at login, so a hostile server could try to weaken them (to make a
guess cheaper) or inflate them (to make the client hang). :func:`check_kdf_params` refuses both
before any derivation runs.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from argon2 import low_level

from .errors import KdfParamsError
from .secret import random_bytes

SALT_LEN = 16
PASSWORD_KEY_LEN = 32
_FIELDS = ("memory_kib", "iterations", "parallelism")


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: memory in KiB, iterations (time cost), lanes (parallelism)."""

    memory_kib: int
    iterations: int
    parallelism: int

    def to_dict(self) -> dict[str, int]:
        """The wire form: ``{"memory_kib": .., "iterations": .., "parallelism": ..}``."""
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_dict(cls, data: object) -> KdfParams:
        """Parse the wire form; anything but exactly three int fields is a ``KdfParamsError``."""
        if not isinstance(data, dict):
            raise KdfParamsError("KDF parameters must be an object")
        if set(data) != set(_FIELDS):
            raise KdfParamsError("KDF parameters must have exactly: " + ", ".join(_FIELDS))
        for name in _FIELDS:
            value = data[name]
            if not isinstance(value, int) or isinstance(value, bool):
                raise KdfParamsError(f"KDF parameter {name} must be an integer")
        return cls(**{name: data[name] for name in _FIELDS})


DEFAULT_KDF = KdfParams(memory_kib=65536, iterations=3, parallelism=4)  # RFC 9106 second choice
KDF_FLOOR = KdfParams(memory_kib=19456, iterations=2, parallelism=1)  # OWASP minimum
KDF_CEILING = KdfParams(memory_kib=1048576, iterations=10, parallelism=16)  # 1 GiB: no hangs


def check_kdf_params(params: KdfParams, pinned: KdfParams | None = None) -> None:
    """Raise ``KdfParamsError`` unless ``params`` lie within floor and ceiling and not below ``pinned``.

    ``pinned`` is what this device last used successfully: memory and iterations may not drop
    below it (parallelism may differ, within bounds, since it does not change the work).
    """
    if not isinstance(params, KdfParams):
        raise KdfParamsError("KDF parameters must be KdfParams")
    for name in _FIELDS:
        value = getattr(params, name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise KdfParamsError(f"KDF parameter {name} must be an integer")
        low, high = getattr(KDF_FLOOR, name), getattr(KDF_CEILING, name)
        if value < low:
            raise KdfParamsError(f"KDF parameter {name}={value} is below the floor {low}")
        if value > high:
            raise KdfParamsError(f"KDF parameter {name}={value} is above the ceiling {high}")
    if pinned is not None:
        if not isinstance(pinned, KdfParams):
            raise KdfParamsError("pinned KDF parameters must be KdfParams")
        for name in ("memory_kib", "iterations"):
            value, pin = getattr(params, name), getattr(pinned, name)
            if not isinstance(pin, int) or isinstance(pin, bool):
                raise KdfParamsError(f"pinned KDF parameter {name} must be an integer")
            if value < pin:
                raise KdfParamsError(
                    f"KDF parameter {name}={value} is below what this device used before ({pin})"
                )


def check_salt(salt: object) -> bytes:
    """An account or export salt must be exactly 16 bytes."""
    if not isinstance(salt, bytes) or len(salt) != SALT_LEN:
        raise KdfParamsError(f"the salt must be {SALT_LEN} bytes")
    return salt


def new_salt() -> bytes:
    """A fresh random 16-byte salt."""
    return random_bytes(SALT_LEN)


def normalize_password(password: str) -> bytes:
    """The password as Argon2id sees it: Unicode NFKC, then UTF-8."""
    if not isinstance(password, str):
        raise TypeError("password must be str")
    return unicodedata.normalize("NFKC", password).encode("utf-8")


def password_key(password: str, salt: bytes, params: KdfParams, pinned: KdfParams | None) -> bytes:
    """Argon2id(NFKC(password), salt, params) -> 32 bytes, after every bound check."""
    check_kdf_params(params, pinned)
    check_salt(salt)
    secret = normalize_password(password)
    return low_level.hash_secret_raw(
        secret=secret,
        salt=salt,
        time_cost=params.iterations,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=PASSWORD_KEY_LEN,
        type=low_level.Type.ID,
        version=19,
    )

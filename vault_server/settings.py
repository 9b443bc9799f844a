"""Server settings, read from environment variables prefixed ``BV_``.

Nothing is read at import time: ``Settings.from_env()`` is called by the CLI and by the app
factory's entry point, and tests build ``Settings`` directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

SQLITE_FILENAME = "blindvault.db"

# Environment variable -> Settings field. One line per knob; docs/operations.md lists them.
ENV_VARS: dict[str, str] = {
    "BV_DATA_DIR": "data_dir",
    "BV_DATABASE_URL": "database_url",
    "BV_MAX_BODY_BYTES": "max_body_bytes",
    "BV_MAX_ROTATE_BODY_BYTES": "max_rotate_body_bytes",
    "BV_MAX_ATTACHMENT_BYTES": "max_attachment_bytes",
    "BV_SESSION_LIFETIME_SECONDS": "session_lifetime_seconds",
    "BV_ARGON2_TIME_COST": "argon2_time_cost",
    "BV_ARGON2_MEMORY_KIB": "argon2_memory_kib",
    "BV_ARGON2_PARALLELISM": "argon2_parallelism",
    "BV_ARGON2_CONCURRENCY": "argon2_concurrency",
    "BV_LOGIN_FREE_FAILURES": "login_free_failures",
    "BV_LOGIN_LOCKOUT_FAILURES": "login_lockout_failures",
    "BV_ADDRESS_FREE_FAILURES": "address_free_failures",
    "BV_ADDRESS_LOCKOUT_FAILURES": "address_lockout_failures",
    "BV_BACKOFF_BASE_SECONDS": "backoff_base_seconds",
    "BV_BACKOFF_MAX_SECONDS": "backoff_max_seconds",
    "BV_LOCKOUT_SECONDS": "lockout_seconds",
    "BV_FAILURE_WINDOW_SECONDS": "failure_window_seconds",
    "BV_REGISTER_FREE_PER_ADDRESS": "register_free_per_address",
    "BV_REGISTER_LOCKOUT_PER_ADDRESS": "register_lockout_per_address",
}


class SettingsError(ValueError):
    """A BV_ environment variable has a value the server cannot use."""


def default_data_dir() -> Path:
    return platformdirs.user_data_path("bv-server", appauthor=False)


class Settings(BaseModel):
    """Everything the server can be configured with. Defaults suit a small production server."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = Field(default=None, max_length=2048)
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=4096, le=1024 * 1024 * 1024)
    # A key rotation re-seals every item of a vault in one request.
    max_rotate_body_bytes: int = Field(default=64 * 1024 * 1024, ge=4096, le=4 * 1024 * 1024 * 1024)
    # Largest attachment plaintext; the sealed upload may be up to 64 KiB larger.
    max_attachment_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    session_lifetime_seconds: int = Field(default=30 * 24 * 3600, ge=60, le=366 * 24 * 3600)
    # Argon2id for hashing auth keys (argon2-cffi's defaults). The auth key is 256 random bits,
    # so the hash only has to make a stolen table useless as a login credential.
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_kib: int = Field(default=65536, ge=8, le=4 * 1024 * 1024)
    argon2_parallelism: int = Field(default=4, ge=1, le=64)
    argon2_concurrency: int = Field(default=1, ge=1, le=256)
    # Failed-login throttling (see vault_server/throttle.py for the schedule).
    login_free_failures: int = Field(default=5, ge=1, le=1000)
    login_lockout_failures: int = Field(default=20, ge=1, le=100000)
    address_free_failures: int = Field(default=20, ge=1, le=1000)
    address_lockout_failures: int = Field(default=100, ge=1, le=100000)
    backoff_base_seconds: float = Field(default=1.0, ge=0.0, le=3600.0)
    backoff_max_seconds: float = Field(default=300.0, ge=0.0, le=86400.0)
    lockout_seconds: float = Field(default=900.0, ge=0.0, le=7 * 86400.0)
    failure_window_seconds: float = Field(default=3600.0, ge=1.0, le=30 * 86400.0)
    # Registrations per client address in the window: free, then back-off, then lockout.
    register_free_per_address: int = Field(default=10, ge=1, le=100000)
    register_lockout_per_address: int = Field(default=30, ge=1, le=1000000)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``BV_*`` variables (``environ`` defaults to ``os.environ``)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {
            field: env[var] for var, field in ENV_VARS.items() if env.get(var, "") != ""
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else "?"
            var = next((v for v, f in ENV_VARS.items() if f == field), field)
            raise SettingsError(f"{var}: {first['msg']}") from None

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / SQLITE_FILENAME

    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL: BV_DATABASE_URL, or the SQLite file in the data directory."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{self.sqlite_path}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(seconds=self.session_lifetime_seconds)

    def to_env(self) -> dict[str, str]:
        """The BV_* variables that reproduce these settings (for worker processes)."""
        out: dict[str, str] = {}
        for var, field in ENV_VARS.items():
            value = getattr(self, field)
            if value is not None:
                out[var] = str(value)
        return out

    def __repr_args__(self):  # type: ignore[override]
        for name, value in super().__repr_args__():
            yield name, ("<redacted>" if name == "database_url" and value else value)

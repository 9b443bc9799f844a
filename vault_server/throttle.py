"""Failed-login throttling per account and per client address, kept in the database.

Schedule for one key (account or address): the first ``free`` failures cost nothing; from then
on each failure blocks the key for ``base * 2^(n - free)`` seconds (capped at ``max_backoff``);
at ``lockout`` failures the key is refused for ``lockout_seconds``. Failures older than the
window are forgotten. A blocked key gets 429 ``rate_limited`` before any password check, so
a correct auth key does not help while blocked. A successful login clears the account's counter
(not the address's). Keys are HMACs under a server secret: the table holds no emails or IP
addresses.

The same counters guard every endpoint that checks a secret: recovery (``/recovery/fetch`` and
``/recovery/complete``) and reset tokens count per account under their own scope, so guessing
there does not lock the owner out of logging in, and per address in the one address counter.
Registrations are counted per address too (every attempt, successful or not), with their own
free allowance and lockout (``BV_REGISTER_*``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection
from sqlmodel import Session

from vault_server.crud import throttle as queries
from vault_server.security import LABEL_THROTTLE_ACCOUNT, LABEL_THROTTLE_ADDRESS, keyed_hash
from vault_server.settings import Settings

# Scopes of the per-account counters.
LOGIN = "acct"
RECOVERY = "rcvr"
RESET = "rset"
_SCOPES = (LOGIN, RECOVERY, RESET)


@dataclass(frozen=True)
class ThrottlePolicy:
    free: int
    lockout: int
    base_seconds: float
    max_backoff_seconds: float
    lockout_seconds: float
    window_seconds: float

    def delay(self, failures: int) -> float:
        """Seconds a key is blocked after its ``failures``-th failure in the window."""
        if failures >= self.lockout:
            return self.lockout_seconds
        if failures < self.free:
            return 0.0
        return min(self.base_seconds * 2 ** (failures - self.free), self.max_backoff_seconds)


class LoginThrottler:
    """Reads and updates the counters for one (email, address) pair of a login attempt."""

    def __init__(self, settings: Settings, secret: bytes):
        common = dict(
            base_seconds=settings.backoff_base_seconds,
            max_backoff_seconds=settings.backoff_max_seconds,
            lockout_seconds=settings.lockout_seconds,
            window_seconds=settings.failure_window_seconds,
        )
        self.account_policy = ThrottlePolicy(
            free=settings.login_free_failures, lockout=settings.login_lockout_failures, **common
        )
        self.address_policy = ThrottlePolicy(
            free=settings.address_free_failures, lockout=settings.address_lockout_failures, **common
        )
        self.register_policy = ThrottlePolicy(
            free=settings.register_free_per_address, lockout=settings.register_lockout_per_address, **common
        )
        self._secret = secret

    def __repr__(self) -> str:
        return "LoginThrottler()"

    def account_key(self, email: str, scope: str = LOGIN) -> str:
        if scope not in _SCOPES:
            raise ValueError("unknown throttle scope")
        return f"{scope}:" + keyed_hash(self._secret, LABEL_THROTTLE_ACCOUNT, email).hex()[:64]

    def address_key(self, address: str) -> str:
        return "addr:" + keyed_hash(self._secret, LABEL_THROTTLE_ADDRESS, address).hex()[:64]

    def register_key(self, address: str) -> str:
        return "reg:" + keyed_hash(self._secret, LABEL_THROTTLE_ADDRESS, address).hex()[:64]

    def seconds_blocked(self, session: Session | Connection, email: str, address: str, now: datetime,
                        scope: str = LOGIN) -> float:
        keys = [self.account_key(email, scope), self.address_key(address)]
        return queries.seconds_blocked(session, keys, now)

    def record_failure(self, session: Session, email: str, address: str, now: datetime,
                       scope: str = LOGIN) -> None:
        for key, policy in ((self.account_key(email, scope), self.account_policy),
                            (self.address_key(address), self.address_policy)):
            self._count(session, key, policy, now)

    def record_success(self, session: Session | Connection, email: str, scope: str = LOGIN) -> None:
        queries.clear_failures(session, self.account_key(email, scope))

    def registration_blocked(self, session: Session, address: str, now: datetime) -> float:
        return queries.seconds_blocked(session, [self.register_key(address)], now)

    def record_registration(self, session: Session, address: str, now: datetime) -> None:
        self._count(session, self.register_key(address), self.register_policy, now)

    @staticmethod
    def _count(session: Session, key: str, policy: ThrottlePolicy, now: datetime) -> None:
        failures = queries.add_failure(session, key, now, timedelta(seconds=policy.window_seconds))
        delay = policy.delay(failures)
        if delay > 0:
            queries.block_until(session, key, now + timedelta(seconds=delay))

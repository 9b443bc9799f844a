"""Queries on accounts: registration, lookup, password change, recovery records, key reset."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, Row, bindparam, update
from sqlmodel import Session, select

from vault_server.models import (
    Account,
    AccountCreate,
    AccountPublic,
    Bundle,
    KdfParams,
    PasswordChange,
    RecoveryComplete,
    ResetComplete,
)
from vault_server.models.base import utcnow


def get_account(session: Session, account_id: uuid.UUID) -> Account | None:
    return session.get(Account, account_id)


def get_account_by_email(session: Session, email: str) -> Account | None:
    return session.exec(select(Account).where(Account.email == email)).first()


_ACCOUNT_BY_EMAIL = select(Account.__table__).where(Account.__table__.c.email == bindparam("email"))


def account_row_by_email(conn: Connection, email: str) -> Row | None:
    """``get_account_by_email`` for a bare connection (a login): the row, no ORM object. It has
    the same attributes, so ``account_public`` takes either."""
    return conn.execute(_ACCOUNT_BY_EMAIL, {"email": email}).first()


def email_exists(session: Session, email: str) -> bool:
    return session.exec(select(Account.id).where(Account.email == email)).first() is not None


def insert_account(session: Session, data: AccountCreate, auth_hash: str) -> Account:
    account = Account(
        id=data.account_id,
        email=data.email,
        salt=data.salt,
        kdf_memory_kib=data.kdf.memory_kib,
        kdf_iterations=data.kdf.iterations,
        kdf_parallelism=data.kdf.parallelism,
        auth_hash=auth_hash,
        wrapped_account_key=data.wrapped_account_key,
        wrapped_private_keys=data.wrapped_private_keys,
        identity_public=data.bundle.identity_public,
        sharing_public=data.bundle.sharing_public,
        bundle_signature=data.bundle.signature,
    )
    session.add(account)
    session.flush()
    return account


def change_password(session: Session, account_id: uuid.UUID, expected_auth_hash: str,
                    change: PasswordChange, new_auth_hash: str) -> bool:
    """Swap salt, KDF parameters, auth hash and wrapped account key in one statement.

    Compare-and-swap on the auth hash the caller verified: False when another password change
    won the race (nothing is changed then).
    """
    result = session.execute(
        update(Account)
        .where(Account.id == account_id, Account.auth_hash == expected_auth_hash)
        .values(**_password_material(change, new_auth_hash))
    )
    return result.rowcount == 1


def _password_material(change, new_auth_hash: str) -> dict:  # noqa: ANN001 - password change or recovery
    """The columns a new password replaces: salt, KDF parameters, auth hash, wrapped account key."""
    return {"salt": change.salt, "kdf_memory_kib": change.kdf.memory_kib,
            "kdf_iterations": change.kdf.iterations, "kdf_parallelism": change.kdf.parallelism,
            "auth_hash": new_auth_hash, "wrapped_account_key": change.wrapped_account_key,
            "updated_at": utcnow()}


def recover_password(session: Session, account_id: uuid.UUID, expected_verifier_hash: str,
                     change: RecoveryComplete, new_auth_hash: str) -> bool:
    """New password material after a recovery-code check; compare-and-swap on the verifier hash
    that was checked (False: the recovery record changed meanwhile, nothing is changed)."""
    result = session.execute(
        update(Account)
        .where(Account.id == account_id, Account.recovery_verifier_hash == expected_verifier_hash)
        .values(**_password_material(change, new_auth_hash))
    )
    return result.rowcount == 1


def set_recovery(session: Session, account_id: uuid.UUID, verifier_hash: str | None,
                 wrapped_account_key: bytes | None) -> None:
    """Create, replace (both values) or remove (both None) the account's recovery record."""
    session.execute(
        update(Account).where(Account.id == account_id).values(
            recovery_verifier_hash=verifier_hash, recovery_wrapped_account_key=wrapped_account_key,
            updated_at=utcnow(),
        )
    )


def replace_keys(session: Session, account_id: uuid.UUID, data: ResetComplete, auth_hash: str) -> None:
    """A reset: every key of the account is new (same id and email); no recovery record."""
    session.execute(
        update(Account).where(Account.id == account_id).values(
            salt=data.salt,
            kdf_memory_kib=data.kdf.memory_kib,
            kdf_iterations=data.kdf.iterations,
            kdf_parallelism=data.kdf.parallelism,
            auth_hash=auth_hash,
            wrapped_account_key=data.wrapped_account_key,
            wrapped_private_keys=data.wrapped_private_keys,
            identity_public=data.bundle.identity_public,
            sharing_public=data.bundle.sharing_public,
            bundle_signature=data.bundle.signature,
            recovery_wrapped_account_key=None,
            recovery_verifier_hash=None,
            updated_at=utcnow(),
        )
    )


def account_public(account: Account | Row) -> AccountPublic:
    return AccountPublic(
        account_id=account.id,
        email=account.email,
        salt=account.salt,
        kdf=kdf_of(account),
        wrapped_account_key=account.wrapped_account_key,
        wrapped_private_keys=account.wrapped_private_keys,
        bundle=bundle_of(account),
        recovery_enabled=account.recovery_wrapped_account_key is not None,
    )


def kdf_of(account: Account | Row) -> KdfParams:
    return KdfParams(
        memory_kib=account.kdf_memory_kib,
        iterations=account.kdf_iterations,
        parallelism=account.kdf_parallelism,
    )


def bundle_of(account: Account | Row) -> Bundle:
    return Bundle(
        identity_public=account.identity_public,
        sharing_public=account.sharing_public,
        signature=account.bundle_signature,
    )

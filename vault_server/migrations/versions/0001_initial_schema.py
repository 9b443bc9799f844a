"""initial schema: accounts, sessions, vaults, members, items, throttles, secrets

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('salt', sa.LargeBinary(), nullable=False),
    sa.Column('kdf_memory_kib', sa.Integer(), nullable=False),
    sa.Column('kdf_iterations', sa.Integer(), nullable=False),
    sa.Column('kdf_parallelism', sa.Integer(), nullable=False),
    sa.Column('auth_hash', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('wrapped_account_key', sa.LargeBinary(), nullable=False),
    sa.Column('wrapped_private_keys', sa.LargeBinary(), nullable=False),
    sa.Column('identity_public', sa.LargeBinary(), nullable=False),
    sa.Column('sharing_public', sa.LargeBinary(), nullable=False),
    sa.Column('bundle_signature', sa.LargeBinary(), nullable=False),
    sa.Column('recovery_wrapped_account_key', sa.LargeBinary(), nullable=True),
    sa.Column('recovery_verifier_hash', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_email'), ['email'], unique=True)

    op.create_table('login_throttles',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('failures', sa.BigInteger(), nullable=False),
    sa.Column('last_failure_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('blocked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttles'))
    )
    op.create_table('server_secrets',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('value', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_server_secrets'))
    )
    op.create_table('vaults',
    sa.Column('key_generation', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('manifest_version', sa.BigInteger(), nullable=False),
    sa.Column('manifest_mac', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vaults'))
    )
    op.create_table('device_sessions',
    sa.Column('device_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_device_sessions_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_sessions'))
    )
    with op.batch_alter_table('device_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_sessions_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_sessions_token_hash'), ['token_hash'], unique=True)

    op.create_table('items',
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.Column('vault_id', sa.Uuid(), nullable=False),
    sa.Column('item_id', sa.Uuid(), nullable=False),
    sa.Column('blob', sa.LargeBinary(), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['vault_id'], ['vaults.id'], name=op.f('fk_items_vault_id_vaults'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vault_id', 'item_id', name=op.f('pk_items'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index('ix_items_vault_id_seq', ['vault_id', 'seq'], unique=False)

    op.create_table('vault_members',
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('key_generation', sa.Integer(), nullable=False),
    sa.Column('vault_id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('wrapped_vault_key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("role IN ('owner', 'editor', 'viewer')", name=op.f('ck_vault_members_role')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_vault_members_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vault_id'], ['vaults.id'], name=op.f('fk_vault_members_vault_id_vaults'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vault_id', 'account_id', name=op.f('pk_vault_members'))
    )
    with op.batch_alter_table('vault_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vault_members_account_id'), ['account_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('vault_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vault_members_account_id'))

    op.drop_table('vault_members')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_vault_id_seq')

    op.drop_table('items')
    with op.batch_alter_table('device_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_sessions_token_hash'))
        batch_op.drop_index(batch_op.f('ix_device_sessions_account_id'))

    op.drop_table('device_sessions')
    op.drop_table('vaults')
    op.drop_table('server_secrets')
    op.drop_table('login_throttles')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_email'))

    op.drop_table('accounts')

"""recovery and reset tokens: the reset_tokens table

The recovery columns of accounts (recovery_wrapped_account_key, recovery_verifier_hash) exist
since 0001; this adds the operator's one-time reset tokens (stored as SHA-256).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reset_tokens',
    sa.Column('token_hash', sa.LargeBinary(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_reset_tokens_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_reset_tokens'))
    )
    with op.batch_alter_table('reset_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reset_tokens_account_id'), ['account_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reset_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reset_tokens_account_id'))
    op.drop_table('reset_tokens')

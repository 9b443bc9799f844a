"""attachments: sealed files per vault (envelope kind 0x09)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attachments',
    sa.Column('vault_id', sa.Uuid(), nullable=False),
    sa.Column('attachment_id', sa.Uuid(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('blob', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['vault_id'], ['vaults.id'], name=op.f('fk_attachments_vault_id_vaults'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vault_id', 'attachment_id', name=op.f('pk_attachments'))
    )


def downgrade() -> None:
    op.drop_table('attachments')

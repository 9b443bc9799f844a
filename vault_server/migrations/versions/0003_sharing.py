"""sharing: invitations; pending grants on memberships; members_version on vaults

vault_members.wrapped_vault_key becomes nullable (a member whose copy awaits re-wrap after a
rotation holds a pending_grant instead).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invitations',
    sa.Column('vault_id', sa.Uuid(), nullable=False),
    sa.Column('invitee_id', sa.Uuid(), nullable=False),
    sa.Column('inviter_id', sa.Uuid(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('key_generation', sa.Integer(), nullable=False),
    sa.Column('grant', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("role IN ('owner', 'editor', 'viewer')", name=op.f('ck_invitations_role')),
    sa.ForeignKeyConstraint(['invitee_id'], ['accounts.id'], name=op.f('fk_invitations_invitee_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['inviter_id'], ['accounts.id'], name=op.f('fk_invitations_inviter_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vault_id'], ['vaults.id'], name=op.f('fk_invitations_vault_id_vaults'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vault_id', 'invitee_id', name=op.f('pk_invitations'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_invitee_id'), ['invitee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitations_inviter_id'), ['inviter_id'], unique=False)

    with op.batch_alter_table('vault_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_grant', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('granted_by', sa.Uuid(), nullable=True))
        batch_op.alter_column('wrapped_vault_key', existing_type=sa.LargeBinary(), nullable=True)

    # Existing vaults start at 0; the server default stays, harmless, so no table rebuild is needed.
    with op.batch_alter_table('vaults', schema=None) as batch_op:
        batch_op.add_column(sa.Column('members_version', sa.BigInteger(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('vaults', schema=None) as batch_op:
        batch_op.drop_column('members_version')

    op.execute("DELETE FROM vault_members WHERE wrapped_vault_key IS NULL")
    with op.batch_alter_table('vault_members', schema=None) as batch_op:
        batch_op.alter_column('wrapped_vault_key', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('granted_by')
        batch_op.drop_column('pending_grant')

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_inviter_id'))
        batch_op.drop_index(batch_op.f('ix_invitations_invitee_id'))
    op.drop_table('invitations')

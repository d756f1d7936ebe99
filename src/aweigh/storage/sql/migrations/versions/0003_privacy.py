"""Privacy: audit log, dataset status and subjects, version policies

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 03:29:00.578064
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import aweigh.storage.sql.schema


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('aweigh_audit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', aweigh.storage.sql.schema.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=256), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=128), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aweigh_audit'))
    )
    with op.batch_alter_table('aweigh_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aweigh_audit_action_id'), ['action', 'id'], unique=False)

    with op.batch_alter_table('aweigh_dataset_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=32), nullable=False, server_default='ok'))
        batch_op.add_column(sa.Column('subjects', sa.JSON(), nullable=True))

    with op.batch_alter_table('aweigh_model_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('privacy_policy', sa.JSON(), nullable=True))




def downgrade() -> None:

    with op.batch_alter_table('aweigh_model_versions', schema=None) as batch_op:
        batch_op.drop_column('privacy_policy')

    with op.batch_alter_table('aweigh_dataset_versions', schema=None) as batch_op:
        batch_op.drop_column('subjects')
        batch_op.drop_column('status')

    with op.batch_alter_table('aweigh_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aweigh_audit_action_id'))

    op.drop_table('aweigh_audit')


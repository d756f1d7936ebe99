"""Dataset versions, model contracts and lineage

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 02:58:11.022036
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import aweigh.storage.sql.schema


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('aweigh_datasets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('next_version', sa.Integer(), nullable=False),
    sa.Column('created_at', aweigh.storage.sql.schema.UTCDateTime(), nullable=False),
    sa.Column('updated_at', aweigh.storage.sql.schema.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aweigh_datasets')),
    sa.UniqueConstraint('name', name=op.f('uq_aweigh_datasets_name'))
    )
    op.create_table('aweigh_dataset_versions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.BigInteger(), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('contract', sa.JSON(), nullable=False),
    sa.Column('profile', sa.JSON(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=256), nullable=False),
    sa.Column('created_at', aweigh.storage.sql.schema.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['aweigh_datasets.id'], name=op.f('fk_aweigh_dataset_versions_dataset_id_aweigh_datasets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aweigh_dataset_versions')),
    sa.UniqueConstraint('dataset_id', 'version', name=op.f('uq_aweigh_dataset_versions_dataset_id_version'))
    )
    with op.batch_alter_table('aweigh_dataset_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aweigh_dataset_versions_sha256'), ['sha256'], unique=False)

    with op.batch_alter_table('aweigh_model_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contract', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('dataset_name', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('dataset_version', sa.Integer(), nullable=True))




def downgrade() -> None:

    with op.batch_alter_table('aweigh_model_versions', schema=None) as batch_op:
        batch_op.drop_column('dataset_version')
        batch_op.drop_column('dataset_name')
        batch_op.drop_column('contract')

    with op.batch_alter_table('aweigh_dataset_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aweigh_dataset_versions_sha256'))

    op.drop_table('aweigh_dataset_versions')
    op.drop_table('aweigh_datasets')


"""Initial schema: models, versions, aliases and the alias history

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-29 02:22:19.571566
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import aweigh.storage.sql.schema


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('aweigh_models',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('next_version', sa.Integer(), nullable=False),
    sa.Column('created_at', aweigh.storage.sql.schema.UTCDateTime(), nullable=False),
    sa.Column('updated_at', aweigh.storage.sql.schema.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aweigh_models')),
    sa.UniqueConstraint('name', name=op.f('uq_aweigh_models_name'))
    )
    op.create_table('aweigh_alias_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=128), nullable=False),
    sa.Column('from_version', sa.Integer(), nullable=True),
    sa.Column('to_version', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=256), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', aweigh.storage.sql.schema.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['aweigh_models.id'], name=op.f('fk_aweigh_alias_events_model_id_aweigh_models'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aweigh_alias_events'))
    )
    with op.batch_alter_table('aweigh_alias_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aweigh_alias_events_model_id_alias_id'), ['model_id', 'alias', 'id'], unique=False)

    op.create_table('aweigh_aliases',
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', aweigh.storage.sql.schema.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=256), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['aweigh_models.id'], name=op.f('fk_aweigh_aliases_model_id_aweigh_models'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('model_id', 'alias', name=op.f('pk_aweigh_aliases'))
    )
    op.create_table('aweigh_model_versions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('flavor', sa.String(length=32), nullable=False),
    sa.Column('artifact_size', sa.BigInteger(), nullable=False),
    sa.Column('signature', sa.JSON(), nullable=False),
    sa.Column('output', sa.JSON(), nullable=False),
    sa.Column('data_fingerprint', sa.JSON(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('code_version', sa.String(length=128), nullable=True),
    sa.Column('parent_model', sa.String(length=128), nullable=True),
    sa.Column('parent_version', sa.Integer(), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=256), nullable=False),
    sa.Column('runtime', sa.JSON(), nullable=False),
    sa.Column('created_at', aweigh.storage.sql.schema.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['aweigh_models.id'], name=op.f('fk_aweigh_model_versions_model_id_aweigh_models'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aweigh_model_versions')),
    sa.UniqueConstraint('model_id', 'version', name=op.f('uq_aweigh_model_versions_model_id_version'))
    )
    with op.batch_alter_table('aweigh_model_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aweigh_model_versions_sha256'), ['sha256'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('aweigh_model_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aweigh_model_versions_sha256'))

    op.drop_table('aweigh_model_versions')
    op.drop_table('aweigh_aliases')
    with op.batch_alter_table('aweigh_alias_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aweigh_alias_events_model_id_alias_id'))

    op.drop_table('aweigh_alias_events')
    op.drop_table('aweigh_models')


"""Monitoring: monitor results and alerts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 04:45:50.758369
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import aweigh.storage.sql.schema


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('aweigh_alerts',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=512), nullable=False),
    sa.Column('rule', sa.String(length=128), nullable=False),
    sa.Column('model', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('metric', sa.String(length=256), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('condition', sa.String(length=256), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('started_at', aweigh.storage.sql.schema.UTCDateTime(), nullable=False),
    sa.Column('updated_at', aweigh.storage.sql.schema.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', aweigh.storage.sql.schema.UTCDateTime(), nullable=True),
    sa.Column('labels', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aweigh_alerts'))
    )
    with op.batch_alter_table('aweigh_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aweigh_alerts_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_aweigh_alerts_model_started_at'), ['model', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_aweigh_alerts_state_started_at'), ['state', 'started_at'], unique=False)

    op.create_table('aweigh_monitor_records',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('model', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('window_start', aweigh.storage.sql.schema.UTCDateTime(), nullable=False),
    sa.Column('window_end', aweigh.storage.sql.schema.UTCDateTime(), nullable=False),
    sa.Column('created_at', aweigh.storage.sql.schema.UTCDateTime(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aweigh_monitor_records')),
    sa.UniqueConstraint('model', 'version', 'kind', 'window_start', 'window_end', name='uq_aweigh_monitor_records_window')
    )
    with op.batch_alter_table('aweigh_monitor_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aweigh_monitor_records_model_window_end'), ['model', 'window_end'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('aweigh_monitor_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aweigh_monitor_records_model_window_end'))

    op.drop_table('aweigh_monitor_records')
    with op.batch_alter_table('aweigh_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aweigh_alerts_state_started_at'))
        batch_op.drop_index(batch_op.f('ix_aweigh_alerts_model_started_at'))
        batch_op.drop_index(batch_op.f('ix_aweigh_alerts_key'))

    op.drop_table('aweigh_alerts')


"""Reminders: the supervisor's once-a-day "remind" per action list; base sessions rescheduled or cancelled

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 20:30:00

list_reminder records each "提醒未完成的党员" (list kind, node, filters, local day, who, note, how many);
its unique constraint keeps a list to one reminder a day. base_session gets a version (counted up on
each change of time: the key of the message to those signed up) and cancelled_at.
"""
import sqlalchemy as sa
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'list_reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('list_kind', sa.String(length=20), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('filters_key', sa.String(length=100), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('sent_by_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.Column('recipients', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organization.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sent_by_id'], ['user_account.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('list_kind', 'org_id', 'filters_key', 'day', name='uq_list_reminder_day'),
    )
    op.create_index('ix_list_reminder_org_id', 'list_reminder', ['org_id'])
    with op.batch_alter_table('base_session') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('base_session') as batch:
        batch.drop_column('cancelled_at')
        batch.drop_column('version')
    op.drop_index('ix_list_reminder_org_id', table_name='list_reminder')
    op.drop_table('list_reminder')

"""index a member's ledger by year

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 06:02:00

A member's hours of the year (their learning page) read through the year index on SQLite, which
holds the whole year's ledger: 225 ms at 100,000 members instead of well under 1 ms.
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('study_hours_entry', schema=None) as batch_op:
        batch_op.create_index('ix_study_hours_entry_user_id_year', ['user_id', 'year'], unique=False)


def downgrade():
    with op.batch_alter_table('study_hours_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_study_hours_entry_user_id_year')

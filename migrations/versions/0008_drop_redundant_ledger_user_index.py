"""drop the ledger's single-column member index

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 15:15:00

Two indexes already lead with the member (the member's year, and one credit per source), so the
index on the member alone only cost every credited hour one more index write.
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('study_hours_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_study_hours_entry_user_id')


def downgrade():
    with op.batch_alter_table('study_hours_entry', schema=None) as batch_op:
        batch_op.create_index('ix_study_hours_entry_user_id', ['user_id'], unique=False)

"""drop lesson_progress.view_started_at

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 13:30:00

Reading time was counted from the moment a lesson's page was opened (view_started_at). It is now
credited against the member's one study clock (migration 0011) from the lesson's last credit, so
nothing reads the column any more.
"""
import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lesson_progress') as batch_op:
        batch_op.drop_column('view_started_at')


def downgrade():
    with op.batch_alter_table('lesson_progress') as batch_op:
        batch_op.add_column(sa.Column('view_started_at', sa.DateTime(timezone=True), nullable=True))

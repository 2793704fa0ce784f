"""one study clock per member

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:00:00

Media and reading time were credited against a clock per lesson, so two videos played side by side
earned twice the wall clock. Every member now has one clock (courses.models.StudyClock), created on
their first progress report: no rows to start with.
"""
import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('study_clock',
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('credited_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_study_clock_user_id_user_account'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_study_clock'))
    )


def downgrade():
    op.drop_table('study_clock')

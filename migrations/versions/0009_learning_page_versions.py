"""counters that say when a member's learning page must be rendered again

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 17:45:00

One row per member whose learning changed (scope = user id) and one shared by every member (scope 0),
bumped in the transaction that makes the change (courses.page_cache). No rows to start with: a
missing row reads as version 0.
"""
import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('page_version',
    sa.Column('scope', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_page_version'))
    )


def downgrade():
    op.drop_table('page_version')

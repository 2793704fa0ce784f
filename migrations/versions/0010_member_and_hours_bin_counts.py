"""members and the study-hours histogram counted per organisation

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 00:30:00

The dashboard's member figures and hours histogram grouped every member's yearly hours (100,000
rows for a whole tree of 100,000 members); they now read counts kept per organisation, category,
year and hours bin (analytics/counts.py).
"""
import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('member_count',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_member_count_org_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'category', name=op.f('pk_member_count'))
    )
    op.create_table('hours_bin_count',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('bin', sa.Integer(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('meeting', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=12, scale=1), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_hours_bin_count_org_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'year', 'category', 'bin', name=op.f('pk_hours_bin_count'))
    )
    # A database that already holds members gets the counts now, in the migration's transaction.
    from sqlalchemy.orm import Session

    from analytics.counts import recompute_hours_bins, recompute_members
    session = Session(bind=op.get_bind())
    recompute_members(session)
    recompute_hours_bins(session)
    session.flush()


def downgrade():
    op.drop_table('hours_bin_count')
    op.drop_table('member_count')

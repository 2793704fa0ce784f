"""Background jobs: one row per long piece of work (a roster import, a count rebuild) with its progress and result

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 20:20:00

The queue itself lives outside this database (instance/jobs.sqlite3, or Redis with JOBS_URL).
"""
import sqlalchemy as sa
from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('started_by_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', name='jobstate', native_enum=False,
                                   length=20), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['started_by_id'], ['user_account.id'],
                                name=op.f('fk_job_run_started_by_id_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_run')),
    )
    op.create_index('ix_job_run_started_by', 'job_run', ['started_by_id', 'created_at'])


def downgrade():
    op.drop_index('ix_job_run_started_by', table_name='job_run')
    op.drop_table('job_run')

"""大字模式: each account's choice of large text

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 14:30:00

Older members turn large text on once and keep it on every device, so it is kept on the account,
not in a cookie. Off for everyone until they choose it.
"""
import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.add_column(sa.Column('large_text', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.drop_column('large_text')

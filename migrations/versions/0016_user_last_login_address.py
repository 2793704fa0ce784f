"""the address of each account's last successful login

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 13:45:00

The account-wide lockout ceiling does not apply where the account last signed in, so attackers
elsewhere cannot lock the owner out (learning_app.auth.lockout). Unknown until the next login.
"""
import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.add_column(sa.Column('last_login_address', sa.String(length=45), nullable=True))


def downgrade():
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.drop_column('last_login_address')

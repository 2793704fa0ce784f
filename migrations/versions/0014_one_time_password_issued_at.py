"""when a one-time password was issued, so that an unused one expires

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 12:00:00

An unused one-time password stayed valid for ever; it now expires ONE_TIME_PASSWORD_DAYS after it
was issued. When the ones already issued were issued is not known: they count from this upgrade,
so that no member is refused at first login without an administrator having had notice.
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('one_time_password_issued_at', sa.DateTime(timezone=True), nullable=True))
    user = sa.table('user_account', sa.column('must_change_password', sa.Boolean()),
                    sa.column('password_hash', sa.String()),
                    sa.column('one_time_password_issued_at', sa.DateTime(timezone=True)))
    op.execute(user.update().where(user.c.must_change_password.is_(True), user.c.password_hash != '')
               .values(one_time_password_issued_at=datetime.now(timezone.utc)))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('one_time_password_issued_at')
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite rebuilt the table, and the rebuild does not carry an index on an expression over.
        op.create_index('uq_user_account_login_id_lower', 'user_account', [sa.text('lower(login_id)')], unique=True)

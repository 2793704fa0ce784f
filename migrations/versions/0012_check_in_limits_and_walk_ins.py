"""wrong check-in codes counted per member and per session; sessions that accept walk-ins

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 10:00:00

Guessing check-in codes met no limit. Each member's wrong codes for a session are counted in
check_in_tries, the session's in base_session.wrong_codes (courses.bases.services.check_in).
A member who never signed up was checked in and credited: now only at a session whose
accepts_walk_ins is set; existing sessions do not accept walk-ins.
"""
import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('check_in_tries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('wrong_codes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['base_session.id'], name=op.f('fk_check_in_tries_session_id_base_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_check_in_tries_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in_tries')),
    sa.UniqueConstraint('session_id', 'user_id', name='uq_check_in_tries_session_user')
    )
    with op.batch_alter_table('check_in_tries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_in_tries_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('base_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accepts_walk_ins', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('wrong_codes', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('base_session', schema=None) as batch_op:
        batch_op.drop_column('wrong_codes')
        batch_op.drop_column('accepts_walk_ins')
    with op.batch_alter_table('check_in_tries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_in_tries_user_id'))
    op.drop_table('check_in_tries')

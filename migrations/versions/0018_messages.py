"""站内信: messages to members and their deliveries by email, SMS and WeChat; members' channels

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 20:30:00

Each message is stored once per recipient, in their language, with one delivery row per external
channel; (recipient, key) and (message, channel) are unique, so no event messages a member twice
and no channel sends a message twice.
"""
import sqlalchemy as sa
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

KINDS = ('course_assigned', 'deadline_ahead', 'quiz_opens', 'quiz_closes', 'session_tomorrow', 'session_changed',
         'session_cancelled', 'notice', 'review_outcome', 'review_waiting', 'reminder')


def upgrade():
    op.create_table(
        'message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recipient_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum(*KINDS, name='messagekind', native_enum=False, length=20), nullable=False),
        sa.Column('dedupe_key', sa.String(length=120), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('link', sa.String(length=300), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['recipient_id'], ['user_account.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('recipient_id', 'dedupe_key', name='uq_message_recipient_key'),
    )
    op.create_index('ix_message_recipient_unread', 'message', ['recipient_id', 'read_at'])
    op.create_index('ix_message_created_at', 'message', ['created_at'])
    op.create_table(
        'message_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('recipient_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.Enum('email', 'sms', 'wechat', name='channel', native_enum=False, length=20),
                  nullable=False),
        sa.Column('status', sa.Enum('pending', 'sent', 'failed', name='deliverystatus', native_enum=False,
                                    length=20), nullable=False),
        sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('send_key', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['message_id'], ['message.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recipient_id'], ['user_account.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('message_id', 'channel', name='uq_delivery_message_channel'),
    )
    op.create_index('ix_delivery_due', 'message_delivery', ['status', 'not_before'])
    op.create_index('ix_delivery_recipient_channel', 'message_delivery', ['recipient_id', 'channel', 'sent_at'])
    op.create_index('ix_message_delivery_send_key', 'message_delivery', ['send_key'])
    op.create_table(
        'message_settings',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('wechat_openid', sa.String(length=64), nullable=True),
        sa.Column('email_on', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('sms_on', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('wechat_on', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )


def downgrade():
    op.drop_table('message_settings')
    op.drop_index('ix_message_delivery_send_key', table_name='message_delivery')
    op.drop_index('ix_delivery_recipient_channel', table_name='message_delivery')
    op.drop_index('ix_delivery_due', table_name='message_delivery')
    op.drop_table('message_delivery')
    op.drop_index('ix_message_created_at', table_name='message')
    op.drop_index('ix_message_recipient_unread', table_name='message')
    op.drop_table('message')

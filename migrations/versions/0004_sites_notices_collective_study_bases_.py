"""sites, notices, collective study, bases, sessions, attendance

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 01:19:20.394816

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('base',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('education', 'training', 'red_heritage', 'practice', name='basekind', native_enum=False, length=20), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('contact', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_base_org_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_base'))
    )
    with op.batch_alter_table('base', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_base_org_id'), ['org_id'], unique=False)

    op.create_table('site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('welcome', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_site_org_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site')),
    sa.UniqueConstraint('org_id', name=op.f('uq_site_org_id'))
    )
    op.create_table('base_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('storage_name', sa.String(length=64), nullable=False),
    sa.Column('mime_type', sa.String(length=100), nullable=False),
    sa.Column('caption', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['base.id'], name=op.f('fk_base_photo_base_id_base'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_base_photo')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_base_photo_storage_name'))
    )
    with op.batch_alter_table('base_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_base_photo_base_id'), ['base_id'], unique=False)

    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'published', name='noticestatus', native_enum=False, length=20), nullable=False),
    sa.Column('review_comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_notice_author_id_user_account')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user_account.id'], name=op.f('fk_notice_reviewer_id_user_account')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_notice_site_id_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_status'), ['status'], unique=False)

    op.create_table('site_staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('appointed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['appointed_by_id'], ['user_account.id'], name=op.f('fk_site_staff_appointed_by_id_user_account')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_site_staff_site_id_site'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_site_staff_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_staff')),
    sa.UniqueConstraint('site_id', 'user_id', name='uq_site_staff_site_user')
    )
    with op.batch_alter_table('site_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_staff_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_staff_user_id'), ['user_id'], unique=False)

    op.create_table('base_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hours', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('seats_taken', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['base.id'], name=op.f('fk_base_session_base_id_base'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_base_session_course_id_course')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_base_session_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_base_session'))
    )
    with op.batch_alter_table('base_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_base_session_base_id'), ['base_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_base_session_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_base_session_starts_at'), ['starts_at'], unique=False)

    op.create_table('collective_study',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('lesson_keys', sa.Text(), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_collective_study_course_id_course')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_collective_study_recorded_by_id_user_account')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_collective_study_site_id_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collective_study'))
    )
    with op.batch_alter_table('collective_study', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collective_study_site_id'), ['site_id'], unique=False)

    op.create_table('featured_course',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_featured_course_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_featured_course_site_id_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_featured_course')),
    sa.UniqueConstraint('site_id', 'course_id', name='uq_featured_course_site_course')
    )
    with op.batch_alter_table('featured_course', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_featured_course_site_id'), ['site_id'], unique=False)

    op.create_table('attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('is_valid', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['marked_by_id'], ['user_account.id'], name=op.f('fk_attendance_marked_by_id_user_account')),
    sa.ForeignKeyConstraint(['session_id'], ['base_session.id'], name=op.f('fk_attendance_session_id_base_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_attendance_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance')),
    sa.UniqueConstraint('session_id', 'user_id', name='uq_attendance_session_user')
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_user_id'), ['user_id'], unique=False)

    op.create_table('collective_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['marked_by_id'], ['user_account.id'], name=op.f('fk_collective_attendance_marked_by_id_user_account')),
    sa.ForeignKeyConstraint(['study_id'], ['collective_study.id'], name=op.f('fk_collective_attendance_study_id_collective_study'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_collective_attendance_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collective_attendance')),
    sa.UniqueConstraint('study_id', 'user_id', name='uq_collective_attendance_study_user')
    )
    with op.batch_alter_table('collective_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collective_attendance_study_id'), ['study_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collective_attendance_user_id'), ['user_id'], unique=False)

    op.create_table('session_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_session_invitation_org_id_organization')),
    sa.ForeignKeyConstraint(['session_id'], ['base_session.id'], name=op.f('fk_session_invitation_session_id_base_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_invitation')),
    sa.UniqueConstraint('session_id', 'org_id', name='uq_session_invitation_session_org')
    )
    with op.batch_alter_table('session_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_invitation_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_invitation_session_id'), ['session_id'], unique=False)

    op.create_table('sign_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['base_session.id'], name=op.f('fk_sign_up_session_id_base_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_sign_up_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_up')),
    sa.UniqueConstraint('session_id', 'user_id', name='uq_sign_up_session_user')
    )
    with op.batch_alter_table('sign_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_up_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_up_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('sign_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_up_user_id'))
        batch_op.drop_index(batch_op.f('ix_sign_up_session_id'))

    op.drop_table('sign_up')
    with op.batch_alter_table('session_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_invitation_session_id'))
        batch_op.drop_index(batch_op.f('ix_session_invitation_org_id'))

    op.drop_table('session_invitation')
    with op.batch_alter_table('collective_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collective_attendance_user_id'))
        batch_op.drop_index(batch_op.f('ix_collective_attendance_study_id'))

    op.drop_table('collective_attendance')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_user_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_session_id'))

    op.drop_table('attendance')
    with op.batch_alter_table('featured_course', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_featured_course_site_id'))

    op.drop_table('featured_course')
    with op.batch_alter_table('collective_study', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collective_study_site_id'))

    op.drop_table('collective_study')
    with op.batch_alter_table('base_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_base_session_starts_at'))
        batch_op.drop_index(batch_op.f('ix_base_session_course_id'))
        batch_op.drop_index(batch_op.f('ix_base_session_base_id'))

    op.drop_table('base_session')
    with op.batch_alter_table('site_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_staff_user_id'))
        batch_op.drop_index(batch_op.f('ix_site_staff_site_id'))

    op.drop_table('site_staff')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_status'))
        batch_op.drop_index(batch_op.f('ix_notice_site_id'))

    op.drop_table('notice')
    with op.batch_alter_table('base_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_base_photo_base_id'))

    op.drop_table('base_photo')
    op.drop_table('site')
    with op.batch_alter_table('base', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_base_org_id'))

    op.drop_table('base')

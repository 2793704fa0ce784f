"""Reads for sites and bases."""
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from learning_app.extensions import db
from learning_app.models import Organization, User
from learning_app.search import ESCAPE, contains_pattern

from ..models import Course
from .models import (
    Attendance,
    Base,
    BaseSession,
    CheckInTries,
    CollectiveStudy,
    FeaturedCourse,
    Notice,
    NoticeStatus,
    SessionInvitation,
    SignUp,
    Site,
    SiteStaff,
)


def published_notices(site, limit=10):
    return list(db.session.scalars(select(Notice).where(Notice.site_id == site.id,
                                                        Notice.status == NoticeStatus.PUBLISHED)
                                   .order_by(Notice.published_at.desc()).limit(limit)))


def featured_courses(site):
    return list(db.session.scalars(select(FeaturedCourse).where(FeaturedCourse.site_id == site.id)
                                   .options(selectinload(FeaturedCourse.course).selectinload(Course.published))
                                   .order_by(FeaturedCourse.position)))


def site_notices(site):
    return list(db.session.scalars(select(Notice).where(Notice.site_id == site.id).order_by(Notice.id.desc())))


def notices_awaiting_review(reviewer):
    return list(db.session.scalars(select(Notice).where(Notice.status == NoticeStatus.SUBMITTED,
                                                        Notice.author_id != reviewer.id)
                                   .order_by(Notice.submitted_at)))


def sites_managed_by(user):
    staffed = select(SiteStaff.site_id).where(SiteStaff.user_id == user.id)
    query = select(Site).join(Organization, Site.org_id == Organization.id).where(
        or_(Site.id.in_(staffed), user.visible_orgs_condition()))
    return list(db.session.scalars(query.order_by(Organization.path)))


def site_roster(site, search: str = "", limit: int = 300):
    query = (select(User).join(Organization, User.org_id == Organization.id)
             .where(site.org.subtree_filter(), User.is_active_account.is_(True)))
    if search.strip():
        pattern = contains_pattern(search)  # typed text is matched literally, not as LIKE wildcards
        query = query.where(or_(User.real_name.like(pattern, escape=ESCAPE),
                                User.login_id.like(pattern, escape=ESCAPE)))
    return list(db.session.scalars(query.order_by(Organization.path, User.real_name).limit(limit)))


def site_studies(site):
    return list(db.session.scalars(select(CollectiveStudy).where(CollectiveStudy.site_id == site.id)
                                   .options(selectinload(CollectiveStudy.attendees))
                                   .order_by(CollectiveStudy.held_at.desc())))


def published_courses():
    return list(db.session.scalars(select(Course).where(Course.published_revision_id.is_not(None))
                                   .options(selectinload(Course.published)).order_by(Course.id.desc())))


def upcoming_sessions_for(user, now):
    """Sessions not yet over to which the member's organisation (or one above it) is invited."""
    if user.org is None:
        return []
    invited = select(SessionInvitation.session_id).where(SessionInvitation.org_id.in_(user.org.ancestor_ids))
    return list(db.session.scalars(select(BaseSession).where(BaseSession.id.in_(invited),
                                                             BaseSession.ends_at >= now,
                                                             BaseSession.cancelled_at.is_(None))
                                   .order_by(BaseSession.starts_at)))


def my_signups(user) -> set[int]:
    return set(db.session.scalars(select(SignUp.session_id).where(SignUp.user_id == user.id)))


def my_attendance(user) -> set[int]:
    return set(db.session.scalars(select(Attendance.session_id).where(Attendance.user_id == user.id)))


def bases_managed_by(user):
    return list(db.session.scalars(select(Base).join(Organization, Base.org_id == Organization.id)
                                   .where(user.visible_orgs_condition()).order_by(Base.name)))


def sessions_of(base):
    return list(db.session.scalars(select(BaseSession).where(BaseSession.base_id == base.id)
                                   .order_by(BaseSession.starts_at.desc())))


def session_attendance(session):
    return list(db.session.scalars(select(Attendance).where(Attendance.session_id == session.id)
                                   .order_by(Attendance.checked_in_at)))


def session_signups(session):
    return list(db.session.scalars(select(User).join(SignUp, SignUp.user_id == User.id)
                                   .where(SignUp.session_id == session.id).order_by(SignUp.created_at)))


def members_out_of_tries(session, limit: int):
    """Members who used up their wrong check-in codes: the staff check them in by hand."""
    return list(db.session.scalars(select(User).join(CheckInTries, CheckInTries.user_id == User.id)
                                   .where(CheckInTries.session_id == session.id, CheckInTries.wrong_codes >= limit)
                                   .order_by(User.real_name)))


def users_by_number(lowered_numbers) -> dict:
    """{lower-cased member number: member} for the numbers that exist (numbers are matched without case)."""
    if not lowered_numbers:
        return {}
    query = select(User).where(func.lower(User.login_id).in_(list(lowered_numbers)))
    return {user.login_id.lower(): user for user in db.session.scalars(query)}


def users_by_id(user_ids) -> dict:
    if not user_ids:
        return {}
    return {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(list(user_ids))))}


def eligible_site_members(site, user_ids) -> list:
    """The active members among `user_ids` who belong to the site's organisation or below it."""
    if not user_ids:
        return []
    return list(db.session.scalars(
        select(User).join(Organization, User.org_id == Organization.id)
        .where(User.id.in_(set(user_ids)), site.org.subtree_filter(), User.is_active_account.is_(True))))


def user_by_login(login_id: str):
    return db.session.scalar(select(User).where(func.lower(User.login_id) == (login_id or "").strip().lower()))


def invited_to_base(user, base) -> bool:
    """Whether the member's organisation (or one above it) is invited to any session at the base."""
    if user.org is None:
        return False
    return db.session.scalar(select(SessionInvitation.id).join(BaseSession,
                                                               SessionInvitation.session_id == BaseSession.id)
                             .where(BaseSession.base_id == base.id,
                                    SessionInvitation.org_id.in_(user.org.ancestor_ids)).limit(1)) is not None

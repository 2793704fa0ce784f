"""Sites (站点) with staff, notices and featured courses; collective study; bases (基地), sessions and attendance."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning_app.extensions import db
from learning_app.models import LabelledEnum, Organization, User, _enum_column, utcnow

from ..models import Course


class NoticeStatus(LabelledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"


NoticeStatus.LABELS = {"draft": _l("Draft"), "submitted": _l("Awaiting review"), "published": _l("Published")}
NoticeStatus.ZH = {"draft": "草稿", "submitted": "待审核", "published": "已发布"}


class BaseKind(LabelledEnum):
    EDUCATION = "education"
    TRAINING = "training"
    RED_HERITAGE = "red_heritage"
    PRACTICE = "practice"


BaseKind.LABELS = {"education": _l("Education base"), "training": _l("Training base"),
                   "red_heritage": _l("Revolutionary heritage site"), "practice": _l("Practice base")}
BaseKind.ZH = {"education": "教育基地", "training": "培训基地", "red_heritage": "红色教育基地",
               "practice": "实践基地"}


class Site(db.Model):
    """An organisation's learning station: its home page, notices, featured courses and staff."""
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    welcome: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    org: Mapped[Organization] = relationship(lazy="joined")
    staff: Mapped[list[SiteStaff]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    def __repr__(self):
        return f"<Site {self.id} {self.name!r}>"

    def is_staff(self, user) -> bool:
        return any(member.user_id == user.id for member in self.staff)

    def can_manage(self, user) -> bool:
        """Site staff, and supervisors of the site's organisation (who appoint the staff)."""
        return self.is_staff(user) or user.can_see_org(self.org)


class SiteStaff(db.Model):
    __tablename__ = "site_staff"
    __table_args__ = (UniqueConstraint("site_id", "user_id", name="uq_site_staff_site_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    appointed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")


class Notice(db.Model):
    """A site notice; like courses, it is reviewed before it is published (先审后发)."""
    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[NoticeStatus] = _enum_column(NoticeStatus, default=NoticeStatus.DRAFT, index=True)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    site: Mapped[Site] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])


class FeaturedCourse(db.Model):
    __tablename__ = "featured_course"
    __table_args__ = (UniqueConstraint("site_id", "course_id", name="uq_featured_course_site_course"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)

    course: Mapped[Course] = relationship(lazy="joined")


class CollectiveStudy(db.Model):
    """集中学习: members gathered at a site follow lessons together; staff record who was there."""
    __tablename__ = "collective_study"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"))
    lesson_keys: Mapped[str] = mapped_column(Text, default="")  # comma-separated lesson keys studied
    held_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    minutes: Mapped[int] = mapped_column(Integer, default=60)
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1), default=Decimal("1.0"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    site: Mapped[Site] = relationship()
    course: Mapped[Course | None] = relationship()
    attendees: Mapped[list[CollectiveAttendance]] = relationship(cascade="all, delete-orphan")


class CollectiveAttendance(db.Model):
    __tablename__ = "collective_attendance"
    __table_args__ = (UniqueConstraint("study_id", "user_id", name="uq_collective_attendance_study_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("collective_study.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")


class Base(db.Model):
    """An education or training base (基地) where in-person sessions are held."""
    __tablename__ = "base"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[BaseKind] = _enum_column(BaseKind, default=BaseKind.EDUCATION)
    address: Mapped[str] = mapped_column(String(300), default="")
    capacity: Mapped[int] = mapped_column(Integer, default=50)
    contact: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # The organisation that registered it: its supervisors manage the base.
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    org: Mapped[Organization] = relationship(lazy="joined")
    photos: Mapped[list[BasePhoto]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    def can_manage(self, user) -> bool:
        return user.can_see_org(self.org)


class BasePhoto(db.Model):
    __tablename__ = "base_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("base.id", ondelete="CASCADE"), index=True)
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    mime_type: Mapped[str] = mapped_column(String(100))
    caption: Mapped[str] = mapped_column(String(200), default="")


class BaseSession(db.Model):
    """A scheduled in-person session at a base, open to invited organisations' subtrees."""
    __tablename__ = "base_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("base.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(200))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1), default=Decimal("2.0"))
    capacity: Mapped[int] = mapped_column(Integer, default=50)
    # Seats taken, changed only by a conditional UPDATE so that concurrent sign-ups never overbook.
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    # Whether members who did not sign up may check in (and be marked present) all the same.
    accepts_walk_ins: Mapped[bool] = mapped_column(Boolean, default=False)
    # Wrong check-in codes entered by anyone; check-in by code closes at CHECKIN_WRONG_CODES_PER_SESSION.
    wrong_codes: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Each change of time counts one up: the key of the message that tells the members signed up.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    base: Mapped[Base] = relationship(lazy="joined")
    course: Mapped[Course | None] = relationship()
    invitations: Mapped[list[SessionInvitation]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    def invites(self, user) -> bool:
        return user.org is not None and any(user.org.is_within(invitation.org) for invitation in self.invitations)

    def admits(self, user) -> bool:
        """A member who signed up, or anyone invited if the session accepts walk-ins, may be checked in."""
        if self.accepts_walk_ins:
            return True
        return db.session.scalar(select(SignUp.id).where(SignUp.session_id == self.id,
                                                         SignUp.user_id == user.id)) is not None


class SessionInvitation(db.Model):
    __tablename__ = "session_invitation"
    __table_args__ = (UniqueConstraint("session_id", "org_id", name="uq_session_invitation_session_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("base_session.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)

    org: Mapped[Organization] = relationship(lazy="joined")


class SignUp(db.Model):
    __tablename__ = "sign_up"
    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_sign_up_session_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("base_session.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CheckInTries(db.Model):
    """Wrong check-in codes one member entered for one session (limit: CHECKIN_WRONG_CODES_PER_MEMBER).

    A database row rather than the rate-limit storage: the count must hold across gunicorn workers on
    every deployment (that storage is per process unless Redis is set up), last for the whole session
    rather than a time window, and be written in the transaction that writes the refusal's audit row."""
    __tablename__ = "check_in_tries"
    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_check_in_tries_session_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("base_session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    wrong_codes: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self):
        return f"<CheckInTries session={self.session_id} user={self.user_id} wrong={self.wrong_codes}>"


class Attendance(db.Model):
    """A member's presence at a base session: by check-in code, or marked by staff with a reason."""
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_attendance_session_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("base_session.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    method: Mapped[str] = mapped_column(String(20), default="code")  # code, manual
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(String(300), default="")
    checked_in_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    is_valid: Mapped[bool] = mapped_column(Boolean, default=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

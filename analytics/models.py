"""Counts kept per branch and course so that the dashboard reads a few rows per branch, not every member.

They are derived data: `analytics.counts` keeps them in step with enrolments, passed quizzes,
assignments and members in the same transaction as the change, and `flask rebuild-counts`
rebuilds them from scratch.
"""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning_app.extensions import db
from learning_app.timezones import utcnow


class CourseProgressCount(db.Model):
    """(member, course) pairs that an assignment covers, counted per branch, course, category and position.

    Members of one branch with the same category and position are covered by the same assignments,
    so every pair counted in one row shares one deadline.
    """
    __tablename__ = "course_progress_count"

    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    position: Mapped[str] = mapped_column(String(20), primary_key=True)
    deadline: Mapped[date | None] = mapped_column(Date)
    assigned: Mapped[int] = mapped_column(Integer, default=0)
    started: Mapped[int] = mapped_column(Integer, default=0)
    lessons_done: Mapped[int] = mapped_column(Integer, default=0)
    quiz_passed: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)


class CompletionDayCount(db.Model):
    """Completions of assigned courses per branch, course, category and local calendar day."""
    __tablename__ = "completion_day_count"

    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    completed: Mapped[int] = mapped_column(Integer, default=0)


class SubtreeCompletionDayCount(db.Model):
    """Completions of assigned courses per local day by the members of every organisation strictly
    below a node, all courses and categories together: the timeline of a whole committee reads a
    few hundred of these rows instead of every branch's day counts."""
    __tablename__ = "subtree_completion_day_count"

    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    completed: Mapped[int] = mapped_column(Integer, default=0)


class MemberYearHours(db.Model):
    """A member's credited study hours in one year: the ledger's sum, one row per member and year."""
    __tablename__ = "member_year_hours"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(7, 1), default=Decimal("0"))


class MemberCount(db.Model):
    """Active members per organisation and category: the dashboard's member figures read these rows
    instead of every member."""
    __tablename__ = "member_count"

    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    members: Mapped[int] = mapped_column(Integer, default=0)


class HoursBinCount(db.Model):
    """Active members with credited hours in a year, per organisation, year, category and bin of the
    hours histogram (`queries.HOURS_BIN` wide), with how many meet their yearly requirement and their
    hours together. Members with no hours that year have no row: they are `MemberCount` less these.

    Whether a member meets the requirement is worked out when the row is written, from
    YEARLY_STUDY_HOURS: after changing that setting, run `flask rebuild-counts`.
    """
    __tablename__ = "hours_bin_count"

    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    bin: Mapped[int] = mapped_column(Integer, primary_key=True)
    members: Mapped[int] = mapped_column(Integer, default=0)
    meeting: Mapped[int] = mapped_column(Integer, default=0)
    hours: Mapped[Decimal] = mapped_column(Numeric(12, 1), default=Decimal("0"))


class ListReminder(db.Model):
    """A supervisor's "提醒未完成的党员" on an action list: at most once per list (kind, node, filters) and
    local day, which the unique constraint keeps true however many clicks arrive at once."""
    __tablename__ = "list_reminder"
    __table_args__ = (UniqueConstraint("list_kind", "org_id", "filters_key", "day", name="uq_list_reminder_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_kind: Mapped[str] = mapped_column(String(20))
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    filters_key: Mapped[str] = mapped_column(String(100))
    day: Mapped[date] = mapped_column(Date)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(200), default="")
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    sent_by = relationship("User")

    def __repr__(self):
        return f"<ListReminder {self.list_kind} org={self.org_id} {self.filters_key!r} {self.day}>"

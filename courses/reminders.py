"""What the courses send members: a course assigned, its deadline ahead, a review's outcome, reviews waiting.

Members are chosen in SQL, a keyset page of ids at a time (learning_app.messages.reminders.member_batches):
the statements per batch stay the same for 10 members or 100,000.
"""
from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, select

from learning_app.extensions import db
from learning_app.messages.models import MessageKind
from learning_app.messages.reminders import Due, member_batches, register
from learning_app.messages.services import notify
from learning_app.models import Organization, Role, RoleGrant, User
from learning_app.timezones import as_utc

from .models import Assignment, Course, CourseRevision, Enrolment, RevisionStatus, decode_set

# The deadline reminders: this many local days before the deadline (at most two per assignment deadline).
DEADLINE_DAYS = (7, 1)
# A revision submitted this long ago and still not reviewed is reminded to the reviewers.
REVIEW_WAITING = timedelta(days=3)


def course_link(course_id: int) -> str:
    return f"/courses/{course_id}"


def covered_members(assignment: Assignment, *, incomplete_only: bool = False):
    """select(User.id) of the active members `assignment` covers: its node's subtree, narrowed by
    category and position; with incomplete_only, those who have not completed the course."""
    statement = (select(User.id).join(Organization, User.org_id == Organization.id)
                 .where(Organization.subtree_condition(assignment.org.path), User.is_active_account.is_(True)))
    if decode_set(assignment.categories):  # empty: every category
        statement = statement.where(User.category.in_(decode_set(assignment.categories)))
    if decode_set(assignment.positions):
        statement = statement.where(User.position.in_(decode_set(assignment.positions)))
    if incomplete_only:
        statement = statement.outerjoin(Enrolment, and_(Enrolment.user_id == User.id,
                                                        Enrolment.course_id == assignment.course_id)) \
            .where(Enrolment.completed_at.is_(None))
    return statement


def notify_assigned(assignment: Assignment, title: str) -> int:
    """Everyone the new assignment covers gets "course assigned", once (key assigned:<assignment>)."""
    key = f"assigned:{assignment.id}"
    deadline = assignment.deadline

    def compose():
        body = (_("The course “%(title)s” has been assigned to you. Please complete it by %(date)s.",
                  title=title, date=deadline.isoformat()) if deadline else
                _("The course “%(title)s” has been assigned to you.", title=title))
        return _("New course assigned: %(title)s", title=title), body

    return sum(notify(ids, MessageKind.COURSE_ASSIGNED, key, compose, course_link(assignment.course_id))
               for ids in member_batches(covered_members(assignment), User.id, key))


def notify_review_outcome(course: Course, revision: CourseRevision, approved: bool, comment: str) -> int:
    """The author hears that their course was published or sent back (with the reviewer's words)."""
    key = f"review:course:{revision.id}:{as_utc(revision.submitted_at).isoformat() if revision.submitted_at else ''}"
    title = revision.title

    def compose():
        if approved:
            return (_("Your course “%(title)s” was approved and published", title=title),
                    comment or _("Members can now study it."))
        return _("Your course “%(title)s” was sent back", title=title), comment
    return notify([course.author_id], MessageKind.REVIEW_OUTCOME, key, compose, f"/courses/authoring/{course.id}")


def deadline_reminders(moment):
    """Assignments due in 7 and in 1 local days: members covered who have not completed the course."""
    days = {moment.today + timedelta(days=ahead): ahead for ahead in DEADLINE_DAYS}
    assignments = db.session.execute(
        select(Assignment, CourseRevision.title).join(Course, Course.id == Assignment.course_id)
        .join(CourseRevision, CourseRevision.id == Course.published_revision_id)
        .where(Assignment.is_active.is_(True), Assignment.deadline.in_(list(days)))
        .order_by(Assignment.id)).all()
    for assignment, title in assignments:
        ahead = days[assignment.deadline]
        key = f"deadline:{assignment.id}:{ahead}"
        compose = _deadline_text(title, assignment.deadline, ahead)
        for ids in member_batches(covered_members(assignment, incomplete_only=True), User.id, key):
            yield Due(ids, MessageKind.DEADLINE_AHEAD, key, compose, course_link(assignment.course_id))


def _deadline_text(title, deadline, ahead):
    def compose():
        subject = (_("Due tomorrow: %(title)s", title=title) if ahead == 1 else
                   ngettext("Due in %(num)s day: %(title)s", "Due in %(num)s days: %(title)s", ahead, title=title))
        return subject, _("The course “%(title)s” assigned to you is due on %(date)s and is not complete yet.",
                          title=title, date=deadline.isoformat())
    return compose


def reviewer_ids(exclude_id: int | None = None) -> list[int]:
    """The active reviewers (one statement), leaving out the author of what waits."""
    ids = db.session.scalars(select(RoleGrant.user_id).join(User, User.id == RoleGrant.user_id)
                             .where(RoleGrant.role == Role.REVIEWER, User.is_active_account.is_(True))
                             .distinct()).all()
    return [user_id for user_id in ids if user_id != exclude_id]


def courses_waiting_review(moment):
    """Course revisions submitted more than 3 days ago and still waiting: to every reviewer but the author."""
    waiting = db.session.execute(
        select(CourseRevision.id, CourseRevision.title, CourseRevision.submitted_at, Course.author_id)
        .join(Course, Course.id == CourseRevision.course_id)
        .where(CourseRevision.status == RevisionStatus.SUBMITTED,
               CourseRevision.submitted_at < moment.now - REVIEW_WAITING)).all()
    yield from waiting_review_reminders(waiting, "course", "/courses/review")


def waiting_review_reminders(waiting, what: str, link: str):
    """A "waiting for review" reminder per item of `waiting` ((id, title, submitted_at, author_id) rows:
    courses here, notices in courses.bases), to every active reviewer but its author; keyed by the item
    and its submission, so an item sent back and submitted again is reminded of again."""
    if not waiting:
        return
    reviewers = reviewer_ids()
    for item_id, title, submitted_at, author_id in waiting:
        key = f"review-waiting:{what}:{item_id}:{as_utc(submitted_at).isoformat()}"[:120]
        ids = [user_id for user_id in reviewers if user_id != author_id]
        if ids:
            yield Due(ids, MessageKind.REVIEW_WAITING, key, _waiting_text(title), link)


def _waiting_text(title):
    def compose():
        return (_("Waiting for review for more than 3 days: %(title)s", title=title),
                _("“%(title)s” was submitted for review more than 3 days ago and is still waiting.", title=title))
    return compose


def register_reminders() -> None:
    register(MessageKind.DEADLINE_AHEAD, deadline_reminders)
    register(MessageKind.REVIEW_WAITING, courses_waiting_review)

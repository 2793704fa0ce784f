"""Assigning published courses to parts of the organisation tree, and electives."""
from datetime import date

from flask_babel import gettext as _

from learning_app.audit.services import record_audit
from learning_app.extensions import db
from learning_app.timezones import local_today

from ..models import Assignment, Course, EnrolmentSource, encode_set
from ..reminders import notify_assigned
from .authoring import AuthoringError
from .learning import ensure_enrolment


def check_deadline(deadline: date | None) -> None:
    """A deadline already passed would make every member overdue at once; today (local) is allowed."""
    if deadline is not None and deadline < local_today():
        raise AuthoringError(_("The deadline %(date)s has already passed: choose today or a later day.",
                               date=deadline.isoformat()))


def assign_course(actor, course: Course, org, categories=(), positions=(), required: bool = True,
                  deadline: date | None = None) -> Assignment:
    """Assign to `org` and everything under it; members who join the subtree later are covered too.
    Everyone covered now gets a message (in batches, in this transaction)."""
    check_deadline(deadline)
    if course.published is None:
        raise AuthoringError(_("Only a published course can be assigned."))
    if not (actor.is_admin or actor.can_see_org(org)):
        raise AuthoringError(_("You can assign courses only within the organisations you supervise."))
    assignment = Assignment(course_id=course.id, org_id=org.id, categories=encode_set(categories),
                            positions=encode_set(positions), required=required, deadline=deadline,
                            assigned_by_id=actor.id)
    db.session.add(assignment)
    db.session.flush()
    record_audit(actor, "course.assign", course, {"assignment": assignment.id, "org_id": org.id,
                                                  "deadline": deadline.isoformat() if deadline else None,
                                                  "required": required})
    notify_assigned(assignment, course.published.title)
    return assignment


def withdraw_assignment(actor, assignment: Assignment) -> None:
    assignment.is_active = False
    record_audit(actor, "course.unassign", assignment.course, {"assignment": assignment.id})
    db.session.flush()


def enrol_elective(user, course: Course):
    """A member chooses a published course whose audience includes them."""
    if course.published is None or not course.published.suits(user):
        raise AuthoringError(_("This course is not open to you."))
    return ensure_enrolment(user, course, EnrolmentSource.ELECTIVE)

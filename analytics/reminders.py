"""The supervisor's "提醒未完成的党员": one click messages everyone on an action list (the whole list, not
the page shown), replacing the phone calls. The only write in analytics besides the kept counts.

Not nagging: a list (kind, node, filters) is reminded at most once per local day; the unique constraint
on ListReminder keeps that true for two clicks at once. Each member gets one message, whatever the
number of their rows on the list (a member may be late with several courses).
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from learning_app.audit.services import record_audit
from learning_app.extensions import db
from learning_app.messages.models import MessageKind
from learning_app.messages.services import notify
from learning_app.models import Organization
from learning_app.timezones import local_today
from learning_app.transactions import RuleError

from . import queries
from .filters import Filters
from .models import ListReminder

NOTE_LENGTH = 200


class RemindRefused(RuleError):
    """A reminder the rules refuse (again today, outside the supervisor's reach, a note too long)."""


def note_too_long() -> str:
    return ngettext("The note may be at most %(num)s character long.",
                    "The note may be at most %(num)s characters long.", NOTE_LENGTH)


def filters_key(filters: Filters, kind: str) -> str:
    """What makes two lists the same list: the filters the list depends on."""
    parts = [f"course={filters.course_id or ''}", f"category={filters.category or ''}"]
    if kind == "below_hours":
        parts.append(f"year={filters.year}")
    return "&".join(parts)


def reminded_today(root: Organization, filters: Filters, kind: str, today: date | None = None):
    """The reminder sent for this list today, if any (for the page: who sent it, when)."""
    return db.session.scalar(select(ListReminder).where(
        ListReminder.list_kind == kind, ListReminder.org_id == root.id,
        ListReminder.filters_key == filters_key(filters, kind), ListReminder.day == (today or local_today())))


def remind_list(actor, root: Organization, filters: Filters, kind: str, note: str = "",
                today: date | None = None) -> ListReminder:
    """Message every member on the action list `kind` of `root` with these filters, once each (kind
    REMINDER, the supervisor's note in the body). Refused a second time the same local day."""
    today = today or local_today()
    note = (note or "").strip()
    if kind not in queries.LIST_KINDS:
        raise RemindRefused(_("There is no such list."))
    if not (actor.is_admin or actor.can_see_org(root)):
        raise RemindRefused(_("You can remind only members of the organisations you supervise."))
    if len(note) > NOTE_LENGTH:
        raise RemindRefused(note_too_long())
    earlier = reminded_today(root, filters, kind, today)
    if earlier is not None:
        raise _again(earlier)
    reminder = ListReminder(list_kind=kind, org_id=root.id, filters_key=filters_key(filters, kind), day=today,
                            sent_by_id=actor.id, note=note)
    try:
        with db.session.begin_nested():
            db.session.add(reminder)
    except IntegrityError:
        raise _again(reminded_today(root, filters, kind, today)) from None
    listed = queries.action_list(root, filters, kind, today=today).order_by(None).subquery()
    member_ids = list(db.session.scalars(select(listed.c.id).distinct()))
    reminder.recipients = notify(member_ids, MessageKind.REMINDER, f"remind:{reminder.id}",
                                 _compose(kind, root.name, note), _link(kind, filters))
    record_audit(actor, "list.remind", root, {"list": kind, "filters": reminder.filters_key,
                                              "recipients": reminder.recipients, "note": note})
    db.session.flush()
    return reminder


def _again(earlier: ListReminder | None) -> RemindRefused:
    if earlier is None or earlier.sent_by is None:
        return RemindRefused(_("The members on this list have already been reminded today. "
                               "A list can be reminded once a day."))
    return RemindRefused(_("%(name)s already reminded the members on this list today. "
                           "A list can be reminded once a day.", name=earlier.sent_by.real_name))


def _link(kind: str, filters: Filters) -> str:
    if kind == "below_hours":
        return "/courses/hours"
    return f"/courses/{filters.course_id}" if filters.course_id else "/courses/my"


def _compose(kind: str, org_name: str, note: str):
    def compose():
        body = {"not_started": _("A course assigned to you has not been started yet. Please begin it soon."),
                "overdue": _("The deadline of a course assigned to you has passed. Please complete it."),
                "below_hours": _("Your study hours this year are below the requirement.")}[kind]
        return _("A reminder from %(org)s", org=org_name), f"{note}\n\n{body}" if note else body
    return compose

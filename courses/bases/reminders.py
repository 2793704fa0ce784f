"""What sites and bases send members: a notice published, a session tomorrow, changed or cancelled, a
notice's review outcome, notices waiting for review. Members are chosen in SQL, a page of ids at a time."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from learning_app.extensions import db
from learning_app.messages.models import MessageKind
from learning_app.messages.reminders import Due, member_batches, register
from learning_app.messages.services import notify
from learning_app.models import Organization, User
from learning_app.timezones import as_utc

from ..reminders import REVIEW_WAITING, waiting_review_reminders
from .models import BaseSession, Notice, NoticeStatus, SignUp, Site


def session_link(session_id: int) -> str:
    return f"/bases/sessions/{session_id}"


def _when(moment) -> str:
    return format_datetime(as_utc(moment), "yyyy-MM-dd HH:mm")


def signed_up(session_id: int):
    return select(SignUp.user_id).where(SignUp.session_id == session_id)


def notify_notice_published(notice: Notice) -> int:
    """The active members of the site's organisation subtree hear of a published notice, once."""
    key = f"notice:{notice.id}"
    site = db.session.get(Site, notice.site_id)
    title, site_name = notice.title, site.name
    members = (select(User.id).join(Organization, User.org_id == Organization.id)
               .where(Organization.subtree_condition(site.org.path), User.is_active_account.is_(True)))

    def compose():
        return _("%(site)s: %(title)s", site=site_name, title=title), _(
            "A new notice was published on your learning site: “%(title)s”.", title=title)
    return sum(notify(ids, MessageKind.NOTICE, key, compose, "/sites/")
               for ids in member_batches(members, User.id, key))


def notify_notice_review(notice: Notice, approved: bool, comment: str) -> int:
    """The notice's author hears whether it was published or sent back."""
    key = f"review:notice:{notice.id}:{as_utc(notice.submitted_at).isoformat() if notice.submitted_at else ''}"[:120]
    title = notice.title

    def compose():
        if approved:
            return _("Your notice “%(title)s” was approved and published", title=title), comment
        return _("Your notice “%(title)s” was sent back", title=title), comment
    return notify([notice.author_id], MessageKind.REVIEW_OUTCOME, key, compose,
                  f"/sites/{notice.site_id}/manage")


def notify_session_changed(session: BaseSession, cancelled: bool) -> int:
    """Members signed up for the session hear of its new time, or that it is cancelled."""
    topic, starts = session.topic, _when(session.starts_at)
    if cancelled:
        kind, key = MessageKind.SESSION_CANCELLED, f"session-cancelled:{session.id}"

        def compose():
            return (_("Base session cancelled: %(topic)s", topic=topic),
                    _("The base session “%(topic)s” planned for %(when)s has been cancelled.", topic=topic,
                      when=starts))
    else:
        kind = MessageKind.SESSION_CHANGED
        key = f"session-changed:{session.id}:{session.version}"

        def compose():
            return (_("Base session changed: %(topic)s", topic=topic),
                    _("The base session “%(topic)s” you signed up for now takes place %(when)s to %(end)s.",
                      topic=topic, when=starts, end=_when(session.ends_at)))
    return sum(notify(ids, kind, key, compose, session_link(session.id))
               for ids in member_batches(signed_up(session.id), SignUp.user_id, key))


def sessions_tomorrow(moment):
    """Sessions starting on the next local day (not cancelled): to the members signed up."""
    since, until = moment.day_range(moment.today + timedelta(days=1))
    sessions = db.session.execute(select(BaseSession.id, BaseSession.topic, BaseSession.starts_at)
                                  .where(BaseSession.starts_at >= since, BaseSession.starts_at < until,
                                         BaseSession.cancelled_at.is_(None))
                                  .order_by(BaseSession.id)).all()
    for session_id, topic, starts_at in sessions:
        key = f"session-tomorrow:{session_id}"
        compose = _tomorrow_text(topic, _when(starts_at))
        for ids in member_batches(signed_up(session_id), SignUp.user_id, key):
            yield Due(ids, MessageKind.SESSION_TOMORROW, key, compose, session_link(session_id))


def _tomorrow_text(topic, when):
    def compose():
        return (_("Tomorrow: %(topic)s", topic=topic),
                _("The base session “%(topic)s” you signed up for takes place tomorrow, %(when)s.", topic=topic,
                  when=when))
    return compose


def notices_waiting_review(moment):
    """Notices submitted more than 3 days ago and not yet reviewed: to the reviewers but the author."""
    waiting = db.session.execute(select(Notice.id, Notice.title, Notice.submitted_at, Notice.author_id)
                                 .where(Notice.status == NoticeStatus.SUBMITTED,
                                        Notice.submitted_at < moment.now - REVIEW_WAITING)).all()
    yield from waiting_review_reminders(waiting, "notice", "/sites/notices/review")


def register_reminders() -> None:
    register(MessageKind.SESSION_TOMORROW, sessions_tomorrow)
    register(MessageKind.REVIEW_WAITING, notices_waiting_review)

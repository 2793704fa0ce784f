"""Quiz windows: members hear when a quiz opens, and when it closes within a day and they have not
submitted an attempt. The audience is the quiz's: a standalone quiz's organisation subtree (everyone
when it has none), a final exam's course assignments and enrolled members. Members are chosen in SQL,
a page of ids at a time."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import exists, or_, select

from courses.models import Assignment, Enrolment
from courses.reminders import covered_members
from learning_app.extensions import db
from learning_app.messages.models import MessageKind
from learning_app.messages.reminders import Due, member_batches, register
from learning_app.models import Organization, User
from learning_app.timezones import as_utc

from .models import Attempt, Quiz

# How far back an opening and how far ahead a closing is announced.
WINDOW = timedelta(days=1)


def quiz_link(quiz_id: int) -> str:
    return f"/quizzes/{quiz_id}"


def _audiences(quiz):
    """select(User.id) statements whose union is the quiz's audience (message keys dedupe overlaps)."""
    members = select(User.id).where(User.is_active_account.is_(True))
    if quiz.course_id:
        assignments = db.session.scalars(select(Assignment).where(Assignment.course_id == quiz.course_id,
                                                                  Assignment.is_active.is_(True))).all()
        return [covered_members(assignment) for assignment in assignments] + [
            members.where(exists().where(Enrolment.user_id == User.id, Enrolment.course_id == quiz.course_id))]
    if quiz.org_id:
        return [members.join(Organization, User.org_id == Organization.id)
                .where(Organization.subtree_condition(quiz.org.path))]
    return [members]


def quiz_windows(moment):
    quizzes = db.session.scalars(
        select(Quiz).where(Quiz.is_published.is_(True), or_(
            Quiz.opens_at.between(moment.now - WINDOW, moment.now),
            Quiz.closes_at.between(moment.now, moment.now + WINDOW))).order_by(Quiz.id)).all()
    for quiz in quizzes:
        opens, closes = as_utc(quiz.opens_at), as_utc(quiz.closes_at)
        if opens and moment.now - WINDOW <= opens <= moment.now and not (closes and closes <= moment.now):
            yield from _batches(quiz, MessageKind.QUIZ_OPENS, f"quiz-opens:{quiz.id}", _opens_text(quiz), False)
        if closes and moment.now < closes <= moment.now + WINDOW:
            yield from _batches(quiz, MessageKind.QUIZ_CLOSES, f"quiz-closes:{quiz.id}", _closes_text(quiz), True)


def _batches(quiz, kind, key, compose, unsubmitted_only):
    for audience in _audiences(quiz):
        if unsubmitted_only:
            audience = audience.where(~exists().where(Attempt.quiz_id == quiz.id, Attempt.user_id == User.id,
                                                      Attempt.submitted_at.is_not(None)))
        for ids in member_batches(audience, User.id, key):
            yield Due(ids, kind, key, compose, quiz_link(quiz.id))


def _opens_text(quiz):
    title, closes = quiz.title, quiz.closes_at

    def compose():
        body = (_("The quiz “%(title)s” is open until %(when)s.", title=title,
                  when=format_datetime(as_utc(closes), "yyyy-MM-dd HH:mm")) if closes else
                _("The quiz “%(title)s” is open.", title=title))
        return _("Quiz open: %(title)s", title=title), body
    return compose


def _closes_text(quiz):
    title, closes = quiz.title, quiz.closes_at

    def compose():
        return (_("Quiz closing soon: %(title)s", title=title),
                _("The quiz “%(title)s” closes at %(when)s and you have not submitted it yet.", title=title,
                  when=format_datetime(as_utc(closes), "yyyy-MM-dd HH:mm")))
    return compose


def register_reminders() -> None:
    register(MessageKind.QUIZ_OPENS, quiz_windows)

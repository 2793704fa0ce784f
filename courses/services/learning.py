"""Learning: enrolment, lesson progress reported by the player, completion and its credit."""
from __future__ import annotations

import functools
import secrets
from datetime import datetime, timedelta
from math import ceil

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from learning_app.extensions import db
from learning_app.models import utcnow
from learning_app.timezones import as_utc
from learning_app.transactions import RuleError

from ..completion import extra_requirements_met
from ..models import Course, Enrolment, EnrolmentSource, Lesson, LessonProgress, StudyClock
from ..queries import course_assigned_to, enrolment_of
from .ledger import credit_study_hours

# A report may claim at most this many seconds beyond the wall clock (network jitter).
CLOCK_TOLERANCE = 2.0
MAX_SECONDS_PER_REPORT = 60.0


class LearningError(RuleError):
    """A report the server cannot accept; the message is for the member."""


class MalformedReport(LearningError):
    """A report that is not what the player sends (a number that is not one): the endpoint answers 400."""


def reported_seconds(value) -> float:
    """A number of seconds from the player's report, or MalformedReport."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise MalformedReport(_("The progress report is malformed.")) from None


def ensure_enrolment(user, course: Course, source: EnrolmentSource) -> Enrolment:
    """The member's enrolment in the course, created once even under concurrent requests."""
    enrolment = enrolment_of(user, course)
    if enrolment is not None:
        return enrolment
    try:
        with db.session.begin_nested():
            enrolment = Enrolment(user_id=user.id, course_id=course.id, source=source)
            db.session.add(enrolment)
    except IntegrityError:
        enrolment = enrolment_of(user, course)
    return enrolment


def enrolment_source(user, course: Course) -> EnrolmentSource:
    """Assigned when an active assignment covers the member, elective otherwise."""
    return EnrolmentSource.ASSIGNED if course_assigned_to(user, course.id) else EnrolmentSource.ELECTIVE


def open_lesson(user, course: Course, lesson: Lesson, source: EnrolmentSource | None = None,
                now=None) -> LessonProgress:
    """Start a view of the lesson: a fresh token makes any older tab's reports stale. The member is
    enrolled on their first lesson, as `source` says, or else as enrolment_source finds: asked only
    then, since most views are of a course the member is enrolled in already."""
    now = now or utcnow()
    if enrolment_of(user, course) is None:
        ensure_enrolment(user, course, source or enrolment_source(user, course))
    progress = _progress_for(user, course, lesson)
    progress.view_token = secrets.token_hex(16)
    # A report may have run ahead of the clock by the tolerance; a new view does not undo that.
    last = as_utc(progress.last_report_at)
    progress.last_report_at = max(now, last) if last else now
    db.session.flush()
    return progress


# The statements every lesson page and progress report runs are built once: building one costs
# about as much as running it.

@functools.cache
def _progress_statement(locked: bool):
    statement = select(LessonProgress).where(LessonProgress.user_id == bindparam("user_id"),
                                             LessonProgress.lesson_key == bindparam("lesson_key"))
    return statement.with_for_update().execution_options(populate_existing=True) if locked else statement


@functools.cache
def _clock_statement():
    return (select(StudyClock).where(StudyClock.user_id == bindparam("user_id")).with_for_update()
            .execution_options(populate_existing=True))


def _progress_for(user, course, lesson) -> LessonProgress:
    key = {"user_id": user.id, "lesson_key": lesson.key}
    progress = db.session.scalar(_progress_statement(False), key)
    if progress is None:
        try:
            with db.session.begin_nested():
                progress = LessonProgress(user_id=user.id, course_id=course.id, lesson_key=lesson.key)
                db.session.add(progress)
        except IntegrityError:
            progress = db.session.scalar(_progress_statement(False), key)
    return progress


def _current_view(user, lesson, token) -> LessonProgress:
    progress = db.session.scalar(_progress_statement(True), {"user_id": user.id, "lesson_key": lesson.key})
    if progress is None or not token or progress.view_token != token:
        raise LearningError(_("This lesson is open in another window; progress is counted there."))
    return progress


def _locked_clock(user) -> StudyClock:
    """The member's study clock, locked until the transaction ends: a member's progress reports,
    whatever lesson or tab they come from, are decided one after the other."""
    clock = db.session.scalar(_clock_statement(), {"user_id": user.id})
    if clock is None:
        try:
            with db.session.begin_nested():
                db.session.add(StudyClock(user_id=user.id))
        except IntegrityError:
            pass  # a report in another tab created it first
        clock = db.session.scalar(_clock_statement(), {"user_id": user.id})
    return clock


def _credit_start(clock: StudyClock, progress: LessonProgress) -> datetime:
    """From when time may be credited to this lesson: not before this view of it was last credited
    (or opened), nor before the member's clock, which other lessons may have moved on."""
    last = as_utc(progress.last_report_at)
    credited_until = as_utc(clock.credited_until)
    return max(last, credited_until) if credited_until else last


def report_media_progress(user, course: Course, lesson: Lesson, token: str, played: float, position: float,
                          now=None) -> LessonProgress:
    """Credit seconds the player says it played since its last report, never more than the member's
    one clock allows, and complete the lesson when enough of it was played."""
    now = now or utcnow()
    clock = _locked_clock(user)
    progress = _current_view(user, lesson, token)
    start = _credit_start(clock, progress)
    # The clock may run up to CLOCK_TOLERANCE ahead of now (network jitter), so the tolerance is
    # granted once, not again with every (rapid) report or every parallel lesson.
    available = max(0.0, (now - start).total_seconds() + CLOCK_TOLERANCE)
    # A player reports every few seconds; one report never earns more than a few heartbeats' worth,
    # so time spent paused (or with the tab closed) cannot be claimed afterwards.
    claimed = max(0.0, min(float(played), available, MAX_SECONDS_PER_REPORT))
    duration = float(lesson.duration_seconds or 0)
    progress.credited_seconds = min(duration, (progress.credited_seconds or 0.0) + claimed) if duration else 0.0
    progress.position_seconds = max(0.0, min(float(position), duration or float(position)))
    progress.last_report_at = clock.credited_until = max(now, start + timedelta(seconds=claimed))
    ratio = course.published.media_completion_ratio if course.published else 0.9
    if duration and progress.completed_at is None and progress.credited_seconds >= ratio * duration:
        progress.completed_at = now
    _recheck_course(user, course, progress, now)
    return progress


def report_reading(user, course: Course, lesson: Lesson, token: str, now=None) -> LessonProgress:
    """An article, document or image set is done once the member's clock has spent long enough on it:
    time spent on another lesson at the same moment is not counted again."""
    now = now or utcnow()
    clock = _locked_clock(user)
    progress = _current_view(user, lesson, token)
    needed = course.published.reading_seconds if course.published else 60
    if progress.completed_at is None:
        start = _credit_start(clock, progress)
        progress.credited_seconds = min(float(needed), (progress.credited_seconds or 0.0)
                                        + max(0.0, (now - start).total_seconds()))
        progress.last_report_at = now
        clock.credited_until = max(now, start)
        left = needed - progress.credited_seconds - CLOCK_TOLERANCE  # the tolerance covers the round trip
        if left > 0:
            raise LearningError(ngettext("Please study this lesson for %(num)s more second: time spent on another "
                                           "lesson at the same time counts only once.",
                                           "Please study this lesson for %(num)s more seconds: time spent on another "
                                           "lesson at the same time counts only once.", ceil(left)))
        progress.completed_at = now
    _recheck_course(user, course, progress, now)
    return progress


def _recheck_course(user, course, progress, now) -> None:
    """After every report, also of a lesson already done: a course left incomplete (a crash between
    two commits, an older version's race) is completed by the member's next report on it."""
    db.session.flush()
    if progress.completed_at is not None:
        check_course_completion(user, course, now)


def required_lesson_keys(course: Course) -> set[str]:
    return {lesson.key for lesson in course.published.lessons if lesson.required} if course.published else set()


def check_course_completion(user, course: Course, now=None) -> bool:
    """Complete the course (and credit its hours once) when every requirement is met; count the
    lessons done. Safe to call again at any time: it changes nothing once the course is complete."""
    now = now or utcnow()
    # Decided under a lock on the enrolment: whatever else completes a requirement at the same moment
    # (another lesson, the final quiz, a base session) waits here until this decision commits, then
    # reads what it committed (each statement at READ COMMITTED sees the latest commits).
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id,
                                                          Enrolment.course_id == course.id)
                                  .with_for_update().execution_options(populate_existing=True))
    if enrolment is None or course.published is None:
        return False
    keys = {lesson.key for lesson in course.published.lessons}
    done = set(db.session.scalars(select(LessonProgress.lesson_key).where(
        LessonProgress.user_id == user.id, LessonProgress.course_id == course.id,
        LessonProgress.completed_at.is_not(None))))
    enrolment.lessons_done = len(done & keys)
    if enrolment.completed_at is not None:
        return True
    if required_lesson_keys(course) - done or not extra_requirements_met(user, course):
        return False
    enrolment.completed_at = now
    credit_study_hours(user, "course", course.id, course.published.hours, course.published.title, now)
    db.session.flush()
    return True


def complete_courses_left_incomplete() -> int:
    """Re-check every enrolment whose required lessons are all done but whose course is not complete
    (a race that an older version lost, or a crash between two commits) and complete those whose
    every requirement is met, crediting their hours. Returns how many were completed.

    The completion is dated at the member's last lesson of the course, when it was earned."""
    from learning_app.models import User
    lesson = Lesson.__table__
    required_left = (select(lesson.c.id).where(
        lesson.c.revision_id == Course.published_revision_id, lesson.c.required.is_(True),
        ~select(LessonProgress.id).where(LessonProgress.user_id == Enrolment.user_id,
                                         LessonProgress.lesson_key == lesson.c.key,
                                         LessonProgress.completed_at.is_not(None)).exists())
        .exists())
    last_lesson = (select(func.max(LessonProgress.completed_at))
                   .where(LessonProgress.user_id == Enrolment.user_id, LessonProgress.course_id == Enrolment.course_id)
                   .scalar_subquery())
    candidates = db.session.execute(
        select(Enrolment.user_id, Enrolment.course_id, last_lesson).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.completed_at.is_(None), Course.published_revision_id.is_not(None), ~required_left)
        .order_by(Enrolment.user_id, Enrolment.course_id)).all()
    completed = 0
    for user_id, course_id, finished_at in candidates:
        user, course = db.session.get(User, user_id), db.session.get(Course, course_id)
        completed += check_course_completion(user, course, as_utc(finished_at) or utcnow())
    return completed


def recount_lessons_done() -> None:
    """Set every enrolment's count of lessons done from its progress rows (after a lost race)."""
    lesson = Lesson.__table__
    # Correlated by hand: in an UPDATE, SQLAlchemy does not correlate a subquery's enrolment by itself.
    published = (select(Course.published_revision_id).where(Course.id == Enrolment.course_id)
                 .correlate(Enrolment).scalar_subquery())
    done = (select(func.count(lesson.c.id)).where(
        lesson.c.revision_id == published,
        select(LessonProgress.id).where(LessonProgress.user_id == Enrolment.user_id,
                                        LessonProgress.lesson_key == lesson.c.key,
                                        LessonProgress.completed_at.is_not(None)).correlate(Enrolment, lesson).exists())
        .correlate(Enrolment).scalar_subquery())
    db.session.execute(update(Enrolment).where(Enrolment.lessons_done != done).values(lessons_done=done)
                       .execution_options(synchronize_session=False))

"""Learning: enrolment, lesson progress reported by the player, completion and its credit."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from learning_app.extensions import db
from learning_app.models import utcnow

from ..completion import extra_requirements_met
from ..models import Course, Enrolment, EnrolmentSource, Lesson, LessonProgress
from .ledger import credit_study_hours

# A report may claim at most this many seconds beyond the wall clock (network jitter).
CLOCK_TOLERANCE = 2.0
MAX_SECONDS_PER_REPORT = 60.0


class LearningError(ValueError):
    """A report the server cannot accept; the message is for the member."""


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes; they were stored in UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def ensure_enrolment(user, course: Course, source: EnrolmentSource) -> Enrolment:
    """The member's enrolment in the course, created once even under concurrent requests."""
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id,
                                                          Enrolment.course_id == course.id))
    if enrolment is not None:
        return enrolment
    try:
        with db.session.begin_nested():
            enrolment = Enrolment(user_id=user.id, course_id=course.id, source=source)
            db.session.add(enrolment)
    except IntegrityError:
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id,
                                                              Enrolment.course_id == course.id))
    return enrolment


def open_lesson(user, course: Course, lesson: Lesson, source: EnrolmentSource, now=None) -> LessonProgress:
    """Start a view of the lesson: a fresh token makes any older tab's reports stale."""
    now = now or utcnow()
    ensure_enrolment(user, course, source)
    progress = _progress_for(user, course, lesson)
    progress.view_token = secrets.token_hex(16)
    progress.view_started_at = now
    # A report may have run ahead of the clock by the tolerance; a new view does not undo that.
    last = _aware(progress.last_report_at)
    progress.last_report_at = max(now, last) if last else now
    db.session.flush()
    return progress


def _progress_for(user, course, lesson) -> LessonProgress:
    progress = db.session.scalar(select(LessonProgress).where(LessonProgress.user_id == user.id,
                                                              LessonProgress.lesson_key == lesson.key))
    if progress is None:
        try:
            with db.session.begin_nested():
                progress = LessonProgress(user_id=user.id, course_id=course.id, lesson_key=lesson.key)
                db.session.add(progress)
        except IntegrityError:
            progress = db.session.scalar(select(LessonProgress).where(
                LessonProgress.user_id == user.id, LessonProgress.lesson_key == lesson.key))
    return progress


def _current_view(user, lesson, token) -> LessonProgress:
    progress = db.session.scalar(
        select(LessonProgress).where(LessonProgress.user_id == user.id, LessonProgress.lesson_key == lesson.key)
        .with_for_update())
    if progress is None or not token or progress.view_token != token:
        raise LearningError(_("This lesson is open in another window; progress is counted there."))
    return progress


def report_media_progress(user, course: Course, lesson: Lesson, token: str, played: float, position: float,
                          now=None) -> LessonProgress:
    """Credit seconds the player says it played since its last report, never more than the
    wall clock allows, and complete the lesson when enough of it was played."""
    now = now or utcnow()
    progress = _current_view(user, lesson, token)
    last = _aware(progress.last_report_at)
    # last_report_at is the moment up to which play was credited: up to CLOCK_TOLERANCE ahead of the
    # clock, so the tolerance is granted once, not again with every (rapid) report.
    available = max(0.0, (now - last).total_seconds() + CLOCK_TOLERANCE)
    # A player reports every few seconds; one report never earns more than a few heartbeats' worth,
    # so time spent paused (or with the tab closed) cannot be claimed afterwards.
    claimed = max(0.0, min(float(played), available, MAX_SECONDS_PER_REPORT))
    duration = float(lesson.duration_seconds or 0)
    progress.credited_seconds = min(duration, (progress.credited_seconds or 0.0) + claimed) if duration else 0.0
    progress.position_seconds = max(0.0, min(float(position), duration or float(position)))
    progress.last_report_at = max(now, last + timedelta(seconds=claimed))
    ratio = course.published.media_completion_ratio if course.published else 0.9
    if duration and progress.completed_at is None and progress.credited_seconds >= ratio * duration:
        _complete_lesson(user, course, progress, now)
    db.session.flush()
    return progress


def report_reading(user, course: Course, lesson: Lesson, token: str, now=None) -> LessonProgress:
    """An article, document or image set is done once it has been open long enough."""
    now = now or utcnow()
    progress = _current_view(user, lesson, token)
    needed = course.published.reading_seconds if course.published else 60
    open_for = (now - _aware(progress.view_started_at)).total_seconds()
    progress.credited_seconds = max(progress.credited_seconds or 0.0, min(open_for, float(needed)))
    progress.last_report_at = now
    if progress.completed_at is None:
        if open_for + CLOCK_TOLERANCE < needed:  # the tolerance covers the round trip
            raise LearningError(_("Please spend at least %(seconds)s seconds on this lesson.", seconds=needed))
        _complete_lesson(user, course, progress, now)
    db.session.flush()
    return progress


def _complete_lesson(user, course, progress, now) -> None:
    progress.completed_at = now
    db.session.flush()
    check_course_completion(user, course, now)


def required_lesson_keys(course: Course) -> set[str]:
    return {lesson.key for lesson in course.published.lessons if lesson.required} if course.published else set()


def check_course_completion(user, course: Course, now=None) -> bool:
    """Complete the course (and credit its hours once) when every requirement is met."""
    now = now or utcnow()
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id,
                                                          Enrolment.course_id == course.id))
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

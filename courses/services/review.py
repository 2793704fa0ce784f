"""Review before publish (先审后发): draft -> submitted -> published, or back to draft with comments."""
from flask_babel import gettext as _

from learning_app.extensions import db
from learning_app.models import utcnow

from ..models import Course, LessonKind, RevisionStatus
from ..reminders import notify_review_outcome
from .authoring import AuthoringError, log_event

NEEDS_FILE = {LessonKind.VIDEO, LessonKind.AUDIO, LessonKind.DOCUMENT}
NEEDS_FILES = {LessonKind.IMAGES, LessonKind.ATTACHMENT}


def problems_before_submission(revision) -> list[str]:
    """What keeps a draft from going to review; empty when it is ready."""
    problems = []
    if not revision.lessons:
        problems.append(_("The course has no lessons yet."))
    for lesson in revision.lessons:
        if lesson.kind in NEEDS_FILE and lesson.file_id is None:
            problems.append(_("Lesson “%(title)s” has no file yet.", title=lesson.title))
        elif lesson.kind in NEEDS_FILES and not lesson.extra_files:
            problems.append(_("Lesson “%(title)s” has no files yet.", title=lesson.title))
        elif lesson.kind == LessonKind.ARTICLE and not lesson.body.strip():
            problems.append(_("Lesson “%(title)s” has no text yet.", title=lesson.title))
        if lesson.kind in (LessonKind.VIDEO, LessonKind.AUDIO) and lesson.file_id and not lesson.duration_seconds:
            problems.append(_("Enter the duration of lesson “%(title)s”: it could not be read from the file.",
                              title=lesson.title))
    if revision.hours is None or revision.hours <= 0:
        problems.append(_("Set the study hours the course credits."))
    return problems


def submit_for_review(course: Course, actor) -> None:
    revision = course.working
    if revision is None or revision.status != RevisionStatus.DRAFT:
        raise AuthoringError(_("Only a draft can be submitted for review."))
    problems = problems_before_submission(revision)
    if problems:
        raise AuthoringError(" ".join(problems))
    revision.status = RevisionStatus.SUBMITTED
    revision.submitted_at = utcnow()
    log_event(course, revision, actor, "submit")
    db.session.flush()


def withdraw_from_review(course: Course, actor) -> None:
    revision = course.working
    if revision is None or revision.status != RevisionStatus.SUBMITTED:
        raise AuthoringError(_("The course is not awaiting review."))
    revision.status = RevisionStatus.DRAFT
    log_event(course, revision, actor, "withdraw")
    db.session.flush()


def _revision_in_review(course: Course, reviewer):
    if not course.can_review(reviewer):
        raise AuthoringError(_("You cannot review this course: nobody reviews their own course."))
    revision = course.working
    if revision is None or revision.status != RevisionStatus.SUBMITTED:
        raise AuthoringError(_("The course is not awaiting review."))
    return revision


def approve(course: Course, reviewer, comment: str = "") -> None:
    """Publish the submitted revision; the one members saw before is kept as superseded."""
    revision = _revision_in_review(course, reviewer)
    if course.published is not None:
        course.published.status = RevisionStatus.SUPERSEDED
    revision.status = RevisionStatus.PUBLISHED
    revision.published_at = utcnow()
    revision.reviewer_id = reviewer.id
    course.published = revision
    course.working = None
    log_event(course, revision, reviewer, "approve", comment.strip())
    db.session.flush()
    notify_review_outcome(course, revision, True, comment.strip())


def return_to_author(course: Course, reviewer, comment: str) -> None:
    """Send the revision back to draft; the reviewer says what to change."""
    if not (comment or "").strip():
        raise AuthoringError(_("Say what the author should change."))
    revision = _revision_in_review(course, reviewer)
    revision.status = RevisionStatus.DRAFT
    revision.reviewer_id = reviewer.id
    log_event(course, revision, reviewer, "reject", comment.strip())
    db.session.flush()
    notify_review_outcome(course, revision, False, comment.strip())

"""Reads for courses and learning; each returns rows in a fixed number of statements."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, literal, or_, select
from sqlalchemy.orm import aliased, selectinload

from learning_app.extensions import db
from learning_app.search import ESCAPE, contains_pattern
from learning_app.models import Organization

from .markdown import FILE_REFERENCE_IN_TEXT
from .models import (Assignment, Chapter, Course, CourseRevision, Enrolment, Lesson, LessonProgress,
                     ReviewEvent, RevisionStatus, StoredFile, StudyHoursEntry)


def _set_contains(column, value):
    """SQL for in_set(): an empty set means everyone."""
    return or_(column == "", column.like(f"%,{value},%"))


def assignments_covering(user):
    """A select of the active assignments whose scope includes this member (joining later included)."""
    if user.org is None:
        return select(Assignment).where(literal(False))
    return (select(Assignment).where(
        Assignment.is_active.is_(True), Assignment.org_id.in_(user.org.ancestor_ids),
        _set_contains(Assignment.categories, user.category.value),
        _set_contains(Assignment.positions, user.position.value)))


def lesson_counts(revision_ids) -> dict[int, int]:
    rows = db.session.execute(select(Lesson.revision_id, func.count()).where(Lesson.revision_id.in_(revision_ids))
                              .group_by(Lesson.revision_id))
    return dict(rows.all())


def my_learning(user) -> list[dict]:
    """Assigned and elective courses with progress, deadline and status, in three statements."""
    assignments = list(db.session.scalars(assignments_covering(user).options(
        selectinload(Assignment.course).selectinload(Course.published))))
    enrolments = {e.course_id: e for e in db.session.scalars(
        select(Enrolment).where(Enrolment.user_id == user.id).options(
            selectinload(Enrolment.course).selectinload(Course.published)))}
    items = {}
    for assignment in sorted(assignments, key=lambda a: (a.deadline or date.max)):
        course = assignment.course
        if course.published is None or course.id in items:
            continue
        items[course.id] = {"course": course, "assignment": assignment, "enrolment": enrolments.get(course.id)}
    for course_id, enrolment in enrolments.items():
        if course_id not in items and enrolment.course.published is not None:
            items[course_id] = {"course": enrolment.course, "assignment": None, "enrolment": enrolment}
    counts = lesson_counts([item["course"].published_revision_id for item in items.values()])
    today = date.today()
    for item in items.values():
        total = counts.get(item["course"].published_revision_id, 0)
        enrolment = item["enrolment"]
        done = enrolment.lessons_done if enrolment else 0
        item["lessons_total"] = total
        item["percent"] = 100 if enrolment and enrolment.completed_at else (round(100 * done / total) if total else 0)
        item["completed"] = bool(enrolment and enrolment.completed_at)
        deadline = item["assignment"].deadline if item["assignment"] else None
        item["deadline"] = deadline
        item["overdue"] = bool(deadline and deadline < today and not item["completed"])
    return list(items.values())


def enrolment_of(user, course) -> Enrolment | None:
    return db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id,
                                                     Enrolment.course_id == course.id))


def hours_in_year(user, year: int) -> Decimal:
    total = db.session.scalar(select(func.coalesce(func.sum(StudyHoursEntry.hours), 0)).where(
        StudyHoursEntry.user_id == user.id, StudyHoursEntry.year == year))
    return Decimal(str(total))


def ledger_entries(user, year: int | None = None):
    query = select(StudyHoursEntry).where(StudyHoursEntry.user_id == user.id)
    if year:
        query = query.where(StudyHoursEntry.year == year)
    return list(db.session.scalars(query.order_by(StudyHoursEntry.credited_at.desc())))


def ledger_years(user) -> list[int]:
    return list(db.session.scalars(select(StudyHoursEntry.year).where(StudyHoursEntry.user_id == user.id)
                                   .distinct().order_by(StudyHoursEntry.year.desc())))


def catalog_query(user, search: str = "", tag: str = ""):
    """Published courses whose audience includes the member, newest first."""
    published = aliased(CourseRevision)
    query = (select(Course).join(published, Course.published_revision_id == published.id)
             .options(selectinload(Course.published))
             .where(_set_contains(published.audience_categories, user.category.value),
                    _set_contains(published.audience_positions, user.position.value)))
    search = (search or "").strip()
    if search:
        pattern = contains_pattern(search)
        query = query.where(or_(published.title.like(pattern, escape=ESCAPE),
                                published.summary.like(pattern, escape=ESCAPE)))
    return query.order_by(published.published_at.desc(), Course.id.desc())


def published_courses_query(search: str = ""):
    published = aliased(CourseRevision)
    query = (select(Course).join(published, Course.published_revision_id == published.id)
             .options(selectinload(Course.published)))
    if search.strip():
        pattern = contains_pattern(search)
        query = query.where(published.title.like(pattern, escape=ESCAPE))
    return query.order_by(published.published_at.desc(), Course.id.desc())


def load_revision(revision_id: int) -> CourseRevision | None:
    """A revision with its chapters, lessons and their files in a fixed number of statements."""
    return db.session.scalar(select(CourseRevision).where(CourseRevision.id == revision_id).options(
        selectinload(CourseRevision.chapters).selectinload(Chapter.lessons).selectinload(Lesson.extra_files)))


def progress_by_key(user, course) -> dict[str, LessonProgress]:
    return {p.lesson_key: p for p in db.session.scalars(select(LessonProgress).where(
        LessonProgress.user_id == user.id, LessonProgress.course_id == course.id))}


def authored_courses(user):
    """Courses the author owns (admins: all), with their latest revision."""
    query = select(Course).options(selectinload(Course.working), selectinload(Course.published))
    if not user.is_admin:
        query = query.where(Course.author_id == user.id)
    return list(db.session.scalars(query.order_by(Course.id.desc())))


def review_queue(reviewer):
    """Submitted revisions of other authors' courses, oldest first."""
    return list(db.session.scalars(
        select(Course).join(CourseRevision, Course.working_revision_id == CourseRevision.id)
        .where(CourseRevision.status == RevisionStatus.SUBMITTED, Course.author_id != reviewer.id)
        .options(selectinload(Course.working), selectinload(Course.author))
        .order_by(CourseRevision.submitted_at)))


def course_history(course) -> list[ReviewEvent]:
    return list(db.session.scalars(select(ReviewEvent).where(ReviewEvent.course_id == course.id)
                                   .options(selectinload(ReviewEvent.revision))
                                   .order_by(ReviewEvent.created_at.desc(), ReviewEvent.id.desc())))


def course_assignments(course, viewer):
    """The course's active assignments within the viewer's reach."""
    return list(db.session.scalars(
        select(Assignment).join(Organization, Assignment.org_id == Organization.id)
        .where(Assignment.course_id == course.id, Assignment.is_active.is_(True),
               viewer.visible_orgs_condition())
        .order_by(Assignment.created_at.desc())))


def revision_file_ids(revision: CourseRevision) -> set[int]:
    """Every file a revision shows: lesson files, image sets, downloads, the cover, article images."""
    ids = {revision.cover_file_id} if revision.cover_file_id else set()
    referenced = set()
    for lesson in revision.lessons:
        if lesson.file_id:
            ids.add(lesson.file_id)
        ids.update(f.file_id for f in lesson.extra_files)
        referenced.update(int(a or b) for a, b in FILE_REFERENCE_IN_TEXT.findall(lesson.body or ""))
    referenced -= ids
    if referenced:  # an article may name any number; only the course's own uploads count
        ids.update(db.session.scalars(select(StoredFile.id).where(StoredFile.id.in_(referenced),
                                                                  StoredFile.course_id == revision.course_id)))
    return ids


def files_of_course(course_id: int) -> list[StoredFile]:
    return list(db.session.scalars(select(StoredFile).where(StoredFile.course_id == course_id)
                                   .order_by(StoredFile.id)))


def learning_summary(user) -> dict:
    """The member's year at a glance for the home page: hours against the requirement, open work."""
    from learning_app.timezones import utc_to_local
    from learning_app.models import utcnow
    year = utc_to_local(utcnow()).year
    items = my_learning(user)
    hours = hours_in_year(user, year)
    required = user.yearly_hours_required
    return {"year": year, "hours": hours, "required": required,
            "percent": min(100, round(100 * hours / required)) if required else 100,
            "open": sum(1 for item in items if not item["completed"]),
            "overdue": sum(1 for item in items if item["overdue"])}

"""Reads for courses and learning; each returns rows in a fixed number of statements."""
from __future__ import annotations

import functools
from decimal import Decimal

from sqlalchemy import and_, bindparam, case, func, or_, select, union
from sqlalchemy.orm import aliased, lazyload, selectinload

from learning_app.extensions import db
from learning_app.models import Organization
from learning_app.search import ESCAPE, contains_pattern
from learning_app.timezones import local_today

from .markdown import FILE_REFERENCE_IN_TEXT
from .models import (
    Assignment,
    Chapter,
    Course,
    CourseRevision,
    Enrolment,
    Lesson,
    LessonProgress,
    ReviewEvent,
    RevisionStatus,
    StoredFile,
    StudyHoursEntry,
    set_contains,
    set_matches,
    set_pattern,
)


def _covers_member():
    """The one rule for "this assignment covers the member", with the member as bound parameters
    (see _member_params): active, on the member's node or above it, for their category and position."""
    return and_(Assignment.is_active.is_(True), Assignment.org_id.in_(bindparam("ancestor_ids", expanding=True)),
                set_matches(Assignment.categories, bindparam("category_pattern")),
                set_matches(Assignment.positions, bindparam("position_pattern")))


def _member_params(user) -> dict:
    """The bound parameters of _covers_member() for this member."""
    return {"ancestor_ids": user.org.ancestor_ids, "category_pattern": set_pattern(user.category.value),
            "position_pattern": set_pattern(user.position.value)}


@functools.cache
def _course_assigned_statement():
    # Built once: every lesson page and progress report may ask.
    return select(Assignment.id).where(Assignment.course_id == bindparam("course_id"), _covers_member()).limit(1)


def course_assigned_to(user, course_id: int) -> bool:
    """Whether an active assignment of the course covers the member."""
    if user.org is None:
        return False
    found = db.session.connection().execute(_course_assigned_statement(),
                                            {**_member_params(user), "course_id": course_id}).first()
    return found is not None


@functools.cache
def _my_learning_statement():
    """Built once per process, with bound parameters: for a statement of this size, building it and
    computing its cache key cost more than running it, and every member opens the page."""
    covering = (select(Assignment.course_id, Assignment.deadline, Assignment.required)
                .where(_covers_member()).subquery())
    assigned = (select(covering.c.course_id, func.min(covering.c.deadline).label("deadline"),
                       func.max(case((covering.c.required.is_(True), 1), else_=0)).label("required"))
                .group_by(covering.c.course_id).cte("assigned"))
    mine = union(select(assigned.c.course_id),
                 select(Enrolment.course_id).where(Enrolment.user_id == bindparam("user_id"))).subquery()
    lessons_total = (select(func.count()).where(Lesson.revision_id == Course.published_revision_id)
                     .correlate(Course).scalar_subquery())
    return (select(Course.id, CourseRevision.title, CourseRevision.hours, assigned.c.course_id.is_not(None),
                   assigned.c.required, assigned.c.deadline, Enrolment.lessons_done, Enrolment.completed_at,
                   lessons_total)
            .join(mine, mine.c.course_id == Course.id)
            .join(CourseRevision, CourseRevision.id == Course.published_revision_id)
            .outerjoin(assigned, assigned.c.course_id == Course.id)
            .outerjoin(Enrolment, and_(Enrolment.course_id == Course.id, Enrolment.user_id == bindparam("user_id")))
            .order_by(assigned.c.course_id.is_(None), assigned.c.deadline.is_(None), assigned.c.deadline,
                      Enrolment.id, Course.id))


def my_learning(user) -> list[dict]:
    """Assigned and elective courses with progress, deadline and status, in one statement of plain rows
    (no ORM objects). Assigned courses come first, soonest deadline first; a course assigned several
    times shows its earliest deadline and is required if any assignment requires it."""
    if user.org is None:
        return []
    # On the session's connection, not through the ORM: plain rows need none of its bookkeeping,
    # which cost more than the query itself.
    rows = db.session.connection().execute(_my_learning_statement(), {**_member_params(user), "user_id": user.id})
    today = local_today()
    items = []
    for course_id, title, hours, is_assigned, required, deadline, done, completed_at, total in rows:
        completed = completed_at is not None
        items.append({
            "course_id": course_id, "title": title, "hours": hours, "assigned": bool(is_assigned),
            "required": bool(required), "deadline": deadline, "lessons_total": total, "completed": completed,
            "percent": 100 if completed else (round(100 * (done or 0) / total) if total else 0),
            "overdue": bool(deadline and deadline < today and not completed)})
    return items


@functools.cache
def _enrolment_statement():
    # Built once: the lesson page and every progress report read it.
    return select(Enrolment).where(Enrolment.user_id == bindparam("user_id"),
                                   Enrolment.course_id == bindparam("course_id"))


def enrolment_of(user, course) -> Enrolment | None:
    return db.session.scalar(_enrolment_statement(), {"user_id": user.id, "course_id": course.id})


@functools.cache
def _hours_in_year_statement():
    # Built once: the learning page and the home page run it for every member.
    return select(func.coalesce(func.sum(StudyHoursEntry.hours), 0)).where(
        StudyHoursEntry.user_id == bindparam("user_id"), StudyHoursEntry.year == bindparam("year"))


def hours_in_year(user, year: int) -> Decimal:
    total = db.session.connection().scalar(_hours_in_year_statement(), {"user_id": user.id, "year": year})
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
             .where(set_contains(published.audience_categories, user.category.value),
                    set_contains(published.audience_positions, user.position.value)))
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


@functools.cache
def _lessons_in_order_statement():
    # Built once: every lesson page reads it.
    return (select(Lesson).join(Chapter, Lesson.chapter_id == Chapter.id)
            .where(Lesson.revision_id == bindparam("revision_id"))
            .order_by(Chapter.position, Chapter.id, Lesson.position, Lesson.id))


def lessons_in_order(revision_id: int) -> list[Lesson]:
    """A revision's lessons in reading order (chapter by chapter), each with its file, in one
    statement: what a lesson page needs to find its lesson and the ones before and after it."""
    return list(db.session.scalars(_lessons_in_order_statement(), {"revision_id": revision_id}))


@functools.cache
def _published_lesson_statement():
    # Built once: every progress report reads it.
    return select(Lesson).options(lazyload(Lesson.file)).where(Lesson.revision_id == bindparam("revision_id"),
                                                               Lesson.key == bindparam("lesson_key"))


def published_lesson(course, lesson_key: str) -> Lesson | None:
    """The lesson of the course's published revision with this key, or None."""
    if course.published_revision_id is None:
        return None
    return db.session.scalar(_published_lesson_statement(),
                             {"revision_id": course.published_revision_id, "lesson_key": lesson_key})


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
    from learning_app.models import utcnow
    from learning_app.timezones import utc_to_local
    year = utc_to_local(utcnow()).year
    items = my_learning(user)
    hours = hours_in_year(user, year)
    required = user.yearly_hours_required
    return {"year": year, "hours": hours, "required": required,
            "percent": min(100, round(100 * hours / required)) if required else 100,
            "open": sum(1 for item in items if not item["completed"]),
            "overdue": sum(1 for item in items if item["overdue"]),
            # What to study next (大字模式's home page): assigned first, soonest deadline first.
            "next": [item for item in items if not item["completed"]][:3]}

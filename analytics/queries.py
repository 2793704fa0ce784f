"""Dashboard figures: aggregated in SQL per branch, then rolled up the tree in one pass over the nodes.

Nothing here loops over members: every query groups by organisation (or by month, bin,
question) and returns at most one row per group.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import String, and_, case, cast, extract, func, literal, or_, select
from sqlalchemy.orm import aliased

from courses.bases.models import Attendance, CollectiveAttendance, CollectiveStudy
from courses.models import Assignment, Course, CourseRevision, Enrolment, Lesson, StudyHoursEntry
from learning_app.extensions import db
from learning_app.models import Organization, PositionLevel, User
from quizzes.models import Attempt, AttemptAnswer, AttemptStatus, Question, Quiz

from .filters import Filters

HOURS_BIN = 8  # width of the study-hours histogram's bins


@dataclass
class Figures:
    """The counts of one node (its own members, or with everything below it after roll-up)."""
    members: int = 0
    assigned: int = 0
    started: int = 0
    completed: int = 0
    overdue: int = 0
    meeting_hours: int = 0
    hours: float = 0.0

    def add(self, other: Figures) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def completion_rate(self) -> float | None:
        return round(100 * self.completed / self.assigned, 1) if self.assigned else None

    @property
    def hours_rate(self) -> float | None:
        return round(100 * self.meeting_hours / self.members, 1) if self.members else None


@dataclass
class TreeFigures:
    nodes: list[Organization]
    own: dict[int, Figures] = field(default_factory=dict)
    total: dict[int, Figures] = field(default_factory=dict)


def _member_scope(root: Organization, filters: Filters, member_org):
    conditions = [Organization.subtree_condition(root.path, member_org.path), User.is_active_account.is_(True)]
    if filters.category:
        conditions.append(User.category == filters.category)
    return and_(*conditions)


def _in_set(column, value_column):
    """SQL for "value is in this ',a,b,' set, or the set is empty (everyone)"."""
    return or_(column == "", column.like(literal("%,") + cast(value_column, String) + literal(",%")))


def assignment_pairs(root: Organization, filters: Filters):
    """(member, course) pairs that some active assignment covers, with the earliest deadline.

    Coverage is first worked out per organisation (nodes x assignments, a few thousand rows),
    then members join their own node by id: the path comparison never runs per member.
    """
    member_org, assigning_org = aliased(Organization), aliased(Organization)
    covered = (select(member_org.id.label("org_id"), Assignment.course_id.label("course_id"),
                      Assignment.deadline.label("deadline"), Assignment.categories.label("categories"),
                      Assignment.positions.label("positions"))
               .join(assigning_org, member_org.path.like(assigning_org.path + literal("%")))
               .join(Assignment, Assignment.org_id == assigning_org.id)
               .where(Organization.subtree_condition(root.path, member_org.path), Assignment.is_active.is_(True)))
    if filters.course_id:
        covered = covered.where(Assignment.course_id == filters.course_id)
    covered = covered.cte("covered")
    conditions = [User.is_active_account.is_(True), _in_set(covered.c.categories, User.category),
                  _in_set(covered.c.positions, User.position)]
    if filters.category:
        conditions.append(User.category == filters.category)
    query = (select(User.id.label("user_id"), User.org_id.label("org_id"), covered.c.course_id.label("course_id"),
                    func.min(covered.c.deadline).label("deadline"))
             .join(covered, User.org_id == covered.c.org_id).where(*conditions))
    return query.group_by(User.id, User.org_id, covered.c.course_id).subquery("pairs")


def _completed_condition(filters: Filters):
    condition = Enrolment.completed_at.is_not(None)
    if filters.since:
        condition = and_(condition, Enrolment.completed_at >= filters.since)
    if filters.until:
        condition = and_(condition, Enrolment.completed_at < filters.until)
    return condition


def assignment_figures_by_org(root: Organization, filters: Filters, today: date) -> dict[int, dict]:
    pairs = assignment_pairs(root, filters)
    completed = _completed_condition(filters)
    rows = db.session.execute(
        select(pairs.c.org_id, func.count(),
               func.count(Enrolment.id),
               func.sum(case((completed, 1), else_=0)),
               func.sum(case((and_(pairs.c.deadline < today, Enrolment.completed_at.is_(None)), 1), else_=0)))
        .select_from(pairs)
        .outerjoin(Enrolment, and_(Enrolment.user_id == pairs.c.user_id, Enrolment.course_id == pairs.c.course_id))
        .group_by(pairs.c.org_id))
    return {org_id: {"assigned": assigned, "started": started, "completed": int(done or 0),
                     "overdue": int(late or 0)}
            for org_id, assigned, started, done, late in rows}


def _required_hours():
    required = current_app.config["YEARLY_STUDY_HOURS"]
    return case(*[(User.position == level.value, required[level.value]) for level in PositionLevel], else_=32)


def hours_per_member(root: Organization, filters: Filters):
    """Each member in scope with their credited hours in the year (0 when none): a subquery."""
    member_org = aliased(Organization)
    # The ledger holds tenths: round the sum so that SQLite's floating-point addition (0.2 + 27.9 + 3.9
    # = 31.999…) cannot put a member exactly on the requirement below it.
    credited = func.round(func.sum(StudyHoursEntry.hours), 1, type_=db.Numeric(10, 1))
    totals = (select(StudyHoursEntry.user_id, credited.label("hours"))
              .where(StudyHoursEntry.year == filters.year).group_by(StudyHoursEntry.user_id).subquery("totals"))
    return (select(User.id.label("user_id"), User.org_id.label("org_id"),
                   func.coalesce(totals.c.hours, 0).label("hours"), _required_hours().label("required"))
            .join(member_org, User.org_id == member_org.id)
            .outerjoin(totals, totals.c.user_id == User.id)
            .where(_member_scope(root, filters, member_org))).subquery("member_hours")


def member_figures_by_org(root: Organization, filters: Filters) -> dict[int, dict]:
    hours = hours_per_member(root, filters)
    rows = db.session.execute(
        select(hours.c.org_id, func.count(), func.sum(case((hours.c.hours >= hours.c.required, 1), else_=0)),
               func.sum(hours.c.hours))
        .group_by(hours.c.org_id))
    return {org_id: {"members": members, "meeting_hours": int(meeting or 0), "hours": float(total or 0)}
            for org_id, members, meeting, total in rows}


def tree_figures(root: Organization, filters: Filters, today: date | None = None) -> TreeFigures:
    """Figures for every node under `root`: its own members and, rolled up, its whole subtree."""
    today = today or date.today()
    nodes = list(db.session.scalars(select(Organization).where(root.subtree_filter()).order_by(Organization.path)))
    result = TreeFigures(nodes=nodes)
    for source in (member_figures_by_org(root, filters), assignment_figures_by_org(root, filters, today)):
        for org_id, values in source.items():
            figures = result.own.setdefault(org_id, Figures())
            for name, value in values.items():
                setattr(figures, name, value)
    # One pass from the deepest nodes up: each node's total is its own plus its children's totals.
    for node in nodes:
        result.total[node.id] = Figures()
        result.total[node.id].add(result.own.get(node.id, Figures()))
    for node in sorted(nodes, key=lambda n: n.depth, reverse=True):
        if node.parent_id in result.total and node.id != root.id:
            result.total[node.parent_id].add(result.total[node.id])
    return result


def hours_distribution(root: Organization, filters: Filters) -> list[tuple[int, int]]:
    """(bin start, members) for the credited hours of the year, in bins of HOURS_BIN."""
    hours = hours_per_member(root, filters)
    bucket = cast(func.floor(hours.c.hours / HOURS_BIN), db.Integer)
    rows = db.session.execute(select(bucket, func.count()).group_by(bucket).order_by(bucket))
    return [(int(b or 0) * HOURS_BIN, count) for b, count in rows]


def completions_over_time(root: Organization, filters: Filters) -> list[tuple[str, int]]:
    """Completions of assigned courses per day, for a cumulative line."""
    pairs = assignment_pairs(root, filters)
    day = func.date(Enrolment.completed_at)
    rows = db.session.execute(
        select(day, func.count()).select_from(pairs)
        .join(Enrolment, and_(Enrolment.user_id == pairs.c.user_id, Enrolment.course_id == pairs.c.course_id))
        .where(_completed_condition(filters)).group_by(day).order_by(day))
    return [(str(d), count) for d, count in rows]


def earliest_deadline(root: Organization, filters: Filters):
    pairs = assignment_pairs(root, filters)
    return db.session.scalar(select(func.min(pairs.c.deadline)))


def funnel(root: Organization, filters: Filters) -> dict[str, int]:
    """Assigned -> started -> all lessons done -> final quiz passed -> completed, over (member, course) pairs."""
    pairs = assignment_pairs(root, filters)
    lessons = (select(Course.id.label("course_id"), func.count(Lesson.id).label("lessons"))
               .join(Lesson, Lesson.revision_id == Course.published_revision_id)
               .group_by(Course.id).subquery("lesson_counts"))
    passed = (select(Attempt.user_id, Quiz.course_id).join(Quiz, Attempt.quiz_id == Quiz.id)
              .where(Attempt.passed.is_(True), Quiz.course_id.is_not(None)).distinct().subquery("passed"))
    row = db.session.execute(
        select(func.count(), func.count(Enrolment.id),
               func.sum(case((Enrolment.lessons_done >= func.coalesce(lessons.c.lessons, 0), 1), else_=0)),
               func.count(passed.c.user_id),
               func.sum(case((_completed_condition(filters), 1), else_=0)))
        .select_from(pairs)
        .outerjoin(Enrolment, and_(Enrolment.user_id == pairs.c.user_id, Enrolment.course_id == pairs.c.course_id))
        .outerjoin(lessons, lessons.c.course_id == pairs.c.course_id)
        .outerjoin(passed, and_(passed.c.user_id == pairs.c.user_id, passed.c.course_id == pairs.c.course_id))).one()
    assigned, started, lessons_done, quiz_passed, completed = row
    return {"assigned": assigned, "started": started, "lessons_done": int(lessons_done or 0),
            "quiz_passed": quiz_passed, "completed": int(completed or 0)}


def _scoped_users(root, filters):
    member_org = aliased(Organization)
    return select(User.id).join(member_org, User.org_id == member_org.id).where(
        _member_scope(root, filters, member_org))


def _quizzes_in_filter(filters: Filters):
    query = select(Quiz.id)
    if filters.course_id:
        query = query.where(Quiz.course_id == filters.course_id)
    return query


def score_distribution(root: Organization, filters: Filters) -> list[tuple[int, int]]:
    """Graded attempts by score band of 10 %."""
    band = cast(func.floor(100 * Attempt.score / func.nullif(Attempt.max_score, 0) / 10), db.Integer)
    rows = db.session.execute(
        select(band, func.count()).where(Attempt.status == AttemptStatus.GRADED,
                                         Attempt.user_id.in_(_scoped_users(root, filters)),
                                         Attempt.quiz_id.in_(_quizzes_in_filter(filters)))
        .group_by(band).order_by(band))
    # 100 % falls in band 10: fold it into the 90–100 % band (one row per band, not two starting at 90).
    counts: dict[int, int] = {}
    for b, count in rows:
        start = min(int(b or 0), 9) * 10
        counts[start] = counts.get(start, 0) + count
    return sorted(counts.items())


def question_difficulty(root: Organization, filters: Filters, limit: int = 20) -> list[dict]:
    """The questions answered least well in scope: times answered and share answered right."""
    right = func.sum(case((AttemptAnswer.score >= AttemptAnswer.points, 1), else_=0))
    rows = db.session.execute(
        select(AttemptAnswer.question_id, Question.stem, func.count(), right)
        .join(Attempt, AttemptAnswer.attempt_id == Attempt.id)
        .join(Question, AttemptAnswer.question_id == Question.id)
        .where(Attempt.status == AttemptStatus.GRADED, Attempt.user_id.in_(_scoped_users(root, filters)),
               Attempt.quiz_id.in_(_quizzes_in_filter(filters)))
        .group_by(AttemptAnswer.question_id, Question.stem)
        .order_by((1.0 * right / func.count()).asc()).limit(limit))
    return [{"question_id": qid, "stem": stem, "answered": n, "correct_rate": round(100 * (ok or 0) / n, 1)}
            for qid, stem, n, ok in rows]


def attendance_by_month(root: Organization, filters: Filters) -> list[tuple[str, int, int]]:
    """(YYYY-MM, base attendances, collective-study attendances) in the year."""
    users = _scoped_users(root, filters)
    base = dict(((int(y), int(m)), n) for y, m, n in db.session.execute(
        select(extract("year", Attendance.checked_in_at), extract("month", Attendance.checked_in_at), func.count())
        .where(Attendance.user_id.in_(users), extract("year", Attendance.checked_in_at) == filters.year)
        .group_by(extract("year", Attendance.checked_in_at), extract("month", Attendance.checked_in_at))))
    collective = dict(((int(y), int(m)), n) for y, m, n in db.session.execute(
        select(extract("year", CollectiveStudy.held_at), extract("month", CollectiveStudy.held_at), func.count())
        .select_from(CollectiveAttendance)
        .join(CollectiveStudy, CollectiveAttendance.study_id == CollectiveStudy.id)
        .where(CollectiveAttendance.user_id.in_(users), extract("year", CollectiveStudy.held_at) == filters.year)
        .group_by(extract("year", CollectiveStudy.held_at), extract("month", CollectiveStudy.held_at))))
    months = sorted(set(base) | set(collective))
    return [(f"{y}-{m:02d}", base.get((y, m), 0), collective.get((y, m), 0)) for y, m in months]


def courses_assigned_within(root: Organization) -> list[tuple[int, str]]:
    """Courses with an active assignment at or above any node of the subtree (for the filter)."""
    in_reach = select(Organization.id).where(or_(root.subtree_filter(), Organization.id.in_(root.ancestor_ids)))
    rows = db.session.execute(
        select(Course.id, CourseRevision.title).join(CourseRevision, Course.published_revision_id == CourseRevision.id)
        .where(Course.id.in_(select(Assignment.course_id).where(Assignment.is_active.is_(True),
                                                               Assignment.org_id.in_(in_reach))))
        .order_by(CourseRevision.title))
    return list(rows)


LIST_KINDS = ("not_started", "overdue", "below_hours")
LIST_SORTS = {"name": User.real_name, "branch": Organization.path, "login": User.login_id}


def action_list(root: Organization, filters: Filters, kind: str, sort: str = "branch", today: date | None = None):
    """The members behind a problem, with contact details, as a select of rows (paginate it)."""
    today = today or date.today()
    member_org = Organization
    if kind == "below_hours":
        hours = hours_per_member(root, filters)
        query = (select(User.id, User.real_name, User.login_id, User.phone, User.org_id, member_org.path,
                        literal(None).label("course"), literal(None).label("deadline"),
                        hours.c.hours, hours.c.required)
                 .join(hours, hours.c.user_id == User.id).join(member_org, User.org_id == member_org.id)
                 .where(hours.c.hours < hours.c.required))
    else:
        pairs = assignment_pairs(root, filters)
        query = (select(User.id, User.real_name, User.login_id, User.phone, User.org_id, member_org.path,
                        CourseRevision.title.label("course"), pairs.c.deadline,
                        literal(None).label("hours"), literal(None).label("required"))
                 .select_from(pairs).join(User, User.id == pairs.c.user_id)
                 .join(member_org, User.org_id == member_org.id)
                 .join(Course, Course.id == pairs.c.course_id)
                 .join(CourseRevision, Course.published_revision_id == CourseRevision.id)
                 .outerjoin(Enrolment, and_(Enrolment.user_id == pairs.c.user_id,
                                            Enrolment.course_id == pairs.c.course_id)))
        if kind == "not_started":
            query = query.where(Enrolment.id.is_(None))
        else:
            query = query.where(pairs.c.deadline < today, Enrolment.completed_at.is_(None))
    order = LIST_SORTS.get(sort, Organization.path)
    return query.order_by(order, User.real_name, User.id)


def page_of(query, page: int, per_page: int):
    """Rows of one page and the total, in two statements."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.execute(query.limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return rows, total

"""Dashboard figures: aggregated in SQL per branch, then rolled up the tree in one pass over the nodes.

Nothing here loops over members: every query groups by organisation (or by month, bin,
question) and returns at most one row per group.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import and_, case, cast, extract, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from courses.bases.models import Attendance, CollectiveAttendance, CollectiveStudy
from courses.models import Assignment, Course, CourseRevision, Enrolment, set_contains
from learning_app.extensions import db
from learning_app.models import Organization, PositionLevel, User
from learning_app.timezones import local_date, local_today
from quizzes.models import Attempt, AttemptAnswer, AttemptStatus, Question, Quiz

from .filters import Filters
from .models import (
    CompletionDayCount,
    CourseProgressCount,
    HoursBinCount,
    MemberCount,
    MemberYearHours,
    SubtreeCompletionDayCount,
)

HOURS_BIN = 8  # width of the study-hours histogram's bins


@dataclass
class Figures:
    """The counts of one node (its own members, or with everything below it after roll-up)."""
    members: int = 0
    assigned: int = 0
    started: int = 0
    completed: int = 0
    overdue: int = 0
    lessons_done: int = 0
    quiz_passed: int = 0
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
    earliest_deadline: date | None = None
    hours_distribution: list[tuple[int, int]] = field(default_factory=list)

    def funnel(self, root: Organization) -> dict[str, int]:
        total = self.total.get(root.id, Figures())
        return {"assigned": total.assigned, "started": total.started, "lessons_done": total.lessons_done,
                "quiz_passed": total.quiz_passed, "completed": total.completed}


def _member_scope(root: Organization, filters: Filters, member_org):
    conditions = [Organization.subtree_condition(root.path, member_org.path), User.is_active_account.is_(True)]
    if filters.category:
        conditions.append(User.category == filters.category)
    return and_(*conditions)


def covered_pairs(member_org_scope, course_id=None, category=None, by_member=False, user_ids=None):
    """(member, course) pairs that some active assignment covers, with the earliest deadline: a subquery.

    `member_org_scope(alias)` limits the members' organisations. Coverage is first worked out per
    organisation (nodes x assignments, a few thousand rows), then members join their own node by
    id: the path comparison never runs per member.
    """
    member_org, assigning_org = aliased(Organization), aliased(Organization)
    covered = (select(member_org.id.label("org_id"), Assignment.course_id.label("course_id"),
                      Assignment.deadline.label("deadline"), Assignment.categories.label("categories"),
                      Assignment.positions.label("positions"))
               .join(assigning_org, member_org.path.like(assigning_org.path + literal("%")))
               .join(Assignment, Assignment.org_id == assigning_org.id)
               .where(member_org_scope(member_org), Assignment.is_active.is_(True)))
    if course_id:
        covered = covered.where(Assignment.course_id == course_id)
    covered = covered.cte("covered")
    conditions = [User.is_active_account.is_(True), set_contains(covered.c.categories, User.category),
                  set_contains(covered.c.positions, User.position)]
    if category:
        conditions.append(User.category == category)
    if user_ids is not None:
        conditions.append(User.id.in_(user_ids))
    member_columns = [User.category.label("category"), User.position.label("position")] if by_member else []
    query = (select(User.id.label("user_id"), User.org_id.label("org_id"), *member_columns,
                    covered.c.course_id.label("course_id"), func.min(covered.c.deadline).label("deadline"))
             .join(covered, User.org_id == covered.c.org_id).where(*conditions))
    return query.group_by(User.id, User.org_id, *member_columns, covered.c.course_id).subquery("pairs")


def assignment_pairs(root: Organization, filters: Filters, user_ids=None):
    """The covered (member, course) pairs under `root` (of these members only, if given), for the lists
    of members behind a figure."""
    return covered_pairs(lambda member_org: Organization.subtree_condition(root.path, member_org.path),
                         filters.course_id, filters.category, user_ids=user_ids)


def _counts_in_scope(model, root: Organization, filters: Filters):
    """Conditions on a count table for the subtree of `root` and the course and category filters."""
    conditions = _members_in_scope(model, root, filters)
    if filters.course_id:
        conditions.append(model.course_id == filters.course_id)
    return conditions


def _members_in_scope(model, root: Organization, filters: Filters):
    """Conditions on a count table of members for the subtree of `root` and the category filter."""
    conditions = [model.org_id == Organization.id, root.subtree_filter()]
    if filters.category:
        conditions.append(model.category == filters.category)
    return conditions


def _days_in_range(conditions, filters: Filters):
    return conditions + _in_range(CompletionDayCount.day, filters)


def _completed_in_range_by_org(root: Organization, filters: Filters) -> dict[int, int]:
    conditions = _days_in_range(_counts_in_scope(CompletionDayCount, root, filters), filters)
    return dict(db.session.execute(select(CompletionDayCount.org_id, func.sum(CompletionDayCount.completed))
                                   .where(*conditions).group_by(CompletionDayCount.org_id)).all())


def assignment_figures_by_org(root: Organization, filters: Filters, today: date) -> dict[int, dict]:
    """Assigned, started, completed, overdue and the funnel's stages per organisation, from the counts."""
    counts = CourseProgressCount
    overdue = case((counts.deadline < today, counts.assigned - counts.completed), else_=0)
    rows = db.session.execute(
        select(counts.org_id, func.sum(counts.assigned), func.sum(counts.started), func.sum(counts.completed),
               func.sum(overdue), func.sum(counts.lessons_done), func.sum(counts.quiz_passed),
               func.min(case((counts.assigned > 0, counts.deadline))))
        .where(*_counts_in_scope(counts, root, filters)).group_by(counts.org_id))
    figures = {org_id: {"assigned": int(assigned or 0), "started": int(started or 0), "completed": int(done or 0),
                        "overdue": int(late or 0), "lessons_done": int(lessons or 0), "quiz_passed": int(passed or 0),
                        "deadline": deadline}
               for org_id, assigned, started, done, late, lessons, passed, deadline in rows}
    if filters.date_from or filters.date_to:
        in_range = _completed_in_range_by_org(root, filters)
        for org_id, values in figures.items():
            values["completed"] = int(in_range.get(org_id) or 0)
    return figures


def required_hours():
    required = current_app.config["YEARLY_STUDY_HOURS"]
    return case(*[(User.position == level.value, required[level.value]) for level in PositionLevel], else_=32)


def hours_per_member(root: Organization, filters: Filters):
    """Each member in scope with their credited hours in the year (0 when none): a subquery."""
    member_org = aliased(Organization)
    year_hours = and_(MemberYearHours.user_id == User.id, MemberYearHours.year == filters.year)
    return (select(User.id.label("user_id"), User.org_id.label("org_id"),
                   func.coalesce(MemberYearHours.hours, 0).label("hours"), required_hours().label("required"))
            .join(member_org, User.org_id == member_org.id)
            .outerjoin(MemberYearHours, year_hours)
            .where(_member_scope(root, filters, member_org))).subquery("member_hours")


def hours_by_org_and_bin(root: Organization, filters: Filters) -> list[tuple[int, int, int, int, float]]:
    """(organisation, hours bin, members, members meeting their requirement, hours), from the counts
    kept per organisation (a few rows each, not a row per member), in one statement."""
    bins, members = HoursBinCount, MemberCount
    in_bins = (select(bins.org_id, bins.bin, func.sum(bins.members), func.sum(bins.meeting), func.sum(bins.hours))
               .where(*_members_in_scope(bins, root, filters), bins.year == filters.year)
               .group_by(bins.org_id, bins.bin))
    # Every member: those with no hours in the year have no bin row and go in the first bin.
    everyone = (select(members.org_id, literal(-1), func.sum(members.members), literal(0), literal(0))
                .where(*_members_in_scope(members, root, filters)).group_by(members.org_id))
    rows, unbinned = [], {}
    for org_id, bin_index, count, meeting, hours in db.session.execute(union_all(in_bins, everyone)):
        if bin_index == -1:
            unbinned[org_id] = unbinned.get(org_id, 0) + int(count)
            continue
        unbinned[org_id] = unbinned.get(org_id, 0) - int(count)
        rows.append([org_id, int(bin_index), int(count), int(meeting or 0), float(hours or 0)])
    first_bins = {row[0]: row for row in rows if row[1] == 0}
    for org_id, without_hours in unbinned.items():
        if not without_hours:
            continue
        if org_id in first_bins:
            first_bins[org_id][2] += without_hours
        else:
            rows.append([org_id, 0, without_hours, 0, 0.0])
    return [tuple(row) for row in rows]


def _member_figures(rows) -> dict[int, dict]:
    figures: dict[int, dict] = {}
    for org_id, _bin, members, meeting, hours in rows:
        values = figures.setdefault(org_id, {"members": 0, "meeting_hours": 0, "hours": 0.0})
        values["members"] += members
        values["meeting_hours"] += meeting
        values["hours"] += hours
    return figures


def _distribution(rows) -> list[tuple[int, int]]:
    members_per_bin: dict[int, int] = {}
    for _org_id, bin_index, members, _meeting, _hours in rows:
        members_per_bin[bin_index] = members_per_bin.get(bin_index, 0) + members
    return [(bin_index * HOURS_BIN, members) for bin_index, members in sorted(members_per_bin.items())]


def subtree_nodes(root: Organization) -> list[Organization]:
    return list(db.session.scalars(select(Organization).where(root.subtree_filter()).order_by(Organization.path)))


def tree_figures(root: Organization, filters: Filters, today: date | None = None) -> TreeFigures:
    """Figures for every node under `root`: its own members and, rolled up, its whole subtree."""
    today = today or local_today()
    nodes = subtree_nodes(root)
    hours_rows = hours_by_org_and_bin(root, filters)
    result = TreeFigures(nodes=nodes, hours_distribution=_distribution(hours_rows))
    for source in (_member_figures(hours_rows), assignment_figures_by_org(root, filters, today)):
        for org_id, values in source.items():
            deadline = values.pop("deadline", None)
            if deadline and (result.earliest_deadline is None or deadline < result.earliest_deadline):
                result.earliest_deadline = deadline
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
    return _distribution(hours_by_org_and_bin(root, filters))


def completions_over_time(root: Organization, filters: Filters) -> list[tuple[str, int]]:
    """Completions of assigned courses per local calendar day, for a cumulative line.

    Without a course or category filter, the node's own members' days and the days already summed
    for everything below it: a year of rows whatever the size of the tree."""
    if filters.course_id or filters.category:
        conditions = _days_in_range(_counts_in_scope(CompletionDayCount, root, filters), filters)
        days = select(CompletionDayCount.day.label("day"), CompletionDayCount.completed.label("completed")
                      ).where(*conditions).subquery()
    else:
        below = SubtreeCompletionDayCount
        days = union_all(
            select(below.day.label("day"), below.completed.label("completed")).where(
                below.org_id == root.id, *_in_range(below.day, filters)),
            select(CompletionDayCount.day, CompletionDayCount.completed).where(
                CompletionDayCount.org_id == root.id, *_in_range(CompletionDayCount.day, filters))).subquery()
    rows = db.session.execute(select(days.c.day, func.sum(days.c.completed)).group_by(days.c.day)
                              .order_by(days.c.day))
    return [(str(day), int(count)) for day, count in rows]


def _in_range(column, filters: Filters) -> list:
    return ([column >= filters.date_from] if filters.date_from else []) + (
        [column <= filters.date_to] if filters.date_to else [])


def earliest_deadline(root: Organization, filters: Filters):
    counts = CourseProgressCount
    return db.session.scalar(select(func.min(counts.deadline)).where(
        counts.assigned > 0, *_counts_in_scope(counts, root, filters)))


def funnel(root: Organization, filters: Filters) -> dict[str, int]:
    """Assigned -> started -> all lessons done -> final quiz passed -> completed, over (member, course) pairs."""
    totals = {"assigned": 0, "started": 0, "lessons_done": 0, "quiz_passed": 0, "completed": 0}
    for values in assignment_figures_by_org(root, filters, local_today()).values():
        for stage in totals:
            totals[stage] += values[stage]
    return totals


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
    """(YYYY-MM, base attendances, collective-study attendances) in the year, by local calendar month."""
    users = _scoped_users(root, filters)
    base = (select(literal("base").label("kind"), local_date.of(Attendance.checked_in_at).label("day"))
            .where(Attendance.user_id.in_(users)))
    collective = (select(literal("collective").label("kind"), local_date.of(CollectiveStudy.held_at).label("day"))
                  .select_from(CollectiveAttendance)
                  .join(CollectiveStudy, CollectiveAttendance.study_id == CollectiveStudy.id)
                  .where(CollectiveAttendance.user_id.in_(users)))
    both = union_all(base, collective).subquery("attended")
    year, month = extract("year", both.c.day), extract("month", both.c.day)
    counts: dict[tuple[int, int], dict[str, int]] = {}
    for kind, y, m, n in db.session.execute(
            select(both.c.kind, year, month, func.count()).where(year == filters.year)
            .group_by(both.c.kind, year, month)):
        counts.setdefault((int(y), int(m)), {})[kind] = n
    return [(f"{y}-{m:02d}", counts[(y, m)].get("base", 0), counts[(y, m)].get("collective", 0))
            for y, m in sorted(counts)]


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


def action_list(root: Organization, filters: Filters, kind: str, sort: str = "branch", today: date | None = None,
                org_ids=None, user_ids=None):
    """The members behind a problem, with contact details, as a select of rows (paginate it).

    `org_ids` or `user_ids` limit the members to these organisations or these members (a page's
    window, see `action_list_page`).
    """
    today = today or local_today()
    member_org = Organization
    if kind == "below_hours":
        hours = hours_per_member(root, filters)
        query = (select(User.id, User.real_name, User.login_id, User.phone, User.org_id, member_org.path,
                        literal(None).label("course"), literal(None).label("deadline"),
                        hours.c.hours, hours.c.required)
                 .join(hours, hours.c.user_id == User.id).join(member_org, User.org_id == member_org.id)
                 .where(hours.c.hours < hours.c.required))
    else:
        if org_ids is not None:
            pairs = covered_pairs(lambda org: org.id.in_(org_ids), filters.course_id, filters.category)
        else:
            pairs = assignment_pairs(root, filters, user_ids)
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
    # A member may be on the list once per course: the course settles ties, so pages never overlap.
    course_order = [] if kind == "below_hours" else [pairs.c.course_id]
    return query.order_by(order, User.real_name, User.id, *course_order)


def _pending_pairs_by_org(root: Organization, filters: Filters, kind: str, today: date):
    """(organisation, members-and-courses on the list) in path order, from the counts."""
    counts = CourseProgressCount
    if kind == "not_started":
        pending = func.sum(counts.assigned - counts.started)
    else:
        pending = func.sum(case((counts.deadline < today, counts.assigned - counts.completed), else_=0))
    return db.session.execute(
        select(Organization.id, pending).join(Course, Course.id == counts.course_id)
        .where(*_counts_in_scope(counts, root, filters), Course.published_revision_id.is_not(None))
        .group_by(Organization.id, Organization.path).having(pending > 0).order_by(Organization.path)).all()


def action_list_page(root: Organization, filters: Filters, kind: str, sort: str, page: int, per_page: int,
                     today: date | None = None):
    """One page of an action list and its total.

    Sorted by branch, a page of the course lists needs only the branches its rows fall in: the
    counts say how many rows each branch holds, so the members' pairs are worked out for those
    few branches instead of for the whole tree.
    """
    today = today or local_today()
    if kind == "below_hours":
        return page_of(action_list(root, filters, kind, sort, today), page, per_page)
    start = (max(page, 1) - 1) * per_page
    per_org = _pending_pairs_by_org(root, filters, kind, today)
    if sort in LIST_SORTS and sort != "branch":
        total = sum(pending for _org_id, pending in per_org)
        return _page_in_member_order(root, filters, kind, sort, today, start, per_page, total), total
    window, before, seen = [], None, 0
    for org_id, pending in per_org:
        if seen + pending > start and seen < start + per_page:
            window.append(org_id)
            before = seen if before is None else before
        seen += pending
    if not window:
        return [], seen
    rows = db.session.execute(action_list(root, filters, kind, "branch", today, org_ids=window)
                              .limit(per_page).offset(start - before)).all()
    return rows, seen


def _page_in_member_order(root: Organization, filters: Filters, kind: str, sort: str, today: date, start: int,
                          per_page: int, total: int) -> list:
    """A page of a course list sorted by name or member number, without working out every member's
    courses: members are taken in that order, a batch at a time, and only theirs are worked out, until
    the page is full. A batch is four times the one before, so a sparse list (a few overdue members
    among many) still takes a handful of statements; a page far down the list costs more than the first.
    """
    wanted = start + per_page
    if start >= total:
        return []
    members = (select(User.id).join(Organization, User.org_id == Organization.id)
               .where(root.subtree_filter(), User.is_active_account.is_(True))
               .order_by(LIST_SORTS[sort], User.real_name, User.id))
    if filters.category:
        members = members.where(User.category == filters.category)
    rows, offset, batch = [], 0, max(2 * wanted, 100)
    while len(rows) < wanted:
        # Bound parameters are capped (SQLite: 32,766 a statement), so is a batch.
        user_ids = list(db.session.scalars(members.limit(min(batch, 20000)).offset(offset)))
        if not user_ids:
            break
        rows += db.session.execute(action_list(root, filters, kind, sort, today, user_ids=user_ids)).all()
        offset += len(user_ids)
        batch *= 4
    return rows[start:wanted]


def page_of(query, page: int, per_page: int):
    """Rows of one page and the total, in two statements."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.execute(query.limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return rows, total


def action_list_total(root: Organization, filters: Filters, kind: str, today: date | None = None) -> int:
    """How many rows the action list (and its export) has: the per-branch counts for the course lists."""
    today = today or local_today()
    if kind == "below_hours":
        query = action_list(root, filters, kind, "branch", today)
        return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return sum(pending for _org_id, pending in _pending_pairs_by_org(root, filters, kind, today))

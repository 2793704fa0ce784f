"""Keeps the dashboard's count tables (analytics.models) in step with the data.

What updates them: this module's WATCHER, registered by the factory with the one change tracker
(learning_app.change_tracker), which shows it every flushed change and bulk ORM statement on the models
in _RULES. Each change becomes a mark of what it touches (a member's branch and a course, a branch, a
subtree, a course everywhere); before the outermost transaction commits (not when a savepoint is
released: an enclosing savepoint could still roll it back), the counts of exactly those branches and
courses are recomputed from the source rows, in the same transaction; a rollback forgets the marks.
Recomputing rather than adding +1/-1 keeps one rule for every kind of change, and the recomputation of
one branch reads a few hundred rows. On PostgreSQL the recomputation holds an exclusive lock on the count
table until commit, so two transactions never recompute the same rows from two different snapshots;
readers (the dashboard) are not blocked. On SQLite writers are serialised anyway.

What must hold: every write to those models goes through the ORM session (a flush or a bulk ORM
statement), or the counts go stale; the suite's autouse guard (tests/tracker_guard.py) fails any test
whose writes bypass the tracker, and tests/analytics/test_counts.py compares the kept counts with a
rebuild from scratch after every kind of change.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import NamedTuple

from sqlalchemy import Integer, and_, case, cast, delete, func, insert, inspect, select, text, true
from sqlalchemy.dialects import postgresql, sqlite

from courses.models import Assignment, Course, Enrolment, Lesson, StudyHoursEntry
from learning_app.change_tracker import Watcher, discard
from learning_app.extensions import db
from learning_app.models import Organization, User
from learning_app.signals import tree_paths_changed, tree_paths_changing
from learning_app.timezones import local_date
from quizzes.models import Attempt, Quiz

from .models import (
    CompletionDayCount,
    CourseProgressCount,
    HoursBinCount,
    MemberCount,
    MemberYearHours,
    SubtreeCompletionDayCount,
)
from .queries import HOURS_BIN, covered_pairs, required_hours

EVERYTHING = ("all", None, None)


# -- what a change means to the counts (a watcher of learning_app.change_tracker) --------------------
# A mark names what to recompute: ("member", user, course), ("ledger", user, year), ("attempt", user,
# quiz), ("org", branch, None) for every course, ("subtree", node, course or None), ("course", None,
# course) for every branch that has it, or EVERYTHING.

def _enrolment_changed(change):
    return [("member", change.obj.user_id, change.obj.course_id)]


def _ledger_changed(change):
    return [("ledger", user_id, year) for user_id in change.values("user_id") for year in change.values("year")]


def _attempt_changed(change):
    attempt = change.obj
    if "passed" in change.changed and not _of_standalone_quiz(attempt):
        return [("attempt", attempt.user_id, attempt.quiz_id)]
    return []


def _member_changed(change):
    if change.is_new or change.changed:
        return [("org", org_id, None) for org_id in change.values("org_id")]
    return []


def _assignment_changed(change):
    return [("subtree", org_id, change.obj.course_id) for org_id in change.values("org_id")]


def _quiz_changed(change):
    # A new quiz has no attempts yet; a quiz moved to another course moves its passes.
    return [("course", None, course_id) for course_id in change.values("course_id")] if change.is_dirty else []


def _course_changed(change):
    return [("course", None, change.obj.id)] if change.is_dirty else []


def _org_changed(change):
    return [("subtree", change.obj.id, None)] if change.is_dirty else []


def _of_standalone_quiz(attempt) -> bool:
    """True when the attempt's quiz is loaded and belongs to no course, so passing it counts nowhere:
    grading loads the quiz anyway, and this spares every submission a query for its course."""
    quiz = inspect(attempt).attrs.quiz.loaded_value
    return isinstance(quiz, Quiz) and quiz.course_id is None


def _ledger_bulk(bulk):
    if bulk.is_insert:
        return [("ledger", row["user_id"], row["year"]) for row in bulk.rows]
    # Read who loses (or changes) ledger rows before the statement runs.
    touched = bulk.session.execute(
        select(StudyHoursEntry.user_id, StudyHoursEntry.year)
        .where(bulk.where if bulk.where is not None else true()).distinct()).all()
    return [("ledger", user_id, year) for user_id, year in touched]


def _orgs_bulk(bulk):
    """Moving or closing a subtree: the coverage of every node in it may change."""
    if not bulk.is_update:
        return []
    if bulk.where is None:
        return [EVERYTHING]
    return [("org", org_id, None) for org_id in bulk.session.scalars(select(Organization.id).where(bulk.where))]


def _members_bulk(bulk):
    org_ids = {row.get("org_id") for row in bulk.rows if row.get("org_id")}
    if bulk.is_update:
        user_ids = [row["id"] for row in bulk.rows if row.get("id")]
        if not user_ids:  # an update by condition: who moves where is not known here
            return [EVERYTHING]
        org_ids |= set(bulk.session.scalars(
            select(User.org_id).where(User.id.in_(user_ids), User.org_id.is_not(None)).distinct()))
    return [("org", org_id, None) for org_id in org_ids]


class _Rule(NamedTuple):
    columns: tuple[str, ...] | None  # whose change matters; None: any column
    on_change: Callable  # what a flushed change means
    on_bulk: Callable | None = None  # what a bulk statement means; None: nothing (not written in bulk)


_RULES = {
    Enrolment: _Rule(("lessons_done", "completed_at"), _enrolment_changed),
    StudyHoursEntry: _Rule(("user_id", "year", "hours"), _ledger_changed, _ledger_bulk),
    Attempt: _Rule(("passed",), _attempt_changed),
    User: _Rule(("org_id", "category", "position", "is_active_account"), _member_changed, _members_bulk),
    Assignment: _Rule(None, _assignment_changed),
    Quiz: _Rule(("course_id",), _quiz_changed),
    Course: _Rule(("published_revision_id",), _course_changed),
    Organization: _Rule(("path", "parent_id", "is_active"), _org_changed, _orgs_bulk),
}


def _rule_of(cls: type) -> _Rule:
    return next(rule for model, rule in _RULES.items() if issubclass(cls, model))


def _on_change(change):
    return _rule_of(type(change.obj)).on_change(change)


def _on_bulk(bulk):
    rule = _rule_of(bulk.entity).on_bulk
    return rule(bulk) if rule else []


def _before_commit(session, marks) -> None:
    refresh(session, marks)


WATCHER = Watcher(name="analytics.counts", models={model: rule.columns for model, rule in _RULES.items()},
                  on_change=_on_change, on_bulk=_on_bulk, before_commit=_before_commit)


# -- from marks to what is recomputed ---------------------------------------------------------------

def _resolve(session, marks) -> dict[int | None, set[int]] | None:
    """{course id or None for every course: branch ids} to recompute; None means everything."""
    if EVERYTHING in marks:
        return None
    wanted: dict[int | None, set[int]] = defaultdict(set)
    for course_id, org_id in _branches_of_members(session, _members_and_courses(session, marks)):
        wanted[course_id].add(org_id)
    for kind, org_id, course_id in marks:
        resolver = _RESOLVERS.get(kind)
        if resolver is not None:
            key, org_ids = resolver(session, org_id, course_id)
            if org_ids:
                wanted[key] |= org_ids
    # Everything for a branch covers every course of that branch.
    for course_id in [c for c in wanted if c is not None]:
        wanted[course_id] -= wanted.get(None, set())
        if not wanted[course_id]:
            del wanted[course_id]
    return wanted


def _members_and_courses(session, marks) -> set[tuple[int, int]]:
    """(member, course) pairs whose progress changed: enrolments, and passes of a course's quiz."""
    members = {(user_id, course_id) for kind, user_id, course_id in marks if kind == "member"}
    attempts = {(user_id, quiz_id) for kind, user_id, quiz_id in marks if kind == "attempt"}
    if attempts:
        # Only a course's quiz counts ("quiz passed"): a standalone quiz's members need no lookup.
        course_of = dict(session.execute(select(Quiz.id, Quiz.course_id).where(
            Quiz.id.in_({quiz_id for _u, quiz_id in attempts}))).all())
        members |= {(user_id, course_of[quiz_id]) for user_id, quiz_id in attempts if course_of.get(quiz_id)}
    return members


def _branches_of_members(session, members) -> list[tuple[int, int]]:
    """(course, branch of the member) for each pair; members in no branch count nowhere."""
    user_ids = {user_id for user_id, _c in members}
    if not user_ids:
        return []
    orgs_of = dict(session.execute(select(User.id, User.org_id).where(User.id.in_(user_ids))).all())
    return [(course_id, orgs_of[user_id]) for user_id, course_id in members if orgs_of.get(user_id)]


def _branch_everywhere(_session, org_id, _course_id):
    return None, {org_id}


def _subtree(session, org_id, course_id):
    path = session.scalar(select(Organization.path).where(Organization.id == org_id))
    if not path:
        return course_id, set()
    return course_id, set(session.scalars(select(Organization.id).where(Organization.subtree_condition(path))))


def _branches_with_course(session, _org_id, course_id):
    counted = set(session.scalars(select(CourseProgressCount.org_id).where(
        CourseProgressCount.course_id == course_id).distinct()))
    enrolled = set(session.scalars(select(User.org_id).join(
        Enrolment, Enrolment.user_id == User.id).where(Enrolment.course_id == course_id).distinct()))
    return course_id, counted | enrolled


_RESOLVERS = {"org": _branch_everywhere, "subtree": _subtree, "course": _branches_with_course}


def _lock(session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE course_progress_count, completion_day_count, member_year_hours, "
                             "subtree_completion_day_count, member_count, hours_bin_count IN EXCLUSIVE MODE"))


def refresh(session, marks) -> None:
    """Recompute what the marks name, holding the count lock."""
    wanted = _resolve(session, marks)
    ledger = {(user_id, year) for kind, user_id, year in marks if kind == "ledger"}
    if wanted is not None and not wanted and not ledger:
        return  # e.g. a passed quiz that belongs to no course: nothing counted changes
    _lock(session)
    if wanted is None:
        _recompute_everything(session)
        return
    _refresh_hours(session, ledger)
    for chunk in _chunks(sorted(wanted.get(None, ()))):
        recompute_members(session, chunk)
        recompute_hours_bins(session, chunk)
    for course_id, org_ids in wanted.items():
        for chunk in _chunks(sorted(org_ids)):
            _refresh_progress(session, chunk, course_id)


def _refresh_hours(session, ledger) -> None:
    for year in {year for _u, year in ledger}:
        users = sorted(user_id for user_id, y in ledger if y == year)
        for chunk in _chunks(users):
            recompute_hours(session, chunk, year)
            # Their hours may have moved between bins: recount their branches' year.
            recompute_hours_bins(session, select(User.org_id).where(User.id.in_(chunk)), year)


def _refresh_progress(session, org_ids, course_id) -> None:
    before = _days_by_org(session, org_ids, course_id)
    recompute(session, org_ids, course_id)
    after = _days_by_org(session, org_ids, course_id)
    # Whatever a branch gained or lost on a day, every node above it gains or loses too.
    _add_to_nodes_above(session, ((org_id, day, after.get((org_id, day), 0) - before.get((org_id, day), 0))
                                  for org_id, day in before.keys() | after.keys()))


def _recompute_everything(session) -> None:
    recompute(session)
    recompute_hours(session)
    recompute_subtree_days(session)
    recompute_members(session)
    recompute_hours_bins(session)


def _chunks(values, size=500):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def recompute(session, org_ids=None, course_id=None) -> None:
    """Replace the counts of these branches (all when None) for this course (all when None)."""
    for model in (CourseProgressCount, CompletionDayCount):
        statement = delete(model)
        if org_ids is not None:
            statement = statement.where(model.org_id.in_(org_ids))
        if course_id is not None:
            statement = statement.where(model.course_id == course_id)
        session.execute(statement.execution_options(synchronize_session=False))
    scope = (lambda member_org: member_org.id.in_(org_ids)) if org_ids is not None else (lambda member_org: true())
    pairs = covered_pairs(scope, course_id=course_id, by_member=True)
    lessons = (select(Course.id.label("course_id"), func.count(Lesson.id).label("lessons"))
               .join(Lesson, Lesson.revision_id == Course.published_revision_id)
               .group_by(Course.id).subquery("lesson_counts"))
    passed = select(Attempt.user_id, Quiz.course_id).join(Quiz, Attempt.quiz_id == Quiz.id).where(
        Attempt.passed.is_(True), Quiz.course_id.is_not(None))
    if org_ids is not None:
        passed = passed.where(Attempt.user_id.in_(select(User.id).where(User.org_id.in_(org_ids))))
    if course_id is not None:
        passed = passed.where(Quiz.course_id == course_id)
    passed = passed.distinct().subquery("passed")
    enrolment_of_pair = and_(Enrolment.user_id == pairs.c.user_id, Enrolment.course_id == pairs.c.course_id)
    progress = (
        select(pairs.c.org_id, pairs.c.course_id, pairs.c.category, pairs.c.position, func.min(pairs.c.deadline),
               func.count(), func.count(Enrolment.id),
               func.count(case((Enrolment.lessons_done >= func.coalesce(lessons.c.lessons, 0), 1))),
               func.count(passed.c.user_id), func.count(Enrolment.completed_at))
        .select_from(pairs)
        .outerjoin(Enrolment, enrolment_of_pair)
        .outerjoin(lessons, lessons.c.course_id == pairs.c.course_id)
        .outerjoin(passed, and_(passed.c.user_id == pairs.c.user_id, passed.c.course_id == pairs.c.course_id))
        .group_by(pairs.c.org_id, pairs.c.course_id, pairs.c.category, pairs.c.position))
    session.execute(insert(CourseProgressCount).from_select(
        ["org_id", "course_id", "category", "position", "deadline", "assigned", "started", "lessons_done",
         "quiz_passed", "completed"], progress))
    day = local_date.of(Enrolment.completed_at)
    days = (select(pairs.c.org_id, pairs.c.course_id, pairs.c.category, day, func.count())
            .select_from(pairs).join(Enrolment, enrolment_of_pair)
            .where(Enrolment.completed_at.is_not(None))
            .group_by(pairs.c.org_id, pairs.c.course_id, pairs.c.category, day))
    session.execute(insert(CompletionDayCount).from_select(
        ["org_id", "course_id", "category", "day", "completed"], days))


def rebuild(session=None) -> None:
    """Recompute every count from the source rows (after bulk loads, or to repair)."""
    session = session or db.session
    session.flush()
    discard(session, WATCHER)  # what was noted so far is recomputed here anyway
    _lock(session)
    _recompute_everything(session)


def _days_by_org(session, org_ids=None, course_id=None) -> dict:
    """{(organisation, day): completions} of these organisations' members (all when None)."""
    query = (select(CompletionDayCount.org_id, CompletionDayCount.day, func.sum(CompletionDayCount.completed))
             .group_by(CompletionDayCount.org_id, CompletionDayCount.day))
    if org_ids is not None:
        query = query.where(CompletionDayCount.org_id.in_(org_ids))
    if course_id is not None:
        query = query.where(CompletionDayCount.course_id == course_id)
    return {(org_id, day): int(completed) for org_id, day, completed in session.execute(query)}


def _add_to_nodes_above(session, changes) -> None:
    """Add each (organisation, day, change in completions) to the subtree day counts of every node
    strictly above that organisation; rows that reach zero are removed."""
    changes = [(org_id, day, delta) for org_id, day, delta in changes if delta]
    if not changes:
        return
    org_ids = {org_id for org_id, _day, _delta in changes}
    paths = select(Organization.id, Organization.path)
    if len(org_ids) <= 500:  # a rebuild names every node: then read them all, not a list of thousands
        paths = paths.where(Organization.id.in_(org_ids))
    paths = dict(session.execute(paths).all())
    totals: dict[tuple[int, object], int] = defaultdict(int)
    for org_id, day, delta in changes:
        for above in Organization.ids_in_path(paths[org_id])[:-1]:
            totals[above, day] += delta
    _add_to_subtree_days(session, totals)


def _add_to_subtree_days(session, totals: dict) -> None:
    totals = {key: delta for key, delta in totals.items() if delta}
    if not totals:
        return
    table = SubtreeCompletionDayCount.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    statement = statement.on_conflict_do_update(index_elements=[table.c.org_id, table.c.day],
                                                set_={"completed": table.c.completed + statement.excluded.completed})
    rows = [{"org_id": org_id, "day": day, "completed": delta} for (org_id, day), delta in totals.items()]
    for start in range(0, len(rows), 5000):
        session.execute(statement, rows[start:start + 5000])
    touched = sorted({org_id for org_id, _day in totals})
    for chunk in _chunks(touched):
        session.execute(delete(SubtreeCompletionDayCount).where(
            SubtreeCompletionDayCount.org_id.in_(chunk), SubtreeCompletionDayCount.completed == 0)
            .execution_options(synchronize_session=False))


def recompute_subtree_days(session) -> None:
    """Rebuild the subtree day counts from every branch's day counts."""
    session.execute(delete(SubtreeCompletionDayCount).execution_options(synchronize_session=False))
    _add_to_nodes_above(session, ((org_id, day, completed)
                                  for (org_id, day), completed in _days_by_org(session).items()))


def _subtree_days(session, path: str) -> dict:
    """{day: completions} of the members at or below the node with this path."""
    return dict(session.execute(
        select(CompletionDayCount.day, func.sum(CompletionDayCount.completed))
        .join(Organization, Organization.id == CompletionDayCount.org_id)
        .where(Organization.subtree_condition(path)).group_by(CompletionDayCount.day)).all())


def recompute_hours(session, user_ids=None, year=None) -> None:
    """Replace the yearly totals of these members (all when None) in this year (all when None)."""
    statement = delete(MemberYearHours)
    totals = select(StudyHoursEntry.user_id, StudyHoursEntry.year,
                    func.round(func.sum(StudyHoursEntry.hours), 1)).group_by(StudyHoursEntry.user_id,
                                                                              StudyHoursEntry.year)
    if user_ids is not None:
        statement = statement.where(MemberYearHours.user_id.in_(user_ids))
        totals = totals.where(StudyHoursEntry.user_id.in_(user_ids))
    if year is not None:
        statement = statement.where(MemberYearHours.year == year)
        totals = totals.where(StudyHoursEntry.year == year)
    session.execute(statement.execution_options(synchronize_session=False))
    session.execute(insert(MemberYearHours).from_select(["user_id", "year", "hours"], totals))


def _delete_of_orgs(session, model, org_ids, *conditions) -> None:
    statement = delete(model).where(*conditions)
    if org_ids is not None:
        statement = statement.where(model.org_id.in_(org_ids))
    session.execute(statement.execution_options(synchronize_session=False))


def _active_members(org_ids):
    members = [User.is_active_account.is_(True), User.org_id.is_not(None)]
    return members + ([User.org_id.in_(org_ids)] if org_ids is not None else [])


def recompute_members(session, org_ids=None) -> None:
    """Replace the member counts of these organisations (all when None)."""
    if org_ids is not None and not org_ids:
        return
    _delete_of_orgs(session, MemberCount, org_ids)
    session.execute(insert(MemberCount).from_select(
        ["org_id", "category", "members"],
        select(User.org_id, User.category, func.count()).where(*_active_members(org_ids))
        .group_by(User.org_id, User.category)))


def recompute_hours_bins(session, org_ids=None, year=None) -> None:
    """Replace the hours histogram counts of these organisations (ids, a select of them, or all when
    None) in this year (every year when None), from the members' yearly totals."""
    if isinstance(org_ids, list) and not org_ids:
        return
    _delete_of_orgs(session, HoursBinCount, org_ids, *([HoursBinCount.year == year] if year is not None else []))
    hours = MemberYearHours.hours
    bucket = cast(func.floor(hours / HOURS_BIN), Integer)
    counts = (select(User.org_id, MemberYearHours.year, User.category, bucket, func.count(),
                     func.count(case((hours >= required_hours(), 1))), func.sum(hours))
              .join(MemberYearHours, MemberYearHours.user_id == User.id)
              .where(*_active_members(org_ids), *([MemberYearHours.year == year] if year is not None else []))
              .group_by(User.org_id, MemberYearHours.year, User.category, bucket))
    session.execute(insert(HoursBinCount).from_select(
        ["org_id", "year", "category", "bin", "members", "meeting", "hours"], counts))


def _before_move(session, path: str) -> None:
    """A subtree is about to move: its completions leave the nodes above it.

    The count lock comes first. A move rewrites paths (a key: row locks that block the recount's
    foreign-key checks), and the recount at its commit then needs the count lock; a learner's
    recount takes the count lock, then checks those rows. Taking the count lock before the rows
    puts both in one order, so neither waits for the other in a cycle (PostgreSQL would abort one
    as a deadlock)."""
    _lock(session)
    _move_subtree_days(session, path, -1)


def _after_move(session, path: str) -> None:
    """The subtree has moved: its completions join the nodes above its new place."""
    _move_subtree_days(session, path, +1)


def _move_subtree_days(session, path: str, sign: int) -> None:
    above = Organization.ids_in_path(path)[:-1]
    _add_to_subtree_days(session, {(node, day): sign * int(completed)
                                   for day, completed in _subtree_days(session, path).items() for node in above})


def init_app(app) -> None:
    """Called by the factory, which registers WATCHER with the change tracker: a move of a subtree also
    moves its completions between the nodes above (connecting them again changes nothing)."""
    tree_paths_changing.connect(_before_move)
    tree_paths_changed.connect(_after_move)

"""Brute-force figures: plain Python loops over every ORM object, applying the documented rules.

Coverage: an active assignment covers a member when the member's organisation lies within the
assignment's node and the member's category and position are in its sets (an empty set: everyone).
(member, course) pairs are counted once, with the earliest deadline. Started: an enrolment exists.
Completed: completed_at is set (and its day in the organisation's zone, Asia/Shanghai, falls within
the date range when one is chosen). Overdue: the
earliest deadline is before today and the course is not completed. Meeting the hours: the year's
ledger adds up to at least YEARLY_STUDY_HOURS[position].
"""
from collections import Counter, defaultdict
from datetime import UTC
from decimal import Decimal
from math import floor
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from courses.bases.models import Attendance, CollectiveAttendance, CollectiveStudy
from courses.models import Assignment, Course, Enrolment, StudyHoursEntry, in_set
from learning_app.extensions import db
from learning_app.models import Organization, User
from quizzes.models import Attempt, AttemptStatus


def local_day(moment):
    """The calendar day in the organisation's zone: a completion at 23:30 UTC is tomorrow in Beijing."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return naive_utc(moment).replace(tzinfo=UTC).astimezone(zone).date()


def naive_utc(moment):
    if moment is not None and moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


FIELDS = ("members", "assigned", "started", "completed", "overdue", "meeting_hours", "hours")


def as_tuple(figures):
    """A Figures (or a dict of brute-force counts) as a comparable tuple, hours to one decimal."""
    get = figures.get if isinstance(figures, dict) else lambda name, default=0: getattr(figures, name)
    return tuple(round(float(get(name, 0)), 1) if name == "hours" else get(name, 0) for name in FIELDS)


class World:
    """Everything in the database, loaded once; each method loops over it."""

    def __init__(self):
        db.session.expire_all()
        self.orgs = list(db.session.scalars(select(Organization)))
        self.users = list(db.session.scalars(select(User)))
        self.assignments = list(db.session.scalars(select(Assignment)))
        self.enrolments = {(e.user_id, e.course_id): e for e in db.session.scalars(select(Enrolment))}
        self.courses = {c.id: c for c in db.session.scalars(select(Course))}
        self.ledger = list(db.session.scalars(select(StudyHoursEntry)))
        self.attempts = list(db.session.scalars(select(Attempt)))
        self.attendances = list(db.session.scalars(select(Attendance)))
        self.collective = list(db.session.scalars(select(CollectiveAttendance)))
        self.studies = {s.id: s for s in db.session.scalars(select(CollectiveStudy))}
        self.required = current_app.config["YEARLY_STUDY_HOURS"]

    # -- scope ------------------------------------------------------------------------------------
    def subtree(self, root):
        return [org for org in self.orgs if org.path.startswith(root.path)]

    def members(self, root, filters):
        return [u for u in self.users
                if u.is_active_account and u.org is not None and u.org.path.startswith(root.path)
                and (not filters.category or u.category.value == filters.category)]

    @staticmethod
    def covers(assignment, user):
        return (assignment.is_active and user.org.path.startswith(assignment.org.path)
                and in_set(assignment.categories, user.category) and in_set(assignment.positions, user.position))

    def pairs(self, root, filters):
        """{(user, course id): earliest deadline or None}."""
        result = {}
        for user in self.members(root, filters):
            for assignment in self.assignments:
                if filters.course_id and assignment.course_id != filters.course_id:
                    continue
                if not self.covers(assignment, user):
                    continue
                key = (user, assignment.course_id)
                deadlines = [d for d in (result.get(key), assignment.deadline) if d is not None]
                result[key] = min(deadlines) if deadlines else None
        return result

    # -- rules ------------------------------------------------------------------------------------
    @staticmethod
    def completed(enrolment, filters):
        if enrolment is None or enrolment.completed_at is None:
            return False
        day = local_day(enrolment.completed_at)
        if filters.date_from and day < filters.date_from:
            return False
        return not (filters.date_to and day > filters.date_to)

    def hours(self, user, year):
        return sum((e.hours for e in self.ledger if e.user_id == user.id and e.year == year), Decimal(0))

    def required_for(self, user):
        return self.required[user.position.value]

    # -- figures ----------------------------------------------------------------------------------
    def figures(self, root, filters, today):
        """({org id: own counts}, {org id: subtree counts}) for every node under root."""
        own = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
        for user in self.members(root, filters):
            counts = own[user.org_id]
            hours = self.hours(user, filters.year)
            counts["members"] += 1
            counts["hours"] += float(hours)
            counts["meeting_hours"] += hours >= self.required_for(user)
        for (user, course_id), deadline in self.pairs(root, filters).items():
            counts = own[user.org_id]
            enrolment = self.enrolments.get((user.id, course_id))
            counts["assigned"] += 1
            counts["started"] += enrolment is not None
            counts["completed"] += self.completed(enrolment, filters)
            counts["overdue"] += (deadline is not None and deadline < today
                                  and (enrolment is None or enrolment.completed_at is None))
        nodes = self.subtree(root)
        total = {}
        for node in nodes:
            counts = dict.fromkeys(FIELDS, 0)
            for other in nodes:
                if other.path.startswith(node.path) and other.id in own:
                    for name in FIELDS:
                        counts[name] += own[other.id][name]
            total[node.id] = counts
        return {node.id: own[node.id] if node.id in own else dict.fromkeys(FIELDS, 0) for node in nodes}, total

    def funnel(self, root, filters):
        stages = Counter(assigned=0, started=0, lessons_done=0, quiz_passed=0, completed=0)
        passed = {(a.user_id, a.quiz.course_id) for a in self.attempts if a.passed and a.quiz.course_id}
        for (user, course_id) in self.pairs(root, filters):
            enrolment = self.enrolments.get((user.id, course_id))
            course = self.courses[course_id]
            lessons = len(course.published.lessons) if course.published else 0
            stages["assigned"] += 1
            stages["started"] += enrolment is not None
            stages["lessons_done"] += enrolment is not None and enrolment.lessons_done >= lessons
            stages["quiz_passed"] += (user.id, course_id) in passed
            stages["completed"] += self.completed(enrolment, filters)
        return dict(stages)

    def hours_distribution(self, root, filters, width=8):
        bins = Counter(int(floor(self.hours(u, filters.year) / width)) * width for u in self.members(root, filters))
        return sorted(bins.items())

    def attendance_by_month(self, root, filters):
        ids = {u.id for u in self.members(root, filters)}
        base, collective = Counter(), Counter()
        for attendance in self.attendances:
            moment = local_day(attendance.checked_in_at)
            if attendance.user_id in ids and moment.year == filters.year:
                base[f"{moment.year}-{moment.month:02d}"] += 1
        for attendance in self.collective:
            moment = local_day(self.studies[attendance.study_id].held_at)
            if attendance.user_id in ids and moment.year == filters.year:
                collective[f"{moment.year}-{moment.month:02d}"] += 1
        return [(month, base[month], collective[month]) for month in sorted(set(base) | set(collective))]

    def score_distribution(self, root, filters):
        ids = {u.id for u in self.members(root, filters)}
        bands = Counter()
        for attempt in self.attempts:
            if attempt.status != AttemptStatus.GRADED or attempt.user_id not in ids:
                continue
            if filters.course_id and attempt.quiz.course_id != filters.course_id:
                continue
            band = floor(100 * attempt.score / attempt.max_score / 10) if attempt.max_score else 0
            bands[min(band, 9) * 10] += 1
        return sorted(bands.items())

    def question_difficulty(self, root, filters):
        """{question id: (times answered, % answered right)} over graded attempts in scope."""
        ids = {u.id for u in self.members(root, filters)}
        answered, right = Counter(), Counter()
        for attempt in self.attempts:
            if attempt.status != AttemptStatus.GRADED or attempt.user_id not in ids:
                continue
            if filters.course_id and attempt.quiz.course_id != filters.course_id:
                continue
            for answer in attempt.answers:
                answered[answer.question_id] += 1
                right[answer.question_id] += answer.score is not None and answer.score >= answer.points
        return {qid: (n, round(100 * right[qid] / n, 1)) for qid, n in answered.items()}

    def action_list(self, root, filters, kind, today):
        """not_started / overdue: {(user id, course title)}; below_hours: {(user id, None)}."""
        if kind == "below_hours":
            return {(u.id, None) for u in self.members(root, filters)
                    if self.hours(u, filters.year) < self.required_for(u)}
        result = set()
        for (user, course_id), deadline in self.pairs(root, filters).items():
            enrolment = self.enrolments.get((user.id, course_id))
            title = self.courses[course_id].published.title
            if kind == "not_started" and enrolment is None:
                result.add((user.id, title))
            if (kind == "overdue" and deadline is not None and deadline < today
                    and (enrolment is None or enrolment.completed_at is None)):
                result.add((user.id, title))
        return result


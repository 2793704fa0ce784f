"""Analytics fixtures: organisations with learning records, inserted straight through the ORM for speed.

`make_dataset(seed, ...)` builds a seeded random organisation: a committee with general branches
(each with a few branches), a branch straight under the committee and a sub-committee with its own
branch; members of every category and position (a few inactive, a few held directly by higher
nodes); published courses; assignments at various nodes, narrowed by category and position, with
past, present, future or no deadlines; enrolments at varied progress; the study-hours ledger over
two years; base and collective-study attendance over several months; graded (and ungraded) quiz
attempts with their answers; learning sites with notices.

Tests that only read a dataset take it from `shared_dataset(seed)`: built once per module, in a
database of its own. Tests that write build one into their own database with `make_dataset`.
"""
import itertools
import random
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask import has_app_context
from sqlalchemy import inspect, select

from config import Config
from courses.bases.models import (
    Attendance,
    Base,
    BaseSession,
    CollectiveAttendance,
    CollectiveStudy,
    Notice,
    NoticeStatus,
    Site,
)
from courses.models import (
    Assignment,
    Chapter,
    Course,
    CourseRevision,
    Enrolment,
    EnrolmentSource,
    Lesson,
    LessonKind,
    RevisionStatus,
    StudyHoursEntry,
    encode_set,
    in_set,
)
from learning_app.extensions import db
from learning_app.models import MemberCategory, Organization, OrgKind, PositionLevel, User
from quizzes.models import (
    Attempt,
    AttemptAnswer,
    AttemptStatus,
    Question,
    QuestionBank,
    QuestionStatus,
    QuestionType,
    Quiz,
)
from tests.conftest import read_only

# The organisation's today (the app counts days from local midnight), not the server's.
TODAY = datetime.now(ZoneInfo(Config.BABEL_DEFAULT_TIMEZONE)).date()
YEAR = TODAY.year
_ids = itertools.count(1)


def utc(year, month, day, hour=10, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- single rows -------------------------------------------------------------------------------------

def add_org(name, kind, parent=None) -> Organization:
    org = Organization(name=name, kind=OrgKind(kind), parent_id=parent.id if parent else None,
                       depth=parent.depth + 1 if parent else 0, path=f"/pending-{next(_ids)}/")
    db.session.add(org)
    db.session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    db.session.flush()
    return org


def add_member(org, real_name, login_id=None, category=MemberCategory.FULL, position=PositionLevel.MEMBER,
               active=True, phone=None) -> User:
    user = User(login_id=login_id or f"x{next(_ids):06d}x", real_name=real_name, org_id=org.id if org else None,
                category=MemberCategory(category), position=PositionLevel(position), phone=phone,
                is_active_account=active, password_hash="", must_change_password=False)
    db.session.add(user)
    db.session.flush()
    return user


def add_course(author, title, lessons=3, optional=0, hours="2.0") -> Course:
    """A published course of `lessons` article lessons, the last `optional` of them not required."""
    course = Course(author_id=author.id)
    db.session.add(course)
    db.session.flush()
    revision = CourseRevision(course_id=course.id, number=1, status=RevisionStatus.PUBLISHED, title=title,
                              hours=Decimal(hours), published_at=datetime.now(UTC))
    db.session.add(revision)
    db.session.flush()
    chapter = Chapter(revision_id=revision.id, position=0, title="第一章")
    db.session.add(chapter)
    db.session.flush()
    for position in range(lessons):
        db.session.add(Lesson(chapter_id=chapter.id, revision_id=revision.id, position=position,
                              title=f"第{position + 1}课", kind=LessonKind.ARTICLE, body="学习内容",
                              required=position < lessons - optional))
    course.published_revision_id = revision.id
    db.session.flush()
    return course


def add_assignment(course, org, categories=(), positions=(), deadline=None, active=True) -> Assignment:
    assignment = Assignment(course_id=course.id, org_id=org.id, categories=encode_set(categories),
                            positions=encode_set(positions), deadline=deadline, is_active=active)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def add_enrolment(user, course, lessons_done=0, completed_at=None) -> Enrolment:
    enrolment = Enrolment(user_id=user.id, course_id=course.id, source=EnrolmentSource.ASSIGNED,
                          lessons_done=lessons_done, completed_at=completed_at)
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def add_hours(user, hours, year=YEAR, source_type="course") -> StudyHoursEntry:
    entry = StudyHoursEntry(user_id=user.id, year=year, hours=Decimal(str(hours)), source_type=source_type,
                            source_id=next(_ids), title="学时", credited_at=utc(year, 6, 1))
    db.session.add(entry)
    return entry


def add_question_bank(owner, points=(1.0, 2.0, 1.0, 2.0)):
    bank = QuestionBank(name=f"题库{next(_ids)}", owner_id=owner.id)
    db.session.add(bank)
    db.session.flush()
    questions = [Question(bank_id=bank.id, author_id=owner.id, type=QuestionType.SINGLE,
                          status=QuestionStatus.PUBLISHED, stem=f"题干{next(_ids)}", points=p, answer="A",
                          options=[{"key": k, "text": k, "weight": 0.0} for k in "ABCD"]) for p in points]
    db.session.add_all(questions)
    db.session.flush()
    return questions


def add_quiz(owner, course=None, org=None) -> Quiz:
    quiz = Quiz(title=f"测验{next(_ids)}", owner_id=owner.id, course_id=course.id if course else None,
                org_id=org.id if org else None, is_published=True, pass_percent=60)
    db.session.add(quiz)
    db.session.flush()
    return quiz


def add_attempt(quiz, user, number, questions, answer_scores, status=AttemptStatus.GRADED) -> Attempt:
    """An attempt whose answers score `answer_scores` (one per question); graded ones get score and pass."""
    max_score = sum(q.points for q in questions)
    graded = status == AttemptStatus.GRADED
    score = sum(answer_scores) if graded else None
    attempt = Attempt(quiz_id=quiz.id, user_id=user.id, number=number, status=status,
                      open_slot=1 if status == AttemptStatus.IN_PROGRESS else None, started_at=utc(YEAR, 3, 1),
                      submitted_at=None if status == AttemptStatus.IN_PROGRESS else utc(YEAR, 3, 1, 11),
                      score=score, max_score=max_score,
                      passed=(100 * score / max_score >= quiz.pass_percent) if graded and max_score else None)
    db.session.add(attempt)
    db.session.flush()
    if status != AttemptStatus.IN_PROGRESS:
        attempt.open_slot = None  # an explicit None at insert would get the column default (1)
        db.session.flush()
    for position, (question, value) in enumerate(zip(questions, answer_scores, strict=False)):
        db.session.add(AttemptAnswer(attempt_id=attempt.id, position=position, question_id=question.id,
                                     response="A", score=value if status != AttemptStatus.IN_PROGRESS else None,
                                     points=question.points))
    db.session.flush()
    return attempt


def add_base(org, name="教育基地") -> Base:
    base = Base(name=name, org_id=org.id, capacity=1000)
    db.session.add(base)
    db.session.flush()
    return base


def add_session(base, starts_at) -> BaseSession:
    session = BaseSession(base_id=base.id, topic=f"现场教学{next(_ids)}", starts_at=starts_at,
                          ends_at=starts_at + timedelta(hours=2), hours=Decimal("2.0"), capacity=1000)
    db.session.add(session)
    db.session.flush()
    return session


def add_attendance(session, user, checked_in_at=None) -> Attendance:
    attendance = Attendance(session_id=session.id, user_id=user.id,
                            checked_in_at=checked_in_at or session.starts_at + timedelta(minutes=5))
    db.session.add(attendance)
    return attendance


def add_site(org, name=None) -> Site:
    site = Site(org_id=org.id, name=name or f"{org.name}学习站")
    db.session.add(site)
    db.session.flush()
    return site


def add_study(site, held_at, attendees=()) -> CollectiveStudy:
    study = CollectiveStudy(site_id=site.id, title=f"集中学习{next(_ids)}", held_at=held_at)
    db.session.add(study)
    db.session.flush()
    for user in attendees:
        db.session.add(CollectiveAttendance(study_id=study.id, user_id=user.id))
    db.session.flush()
    return study


def add_notice(site, author, status=NoticeStatus.PUBLISHED, submitted_at=None, published_at=None) -> Notice:
    notice = Notice(site_id=site.id, author_id=author.id, title=f"通知{next(_ids)}", status=status,
                    submitted_at=submitted_at, published_at=published_at)
    db.session.add(notice)
    db.session.flush()
    return notice


# --- a whole organisation ----------------------------------------------------------------------------

@dataclass
class Dataset:
    tag: str
    committee: Organization
    generals: list
    branches: list
    orgs: list
    members: list
    courses: list
    author: User
    sites: list = field(default_factory=list)

    def within(self, org):
        return [node for node in self.orgs if node.is_within(org)]

    def reloaded(self) -> "Dataset":
        """The same dataset, its rows loaded into the current session (it was built in another one)."""
        objects = [self.committee, *self.generals, *self.branches, *self.orgs, *self.members, *self.courses,
                   self.author, *self.sites]
        ids = defaultdict(set)
        for obj in objects:
            ids[type(obj)].add(inspect(obj).identity[0])
        loaded = [list(db.session.scalars(select(model).where(model.id.in_(keys)))) for model, keys in ids.items()]
        assert loaded  # held, so that the session's (weak) identity map keeps them for the lookups below

        def get(obj):
            return db.session.get(type(obj), inspect(obj).identity)
        return replace(self, committee=get(self.committee), generals=[get(o) for o in self.generals],
                       branches=[get(o) for o in self.branches], orgs=[get(o) for o in self.orgs],
                       members=[get(o) for o in self.members], courses=[get(o) for o in self.courses],
                       author=get(self.author), sites=[get(o) for o in self.sites])

    def members_within(self, org):
        return [member for member in self.members if member.org.is_within(org)]


def _covered(user, assignments):
    return any(a.is_active and user.org.path.startswith(a.org.path) and in_set(a.categories, user.category)
               and in_set(a.positions, user.position) for a in assignments)


def build_dataset(seed=1, members=150, generals=3, branches_per=(2, 4), tag="D") -> Dataset:
    """A seeded random organisation (see the module docstring); committed."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    committee = add_org(f"{tag}党委", "committee")
    general_nodes, branches = [], []
    for g in range(1, generals + 1):
        general = add_org(f"{tag}第{g}党总支", "general_branch", committee)
        general_nodes.append(general)
        for b in range(1, rng.randint(*branches_per) + 1):
            branches.append(add_org(f"{tag}第{g}-{b}党支部", "branch", general))
    direct = add_org(f"{tag}直属党支部", "branch", committee)
    sub = add_org(f"{tag}机关党委", "committee", committee)
    sub_branch = add_org(f"{tag}机关第1党支部", "branch", sub)
    branches += [direct, sub_branch]
    orgs = [committee, *general_nodes, *branches, sub]
    orgs.sort(key=lambda o: o.path)
    author = add_member(None, f"{tag}作者", login_id=f"{tag}author")

    categories = [MemberCategory.FULL] * 7 + [MemberCategory.PROBATIONARY] * 2 + [MemberCategory.ACTIVIST] * 2
    positions = [PositionLevel.MEMBER] * 8 + [PositionLevel.SECRETARY, PositionLevel.CADRE]
    people = []
    for i in range(1, members + 1):
        roll = rng.random()
        org = (rng.choice(branches) if roll < 0.85 else rng.choice(general_nodes) if roll < 0.95
               else rng.choice([committee, sub]))
        people.append(add_member(org, f"{tag}党员{i:04d}号", login_id=f"{tag}m{i:04d}x",
                                 category=rng.choice(categories), position=rng.choice(positions),
                                 active=rng.random() > 0.05, phone=f"138{i:08d}"))

    courses = [add_course(author, f"{tag}课程{k}号", lessons=rng.randint(1, 4), optional=rng.randint(0, 1) * (k % 2),
                          hours=rng.choice(["1.0", "2.0", "3.0"])) for k in range(1, 6)]
    lesson_counts = {c.id: len(c.published.lessons) for c in courses}
    required_counts = {c.id: sum(lesson.required for lesson in c.published.lessons) for c in courses}

    # Assignments: one to everyone with a past deadline, the same course again lower down with a later
    # deadline (pairs must be counted once, with the earliest deadline), then random ones.
    assignments = [add_assignment(courses[0], committee, deadline=TODAY - timedelta(days=20)),
                   add_assignment(courses[0], general_nodes[0], deadline=TODAY + timedelta(days=10)),
                   add_assignment(courses[1], general_nodes[0], categories=[MemberCategory.FULL],
                                  deadline=TODAY + timedelta(days=30))]
    nodes = [committee, sub, *general_nodes, *branches]
    for _k in range(8):
        cats = rng.sample(list(MemberCategory), rng.randint(1, 2)) if rng.random() < 0.4 else []
        poss = rng.sample(list(PositionLevel), rng.randint(1, 2)) if rng.random() < 0.3 else []
        deadline = rng.choice([None, TODAY, TODAY - timedelta(days=rng.randint(1, 90)),
                               TODAY + timedelta(days=rng.randint(1, 90))])
        assignments.append(add_assignment(rng.choice(courses[1:]), rng.choice(nodes), cats, poss, deadline,
                                          active=rng.random() > 0.12))
    # An inactive assignment of the last course to everyone: it must be ignored.
    assignments.append(add_assignment(courses[-1], committee, deadline=TODAY - timedelta(days=5), active=False))

    for user in people:
        for course in courses:
            covered = any(a.course_id == course.id and _covered(user, [a]) for a in assignments)
            if rng.random() >= (0.7 if covered else 0.1):
                continue
            done = rng.randint(0, lesson_counts[course.id])
            completed = None
            if done >= required_counts[course.id] and rng.random() < 0.75:
                completed = now - timedelta(days=rng.randint(0, 500), hours=rng.randint(0, 20))
            add_enrolment(user, course, done, completed)

    for user in people:
        for _n in range(rng.randint(0, 8)):
            add_hours(user, rng.choice(["0.5", "1", "1.5", "2", "3", "4", "8", "16"]),
                      YEAR if rng.random() < 0.8 else YEAR - 1)
        if rng.random() < 0.15:  # some exactly on the requirement
            db.session.flush()
            have = sum(e.hours for e in db.session.query(StudyHoursEntry).filter_by(user_id=user.id, year=YEAR))
            required = {"member": 32, "secretary": 56, "cadre": 56}[user.position.value]
            if have < required:
                add_hours(user, required - have)

    questions = add_question_bank(author)
    quizzes = [add_quiz(author, course=c) for c in courses[:3]] + [add_quiz(author, org=committee)]
    for user in people:
        if rng.random() >= 0.4:
            continue
        for quiz in rng.sample(quizzes, rng.randint(1, 2)):
            attempts = rng.randint(1, 2)
            for number in range(1, attempts + 1):
                status = rng.choice([AttemptStatus.GRADED] * 8 + [AttemptStatus.AWAITING_GRADING])
                if number == attempts and rng.random() < 0.1:
                    status = AttemptStatus.IN_PROGRESS
                scores = [rng.choice([0.0, q.points / 2, q.points, q.points]) for q in questions]
                add_attempt(quiz, user, number, questions, scores, status)

    base = add_base(committee, f"{tag}教育基地")
    sessions = [add_session(base, utc(YEAR, month, 15)) for month in range(1, 13, 2)]
    sessions += [add_session(base, utc(YEAR - 1, 11, 20)), add_session(base, utc(YEAR, 4, 30, 9))]
    for session in sessions:
        for user in people:
            if rng.random() < 0.15:
                add_attendance(session, user)

    sites = [add_site(org) for org in [committee, *general_nodes, direct]]
    for site in sites:
        local = [u for u in people if u.org.is_within(site.org)]
        for _n in range(rng.randint(1, 3)):
            held = utc(rng.choice([YEAR, YEAR, YEAR - 1]), rng.randint(1, 12), rng.randint(1, 28), 14)
            add_study(site, held, [u for u in local if rng.random() < 0.3])
        for _n in range(rng.randint(0, 4)):
            status = rng.choice(list(NoticeStatus))
            submitted = utc(YEAR, rng.randint(1, 12), rng.randint(1, 27), rng.randint(0, 12))
            add_notice(site, author, status, submitted if status != NoticeStatus.DRAFT else None,
                       submitted + timedelta(hours=rng.randint(1, 30)) if status == NoticeStatus.PUBLISHED else None)
    db.session.commit()
    return Dataset(tag, committee, general_nodes, branches, orgs, people, courses, author, sites)


@pytest.fixture
def make_dataset(app):
    return build_dataset


@pytest.fixture(scope="module")
def _datasets_of_the_module(module_databases):
    """seed -> (app, Dataset): each seed's dataset built once per module, in a database of its own."""
    built = {}

    def get(seed):
        if seed not in built:
            app = module_databases(f"dataset{seed}")
            with app.app_context():
                built[seed] = app, build_dataset(seed=seed)
        return built[seed]
    return get


@pytest.fixture
def shared_dataset(_datasets_of_the_module):
    """shared_dataset(seed) -> Dataset, for tests that only read it: built once per module (a build takes
    seconds) and shared by the module's tests; the test then runs in that dataset's app, and its session
    refuses to write. A test that writes uses `make_dataset`, which builds into the test's own database."""
    with ExitStack() as stack:
        def get(seed):
            app, data = _datasets_of_the_module(seed)
            assert not has_app_context(), "one shared dataset per test, and no `app` beside it"
            stack.enter_context(read_only(app))
            return data.reloaded()
        yield get


@pytest.fixture
def dataset(make_dataset):
    return make_dataset(seed=7)

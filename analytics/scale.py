"""Generated organisations for benchmarks and load tests: realistic shape, bulk inserts, progress reports.

The tree is 3–4 levels deep (committee, sub-committees, general branches, branches, with a few
branches straight under a committee); branch sizes are uneven (log-normal); every member category
and position appears; courses are published and assigned, members are at varied progress, and
ledger rows, quiz attempts and base attendance are spread over the year.
"""
from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import aliased

from courses.bases.models import Attendance, Base, BaseSession, SessionInvitation
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
)
from learning_app.extensions import db
from learning_app.models import MemberCategory, Organization, OrgKind, PositionLevel, User
from learning_app.security import hash_password
from quizzes.models import Attempt, AttemptStatus, Question, QuestionBank, QuestionStatus, QuestionType, Quiz

from .counts import rebuild as rebuild_counts

SCALE_PASSWORD = "Scale@2026"
CHUNK = 5000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉海燕文博晓东春梅德胜庆立新卫淑珍"


class Progress:
    """Reports (done, total, label) to a callback, e.g. a click progress bar."""

    def __init__(self, report=None):
        self.report = report or (lambda done, total, label: None)


def _chunks(rows, size=CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _bulk(model, rows, progress, label):
    # render_nulls: a None is sent as NULL rather than left out, so rows with and without a value
    # (an enrolment's completed_at) go in the same multi-row INSERT; otherwise each change between
    # them starts a new one, and enrolments went in a few rows at a time (64 of the 94 s that
    # 10,000 members took on PostgreSQL).
    for done, chunk in enumerate(_chunks(rows), start=1):
        db.session.execute(insert(model).execution_options(render_nulls=True), chunk)
        progress.report(min(done * CHUNK, len(rows)), len(rows), label)


def _new_org(name, kind, parent, ids):
    org = Organization(name=name, kind=kind, parent_id=parent.id if parent else None,
                       depth=(parent.depth + 1) if parent else 0, path=f"/pending-{next(ids)}/")
    db.session.add(org)
    db.session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    return org


def build_tree(branches: int, rng, name="规模测试党委") -> tuple[Organization, list[Organization], list[Organization]]:
    """A committee over sub-committees over general branches over branches; some branches sit higher up."""
    counter = iter(range(10 ** 9))
    top = _new_org(name, OrgKind.COMMITTEE, None, counter)
    generals_wanted = max(1, branches // 25)
    subs = [_new_org(f"第{i + 1}党委", OrgKind.COMMITTEE, top, counter) for i in range(max(1, generals_wanted // 8))]
    generals = [_new_org(f"第{i + 1}党总支", OrgKind.GENERAL_BRANCH, subs[i % len(subs)], counter)
                for i in range(generals_wanted)]
    leaves = []
    for i in range(branches):
        # One branch in twenty hangs straight under a (sub-)committee, as small units' branches do.
        parent = rng.choice(subs) if i % 20 == 19 else generals[i % len(generals)]
        leaves.append(_new_org(f"第{i + 1}党支部", OrgKind.BRANCH, parent, counter))
    db.session.flush()
    return top, generals, leaves


def generate(members: int, branches: int, courses: int, seed: int = 2026, progress: Progress | None = None):
    """Generate a whole organisation and its learning records; the caller commits."""
    progress = progress or Progress()
    rng = random.Random(seed)
    top, generals, leaves = build_tree(branches, rng)
    progress.report(1, 1, "organisations")
    user_ids = _members(members, leaves, rng, progress)
    admin_id = user_ids[0]
    course_rows = _courses(courses, admin_id, rng, progress)
    _assignments(course_rows, generals, top, admin_id, rng)
    _learning(course_rows, rng, progress)
    _quizzes(course_rows, admin_id, rng, progress)
    _bases(generals, admin_id, rng, progress)
    # Bulk inserts bypass the flush that keeps the dashboard's counts: build them once at the end.
    rebuild_counts()
    progress.report(1, 1, "dashboard counts")
    return top


def gather_statistics() -> None:
    """After a bulk load, PostgreSQL's table statistics: it plans from them, and autovacuum gathers
    them only some time later (never, where it is off). Until then it guesses a handful of rows per
    table and picks nested loops over hundreds of thousands (the dashboard's scores at 100,000
    members: 0.96 s instead of 0.27 s)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _members(count, leaves, rng, progress) -> list[int]:
    weights = [rng.lognormvariate(0, 0.8) for _ in leaves]
    scale = count / sum(weights)
    password = hash_password(SCALE_PASSWORD)
    first = (db.session.scalar(select(func.max(User.id))) or 0) + 1
    rows, number = [], 0
    categories = [MemberCategory.FULL] * 78 + [MemberCategory.PROBATIONARY] * 10 + [MemberCategory.ACTIVIST] * 12
    sizes = [max(1, int(weight * scale)) for weight in weights]
    # Rounding down leaves some members over: they go to the branches that lost the largest fractions.
    by_fraction = sorted(range(len(leaves)), key=lambda i: weights[i] * scale - int(weights[i] * scale), reverse=True)
    for i in range(max(0, count - sum(sizes))):
        sizes[by_fraction[i % len(leaves)]] += 1
    for leaf, size in zip(leaves, sizes, strict=True):
        for index in range(size):
            if number >= count:
                break
            number += 1
            rows.append({"login_id": f"S{number:07d}", "real_name": rng.choice(SURNAMES) + rng.choice(GIVEN) +
                         rng.choice(GIVEN), "org_id": leaf.id, "category": rng.choice(categories),
                         "position": PositionLevel.SECRETARY if index == 0 else
                         (PositionLevel.CADRE if rng.random() < 0.05 else PositionLevel.MEMBER),
                         "phone": f"139{number:08d}", "password_hash": password, "must_change_password": False,
                         "is_active_account": True, "created_at": datetime.now(UTC)})
    _bulk(User, rows, progress, "members")
    return list(range(first, first + len(rows)))


def _courses(count, author_id, rng, progress) -> list[dict]:
    result = []
    now = datetime.now(UTC)
    for i in range(count):
        course = Course(author_id=author_id)
        db.session.add(course)
        db.session.flush()
        revision = CourseRevision(course_id=course.id, number=1, status=RevisionStatus.PUBLISHED,
                                  title=f"专题课程 {i + 1}", summary="规模测试课程", tags=["规模"],
                                  hours=Decimal(rng.choice(["1.0", "2.0", "3.0", "4.0"])), published_at=now)
        db.session.add(revision)
        db.session.flush()
        chapter = Chapter(revision_id=revision.id, position=0, title="第一章")
        db.session.add(chapter)
        db.session.flush()
        keys = []
        for position in range(3):
            lesson = Lesson(chapter_id=chapter.id, revision_id=revision.id, position=position,
                            title=f"课时 {position + 1}", kind=LessonKind.ARTICLE, body="学习内容")
            db.session.add(lesson)
            keys.append(lesson.key)
        db.session.flush()
        course.published_revision_id = revision.id
        result.append({"id": course.id, "hours": revision.hours, "title": revision.title, "lessons": 3})
        progress.report(i + 1, count, "courses")
    db.session.flush()
    return result


def _assignments(course_rows, generals, top, author_id, rng):
    today = date.today()
    rows = []
    for index, course in enumerate(course_rows):
        # A third are assigned to everyone, the rest to a few general branches, some narrowed.
        targets = [top] if index % 3 == 0 else rng.sample(generals, min(len(generals), 3))
        for org in targets:
            rows.append({"course_id": course["id"], "org_id": org.id, "required": True, "is_active": True,
                         "categories": ",full," if index % 5 == 1 else "", "positions": "",
                         "deadline": today + timedelta(days=rng.randint(-60, 90)), "assigned_by_id": author_id,
                         "created_at": datetime.now(UTC)})
    db.session.execute(insert(Assignment), rows)


def _learning(course_rows, rng, progress):
    """Enrolments at varied progress for a share of covered members, with ledger rows for completions."""
    covered = _covered_pairs()
    hours = {course["id"]: course["hours"] for course in course_rows}
    titles = {course["id"]: course["title"] for course in course_rows}
    year_start = datetime(date.today().year, 1, 1, tzinfo=UTC)
    span = max(1, (datetime.now(UTC) - year_start).days)
    enrolments, ledger = [], []
    for user_id, course_id in covered:
        roll = rng.random()
        if roll < 0.35:
            continue  # not started
        done = 3 if roll > 0.6 else rng.randint(0, 2)
        moment = year_start + timedelta(days=rng.randint(0, span - 1), minutes=rng.randint(0, 1439))
        completed = moment if done == 3 else None
        enrolments.append({"user_id": user_id, "course_id": course_id, "source": EnrolmentSource.ASSIGNED,
                           "created_at": moment, "lessons_done": done, "completed_at": completed})
        if completed:
            ledger.append({"user_id": user_id, "year": completed.year, "hours": hours[course_id],
                           "source_type": "course", "source_id": course_id, "title": titles[course_id],
                           "credited_at": completed})
    _bulk(Enrolment, enrolments, progress, "enrolments")
    _bulk(StudyHoursEntry, ledger, progress, "study hours")


def _covered_pairs():
    assigning = aliased(Organization)
    return db.session.execute(
        select(User.id, Assignment.course_id).join(Organization, User.org_id == Organization.id)
        .join(Assignment, Assignment.is_active.is_(True)).join(assigning, Assignment.org_id == assigning.id)
        .where(Organization.path.like(assigning.path + "%"),
               (Assignment.categories == "") | (Assignment.categories == ",full,") & (User.category == "full"))
        .distinct()).all()


def _quizzes(course_rows, owner_id, rng, progress):
    bank = QuestionBank(name=f"规模测试题库 {rng.randint(0, 10 ** 9)}", owner_id=owner_id)
    db.session.add(bank)
    db.session.flush()
    questions = [Question(bank_id=bank.id, author_id=owner_id, type=QuestionType.SINGLE,
                          status=QuestionStatus.PUBLISHED, stem=f"规模测试题 {i + 1}",
                          options=[{"key": k, "text": k, "weight": 0.0} for k in "ABCD"], answer="A")
                 for i in range(20)]
    db.session.add_all(questions)
    db.session.flush()
    finished = db.session.execute(select(Enrolment.user_id, Enrolment.course_id)
                                  .where(Enrolment.lessons_done >= 3)).all()
    quiz_ids = {}
    for course in course_rows[: max(1, len(course_rows) // 4)]:
        quiz = Quiz(title=f"{course['title']} 结业测验", owner_id=owner_id, course_id=course["id"],
                    is_published=True, pass_percent=60)
        db.session.add(quiz)
        db.session.flush()
        quiz_ids[course["id"]] = quiz.id
    attempts = []
    now = datetime.now(UTC)
    for user_id, course_id in finished:
        if course_id in quiz_ids:
            score = float(rng.randint(3, 10))
            attempts.append({"quiz_id": quiz_ids[course_id], "user_id": user_id, "number": 1,
                             "status": AttemptStatus.GRADED, "open_slot": None, "started_at": now,
                             "submitted_at": now, "score": score, "max_score": 10.0, "passed": score >= 6})
    _bulk(Attempt, attempts, progress, "quiz attempts")


def _bases(generals, owner_id, rng, progress):
    base = Base(name="规模测试教育基地", org_id=generals[0].id, capacity=100000)
    db.session.add(base)
    db.session.flush()
    now = datetime.now(UTC)
    rows = []
    for month in range(1, now.month + 1):
        start = datetime(now.year, month, 15, 9, tzinfo=UTC)
        session = BaseSession(base_id=base.id, topic=f"{month} 月现场教学", starts_at=start,
                              ends_at=start + timedelta(hours=3), hours=Decimal("2.0"), capacity=100000,
                              created_by_id=owner_id)
        session.invitations = [SessionInvitation(org_id=org.id) for org in generals]
        db.session.add(session)
        db.session.flush()
        attendees = db.session.scalars(select(User.id).order_by(func.random()).limit(200)).all()
        rows += [{"session_id": session.id, "user_id": user_id, "method": "code", "checked_in_at": start,
                  "reason": "", "is_valid": True} for user_id in attendees]
    _bulk(Attendance, rows, progress, "base attendance")

"""Courses that require attending base sessions: the lessons alone do not complete them."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from courses.bases import checkin, services
from courses.bases.services import BaseRuleError
from courses.models import Enrolment, EnrolmentSource
from courses.services import authoring, learning
from learning_app.extensions import db
from tests.courses.bases.helpers import NOW, ledger
from tests.courses.helpers import fresh


@pytest.fixture
def course(author, make_course, publish):
    """One article lesson, 3 hours, one base session required (set on the draft before publishing)."""
    course = make_course(author, lessons=("article",), title="红色基地现场教学", publish=False, hours=3)
    authoring.update_course(course, author, required_base_sessions=1)
    db.session.commit()
    publish(course)
    course = fresh(course)
    assert course.published.required_base_sessions == 1
    return course


@pytest.fixture
def base(world, make_base):
    return make_base(world["manager"], world["general_a"])


def enrolment(user, course):
    db.session.expire_all()
    return db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id,
                                                     Enrolment.course_id == course.id))


def read_the_lesson(user, course, start):
    lesson = course.published.lessons[0]
    progress = learning.open_lesson(user, course, lesson, EnrolmentSource.ELECTIVE, now=start)
    db.session.commit()
    learning.report_reading(user, course, lesson, progress.view_token,
                            now=start + timedelta(seconds=course.published.reading_seconds + 1))
    db.session.commit()


def test_lessons_alone_do_not_complete_a_course_that_needs_a_session(world, course):
    member = world["member_a1"]
    read_the_lesson(member, course, NOW - timedelta(hours=1))
    assert enrolment(member, course).lessons_done == 1
    assert enrolment(member, course).completed_at is None
    assert ledger(member) == []
    assert not services.required_base_sessions_met(member, course)


def test_attending_a_linked_session_completes_the_course_and_credits_both_once(world, course, base, make_session):
    member = world["member_a1"]
    read_the_lesson(member, course, NOW - timedelta(hours=1))
    session = make_session(base, world["manager"], invited=[world["general_a"]], course=course, hours=2)

    services.check_in(member, session, checkin.current_code(session.id, NOW)[0], now=NOW)
    db.session.commit()

    assert enrolment(member, course).completed_at is not None
    entries = {(e.source_type, e.source_id): e.hours for e in ledger(member)}
    assert entries == {("course", course.id): Decimal("3.0"), ("base_session", session.id): Decimal("2.0")}

    # nothing is credited twice: a replay, a hand mark, another completion check
    with pytest.raises(BaseRuleError):
        services.check_in(member, session, checkin.current_code(session.id, NOW)[0], now=NOW)
    db.session.rollback()
    with pytest.raises(BaseRuleError):
        services.mark_attendance(world["manager"], session, member, "重复", now=NOW)
    db.session.rollback()
    learning.check_course_completion(member, fresh(course), NOW + timedelta(hours=1))
    db.session.commit()
    assert len(ledger(member)) == 2
    assert len(ledger(member, "course")) == 1


def test_attending_first_then_reading_completes_the_course(world, course, base, make_session):
    member = world["member_a2"]
    session = make_session(base, world["manager"], invited=[world["general_a"]], course=course)
    services.mark_attendance(world["manager"], session, member, "现场签到", now=NOW)
    db.session.commit()
    assert enrolment(member, course).completed_at is None  # the lesson is still to do
    assert [e.source_type for e in ledger(member)] == ["base_session"]

    read_the_lesson(member, fresh(course), NOW + timedelta(hours=3))
    assert enrolment(member, course).completed_at is not None
    assert sorted(e.source_type for e in ledger(member)) == ["base_session", "course"]


def test_a_session_of_another_course_does_not_count(world, course, base, make_session, make_course, author):
    other_course = make_course(author, lessons=("article",), title="其他课程")
    member = world["member_a1"]
    read_the_lesson(member, course, NOW - timedelta(hours=1))
    for linked in (None, other_course):
        session = make_session(base, world["manager"], invited=[world["general_a"]], course=linked)
        services.check_in(member, session, checkin.current_code(session.id, NOW)[0], now=NOW)
        db.session.commit()
    assert enrolment(member, course).completed_at is None
    assert ledger(member, "course") == []
    assert len(ledger(member, "base_session")) == 2


def test_invalidated_attendance_does_not_count(world, course, base, make_session):
    from courses.bases.models import Attendance
    member = world["member_a1"]
    session = make_session(base, world["manager"], invited=[world["general_a"]], course=course)
    services.check_in(member, session, checkin.current_code(session.id, NOW)[0], now=NOW)
    db.session.commit()
    assert services.base_sessions_attended(member, course) == 1
    db.session.execute(Attendance.__table__.update().values(is_valid=False))
    db.session.commit()
    assert services.base_sessions_attended(member, course) == 0
    assert not services.required_base_sessions_met(member, course)


def test_courses_without_required_sessions_are_unaffected(world, author, make_course):
    member = world["member_a1"]
    plain = fresh(make_course(author, lessons=("article",), title="普通课程", hours=1))
    assert services.required_base_sessions_met(member, plain)
    read_the_lesson(member, plain, NOW)
    assert enrolment(member, plain).completed_at is not None
    assert [e.source_type for e in ledger(member)] == ["course"]

"""Derived state is decided under a lock: requests that race give what they give one after the other.

Every write that derives state from other rows runs here in real threads, each with its own
PostgreSQL connection, released at one barrier (tests/concurrency.py): the last lessons of a course
(lesson -> course completion), a final quiz passed with the last lesson (quiz -> completion), a base
check-in with the last lesson (attendance -> completion and hours), a double check-in and a hand
mark at once (attendance -> hours, once), two staff adding the same member to a collective study
(attendance -> hours, once), a collective study completing a course while the member finishes it
online, and the dashboard's kept counts after each. The file sits with the bases tests because it
needs the course, site and base factories together.
"""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from analytics import queries
from analytics.filters import Filters
from courses.bases import checkin, services
from courses.bases.models import Attendance, CollectiveAttendance
from courses.models import Course, Enrolment, EnrolmentSource, StudyHoursEntry
from courses.services import assignment, learning
from learning_app.extensions import db
from learning_app.models import User
from quizzes.models import Quiz
from quizzes.services import attempts, banks, quizzes
from tests.analytics.test_counts import assert_counts_fresh
from tests.concurrency import on_postgres, raised, run_at_once
from tests.courses.bases.helpers import NOW
from tests.courses.helpers import fresh
from tests.quizzes.helpers import parsed_question

pytestmark = on_postgres

MEMBERS = 4
VIDEO = {"kind": "video", "duration": 10}  # done at 90 %: 9 s played


def at(seconds):
    return NOW + timedelta(seconds=seconds)


@pytest.fixture
def members(world, make_user):
    return [make_user(world["a1"], real_name=f"并发党员{index}") for index in range(MEMBERS)]


@pytest.fixture
def video_course(author, make_course, world, publish):
    """Three 10-second videos, 2 study hours, assigned to general branch A."""
    course = fresh(make_course(author, lessons=[VIDEO, VIDEO, VIDEO], title="并发课程", hours=2))
    assignment.assign_course(world["manager"], course, world["general_a"])
    db.session.commit()
    return course


def play_almost_all(member, course, indexes, start=0):
    """Play 8.5 of each video's 10 s, one after the other from `start`: not yet done (9 s needed).
    Returns each lesson's view token, for the report that finishes it."""
    tokens = {}
    for step, index in enumerate(indexes):
        lesson = course.published.lessons[index]
        opened = start + 20 * step
        token = learning.open_lesson(member, course, lesson, EnrolmentSource.ASSIGNED, now=at(opened)).view_token
        learning.report_media_progress(member, course, lesson, token, 8.5, 8.5, now=at(opened + 8.5))
        tokens[index] = token
    db.session.commit()
    return tokens


def finish_video(member_id, course_id, index, token, seconds=100):
    """A work for run_at_once: the report that plays the last second of a video (0.6 s more)."""
    def work():
        member, course = db.session.get(User, member_id), db.session.get(Course, course_id)
        lesson = course.published.lessons[index]
        return learning.report_media_progress(member, course, lesson, token, 0.6, 9.1, now=at(seconds)).completed_at
    return work


def enrolment(member, course):
    db.session.expire_all()
    return db.session.scalar(select(Enrolment).where(Enrolment.user_id == member.id,
                                                     Enrolment.course_id == course.id))


def credits(member, source_type=None):
    db.session.expire_all()
    query = select(StudyHoursEntry.source_type, StudyHoursEntry.hours).where(StudyHoursEntry.user_id == member.id)
    if source_type:
        query = query.where(StudyHoursEntry.source_type == source_type)
    return sorted(tuple(row) for row in db.session.execute(query))


def assert_completed_once(members, course, hours=Decimal("2.0")):
    for member in members:
        record = enrolment(member, course)
        assert record is not None and record.completed_at is not None, member.real_name
        assert record.lessons_done == len(course.published.lessons)
        assert credits(member, "course") == [("course", hours)]


def completed_on_dashboard(org, course):
    db.session.expire_all()
    return queries.tree_figures(org, Filters(course_id=course.id, year=NOW.year)).total[org.id].completed


def test_last_lessons_reported_at_once_complete_the_course_once(app, world, members, video_course):
    works = []
    for member in members:
        tokens = play_almost_all(member, video_course, [0, 1, 2])
        works += [finish_video(member.id, video_course.id, index, tokens[index]) for index in range(3)]
    results = run_at_once(app, works)
    assert all(results), "every last report completes its lesson"
    assert_completed_once(members, video_course)
    assert completed_on_dashboard(world["general_a"], video_course) == MEMBERS
    assert_counts_fresh()


@pytest.fixture
def final_quiz(author, reviewer, video_course):
    bank = banks.create_bank(author, "并发题库")
    question = banks.add_question(author, bank, parsed_question("single"))
    banks.submit_questions(author, [question])
    banks.approve_question(reviewer, question)
    quiz = quizzes.create_quiz(author, "结业测验", course_id=video_course.id, shuffle_questions=False,
                               shuffle_options=False)
    quizzes.add_fixed_question(author, quiz, question)
    quizzes.set_published(author, quiz, True)
    db.session.commit()
    return quiz


def test_a_final_quiz_passed_with_the_last_lesson_completes_the_course_once(app, world, members, video_course,
                                                                              final_quiz):
    works = []
    for member in members:
        tokens = play_almost_all(member, video_course, [0, 1, 2])
        for index in (0, 1):  # finished one after the other
            finish_video(member.id, video_course.id, index, tokens[index], seconds=100 + 10 * index)()
        attempt = attempts.start_or_resume(member, final_quiz, now=at(150))
        attempts.save_answer(member, attempt, 0, "A", now=at(160))
        db.session.commit()
        works += [finish_video(member.id, video_course.id, 2, tokens[2], seconds=200), _submit(member.id, attempt.id)]
    run_at_once(app, works)
    assert_completed_once(members, video_course)
    assert completed_on_dashboard(world["general_a"], video_course) == MEMBERS
    assert_counts_fresh()


def _submit(member_id, attempt_id):
    def work():
        from quizzes.models import Attempt
        attempt = db.session.get(Attempt, attempt_id)
        return attempts.submit(db.session.get(User, member_id), attempt, now=at(200)).passed
    return work


@pytest.fixture
def base(world, make_base):
    return make_base(world["manager"], world["general_a"])


def test_a_base_check_in_with_the_last_lesson_completes_the_course_and_credits_both_once(
        app, world, members, author, make_course, publish, base, make_session):
    from courses.services import authoring
    course = make_course(author, lessons=[VIDEO], title="现场教学课程", publish=False, hours=2)
    authoring.update_course(course, author, required_base_sessions=1)
    db.session.commit()
    course = fresh(publish(course))
    session = make_session(base, world["manager"], invited=[world["general_a"]], course=course, hours=3)
    works = []
    for member in members:
        services.sign_up(member, session, now=at(-3600))
        tokens = play_almost_all(member, course, [0], start=-600)
        works += [finish_video(member.id, course.id, 0, tokens[0], seconds=0),
                  _check_in(member.id, session.id)]
    db.session.commit()
    run_at_once(app, works)
    assert_completed_once(members, course)
    for member in members:
        assert credits(member, "base_session") == [("base_session", Decimal("3.0"))]
    assert_counts_fresh()


def _check_in(member_id, session_id):
    def work():
        from courses.bases.models import BaseSession
        session = db.session.get(BaseSession, session_id)
        code, _seconds = checkin.current_code(session_id, NOW)
        return services.check_in(db.session.get(User, member_id), session, code, now=NOW)
    return work


def _mark_by_hand(actor_id, member_id, session_id):
    def work():
        from courses.bases.models import BaseSession
        return services.mark_attendance(db.session.get(User, actor_id), db.session.get(BaseSession, session_id),
                                        db.session.get(User, member_id), "手机没电", now=NOW)
    return work


def test_a_double_check_in_and_a_hand_mark_at_once_credit_the_session_once(app, world, members, base,
                                                                            make_session):
    session = make_session(base, world["manager"], invited=[world["general_a"]], hours=3)
    works = []
    for member in members:
        services.sign_up(member, session, now=at(-3600))
        works += [_check_in(member.id, session.id), _check_in(member.id, session.id),
                  _mark_by_hand(world["manager"].id, member.id, session.id)]
    db.session.commit()
    results = run_at_once(app, works, allow_errors=True)
    # One of each member's three is recorded; the others are told the member is already checked in.
    assert all(isinstance(error, services.BaseRuleError) for error in raised(results))
    assert len(raised(results)) == 2 * MEMBERS
    for member in members:
        assert len(list(db.session.scalars(select(Attendance).where(Attendance.user_id == member.id)))) == 1
        assert credits(member) == [("base_session", Decimal("3.0"))]
    assert_counts_fresh()


@pytest.fixture
def site(world, make_site, make_user):
    staff = [make_user(world["a1"], real_name=f"站点工作人员{index}") for index in range(2)]
    return make_site(world["manager"], world["general_a"], staff=staff), staff


def test_two_staff_adding_the_same_member_to_a_collective_study_credit_it_once(app, world, members, site):
    site, staff = site
    study = services.record_collective_study(staff[0], site, "集中学习党章", NOW, 90, 1.5, [])
    db.session.commit()
    works = [_add_attendee(actor.id, member.id, study.id) for member in members for actor in staff]
    run_at_once(app, works)
    for member in members:
        assert len(list(db.session.scalars(select(CollectiveAttendance).where(
            CollectiveAttendance.user_id == member.id)))) == 1
        assert credits(member) == [("collective_study", Decimal("1.5"))]
    assert_counts_fresh()


def _add_attendee(actor_id, member_id, study_id):
    def work():
        from courses.bases.models import CollectiveStudy
        study = db.session.get(CollectiveStudy, study_id)
        services.correct_collective_attendance(db.session.get(User, actor_id), study,
                                               db.session.get(User, member_id), True, "补录")
    return work


def test_a_collective_study_and_the_members_own_last_lesson_complete_the_course_once(app, world, members, site,
                                                                                     video_course):
    site, staff = site
    works = []
    for member in members:
        tokens = play_almost_all(member, video_course, [0, 1, 2])
        works.append(finish_video(member.id, video_course.id, 2, tokens[2]))
    for index in (0, 1):  # lessons 0 and 1 are studied together at the site
        works.append(_record_study(staff[index].id, site.id, video_course.id, [m.id for m in members]))
    run_at_once(app, works)
    assert_completed_once(members, video_course)
    for member in members:
        assert [kind for kind, _hours in credits(member, "collective_study")] == ["collective_study"] * 2
    assert completed_on_dashboard(world["general_a"], video_course) == MEMBERS
    assert_counts_fresh()


def _record_study(actor_id, site_id, course_id, member_ids):
    def work():
        from courses.bases.models import Site
        course = db.session.get(Course, course_id)
        keys = [lesson.key for lesson in course.published.lessons[:2]]
        return services.record_collective_study(
            db.session.get(User, actor_id), db.session.get(Site, site_id), "集中观看", at(90), 30, 0.5, member_ids,
            course=course, lesson_keys=keys)
    return work


def test_racing_lessons_leave_a_course_incomplete_while_its_final_quiz_is_not_passed(app, world, members,
                                                                                     video_course, final_quiz):
    """Guard for the guard: the same races on a course that is not complete leave it incomplete."""
    works = []
    for member in members:
        tokens = play_almost_all(member, video_course, [0, 1, 2])
        works += [finish_video(member.id, video_course.id, index, tokens[index]) for index in (0, 1)]
    run_at_once(app, works)
    for member in members:
        record = enrolment(member, video_course)
        assert record.completed_at is None and record.lessons_done == 2
        assert credits(member) == []
    assert_counts_fresh()
    assert db.session.scalar(select(Quiz.id).where(Quiz.course_id == video_course.id)) == final_quiz.id

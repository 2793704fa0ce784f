"""Attempts through the services: fixed question sets, one open attempt, limits, deadlines, grading once,
which attempt counts, review policies, the final quiz of a course, and races on PostgreSQL."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from courses.models import Enrolment, EnrolmentSource, StudyHoursEntry
from courses.services import learning
from learning_app.extensions import db
from learning_app.models import User
from learning_app.timezones import as_utc
from quizzes.models import Attempt, AttemptAnswer, AttemptStatus, GradingMethod, Question, QuestionStatus, ReviewPolicy
from quizzes.services import attempts, banks, quizzes
from quizzes.services.attempts import GRACE, AttemptError
from tests.concurrency import on_postgres, run_at_once
from tests.quizzes.helpers import RIGHT, WRONG, answer_at, at, attempt_ids, fresh, parsed_question


@pytest.fixture
def bank(author, make_bank):
    return make_bank(author)


@pytest.fixture
def mixed_quiz(author, bank, make_question, make_quiz):
    """One question of each auto-graded type, in this order, nothing shuffled."""
    questions = [make_question(bank, kind) for kind in ("single", "multiple", "true_false", "fill_blank")]
    return make_quiz(author, *questions), questions


def answer_all(user, attempt, questions, responses, now):
    for question, response in zip(questions, responses, strict=False):
        attempts.save_answer(user, attempt, answer_at(attempt, question).position, response, now=now)


def open_count(user, quiz):
    return db.session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.user_id == user.id, Attempt.quiz_id == quiz.id, Attempt.open_slot == 1))


# --- the question set is fixed at the start ----------------------------------------------------------

def test_questions_and_their_order_are_fixed_when_the_attempt_starts(member, author, bank, make_question,
                                                                     make_quiz):
    questions = [make_question(bank, "multiple", options=["一", "二", "三", "四", "五", "六"]) for _ in range(6)]
    quiz = make_quiz(author, (bank, None, 6), shuffle_questions=True, shuffle_options=True)
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    db.session.commit()
    asked = [(a.position, a.question_id, list(a.option_order)) for a in attempt.answers]
    assert sorted(q for _, q, _ in asked) == sorted(q.id for q in questions)
    for _position, _question, order in asked:
        assert sorted(order) == ["A", "B", "C", "D", "E", "F"]  # a permutation of the author's keys
    assert attempt.max_score == 6

    # Coming back (a reload, another device) gives the same attempt, questions and option order.
    db.session.expire_all()
    again = attempts.start_or_resume(member, quiz, now=at(60))
    db.session.commit()
    assert again.id == attempt.id
    assert [(a.position, a.question_id, list(a.option_order)) for a in fresh(again).answers] == asked
    assert attempt_ids(member, quiz) == [attempt.id]


def test_without_shuffling_the_quiz_order_and_option_order_are_kept(member, mixed_quiz):
    quiz, questions = mixed_quiz
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    assert [a.question_id for a in attempt.answers] == [q.id for q in questions]
    assert attempt.answers[0].option_order == ["A", "B", "C"]
    assert attempt.answers[2].option_order == []  # true/false has no options


def test_shuffled_attempts_differ_between_members(tree, make_user, author, bank, make_question, make_quiz):
    for _ in range(8):
        make_question(bank, "single", options=["一", "二", "三", "四", "五"])
    quiz = make_quiz(author, (bank, None, 8), shuffle_questions=True, shuffle_options=True)
    seen = set()
    for _ in range(4):
        attempt = attempts.start_or_resume(make_user(tree["a1"]), quiz, now=at(0))
        seen.add(tuple((a.question_id, tuple(a.option_order)) for a in attempt.answers))
    db.session.commit()
    assert len(seen) > 1  # 4 identical shuffles of 8 questions by 5 options are (practically) impossible


def test_the_stored_response_uses_the_authors_keys_whatever_the_display_order(member, author, bank,
                                                                              make_question, make_quiz):
    q = make_question(bank, "single", answer="C", options=["一", "二", "三", "四"])
    quiz = make_quiz(author, q, shuffle_options=True)
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    attempts.save_answer(member, attempt, 0, "C", now=at(1))
    attempts.submit(member, attempt, now=at(2))
    db.session.commit()
    assert fresh(attempt).score == 1.0


def test_only_published_questions_are_drawn(member, author, bank, make_question, make_quiz):
    published = {make_question(bank, "single").id for _ in range(3)}
    draft = make_question(bank, "single", published=False)
    submitted = make_question(bank, "single", published=False)
    banks.submit_questions(author, [submitted])
    db.session.commit()
    quiz = make_quiz(author, (bank, None, 3), max_attempts=None)
    for number in range(5):
        attempt = attempts.start_or_resume(member, quiz, now=at(minutes=number))
        asked = {a.question_id for a in attempt.answers}
        assert asked == published
        assert draft.id not in asked and submitted.id not in asked
        attempts.submit(member, attempt, now=at(minutes=number, seconds=30))
        db.session.commit()


def test_a_draw_by_tag_takes_only_tagged_questions(member, author, bank, make_question, make_quiz):
    tagged = {make_question(bank, "single", tags=["党章"]).id for _ in range(3)}
    make_question(bank, "single", tags=["党史"])
    make_question(bank, "single")
    quiz = make_quiz(author, (bank, "党章", 2))
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    asked = [a.question_id for a in attempt.answers]
    assert len(asked) == 2 and len(set(asked)) == 2 and set(asked) <= tagged


def test_a_draft_added_as_a_fixed_question_to_a_published_quiz_is_not_asked(member, author, bank,
                                                                            make_question, make_quiz):
    """先审后发: members never see a question no reviewer has approved."""
    approved = make_question(bank, "single")
    quiz = make_quiz(author, approved)
    draft = make_question(bank, "single", published=False, stem="未经审核的题目")
    quizzes.add_fixed_question(author, quiz, draft)  # the quiz is already published
    db.session.commit()
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    assert [a.question_id for a in attempt.answers] == [approved.id]
    assert attempt.max_score == 1


def test_a_fixed_question_replaced_by_a_new_version_asks_the_new_version(member, author, reviewer, bank,
                                                                         make_question, make_quiz):
    old = make_question(bank, "single", stem="旧版本")
    quiz = make_quiz(author, old)
    new = banks.edit_question(author, old, parsed_question("single", stem="新版本", answer="B"))
    banks.submit_questions(author, [new])
    banks.approve_question(reviewer, new)
    db.session.commit()
    assert fresh(old).status == QuestionStatus.RETIRED
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    assert [a.question_id for a in attempt.answers] == [new.id]


def test_a_draw_never_repeats_a_fixed_question_listed_after_it(member, author, bank, make_question, make_quiz):
    questions = [make_question(bank, "single") for _ in range(3)]
    quiz = make_quiz(author, (bank, None, 2), questions[0])
    for number in range(6):
        attempt = attempts.start_or_resume(member, quiz, now=at(minutes=number))
        asked = [a.question_id for a in attempt.answers]
        assert len(asked) == 3 and len(set(asked)) == 3
        attempts.submit(member, attempt, now=at(minutes=number, seconds=1))
        db.session.commit()


# --- one open attempt ------------------------------------------------------------------------------

def test_starting_twice_resumes_the_open_attempt(member, mixed_quiz):
    quiz, _questions = mixed_quiz
    first = attempts.start_or_resume(member, quiz, now=at(0))
    db.session.commit()
    second = attempts.start_or_resume(member, quiz, now=at(5))
    db.session.commit()
    assert first.id == second.id
    assert open_count(member, quiz) == 1


def test_the_database_refuses_a_second_open_attempt(member, mixed_quiz):
    quiz, _questions = mixed_quiz
    attempts.start_or_resume(member, quiz, now=at(0))
    db.session.commit()
    db.session.add(Attempt(quiz_id=quiz.id, user_id=member.id, number=2, open_slot=1))
    with pytest.raises(IntegrityError) as error:
        db.session.commit()
    assert "uq_attempt_open" in str(error.value) or "open_slot" in str(error.value)
    db.session.rollback()
    # Closed attempts (open_slot NULL) do not count against it.
    db.session.execute(insert(Attempt).execution_options(render_nulls=True),
                       [{"quiz_id": quiz.id, "user_id": member.id, "number": n, "open_slot": None,
                                          "status": AttemptStatus.GRADED} for n in (2, 3)])
    db.session.commit()
    assert open_count(member, quiz) == 1


def test_a_parallel_start_that_loses_the_race_resumes_the_winners_attempt(app, member, mixed_quiz, monkeypatch):
    """Both requests saw no open attempt; the one that inserts second gets the first one's attempt."""
    quiz, _questions = mixed_quiz
    quiz_id, member_id = quiz.id, member.id
    db.session.commit()
    with app.app_context():  # the other request, in its own session
        winner = attempts.start_or_resume(db.session.get(User, member_id), db.session.get(type(quiz), quiz_id),
                                          now=at(0))
        db.session.commit()
        winner_id = winner.id

    real_open_attempt = attempts.open_attempt
    calls = []

    def stale_first_look(user, quiz):
        calls.append(1)
        return None if len(calls) == 1 else real_open_attempt(user, quiz)  # it looked before the winner committed

    monkeypatch.setattr(attempts, "open_attempt", stale_first_look)
    loser = attempts.start_or_resume(member, quiz, now=at(1))
    db.session.commit()
    assert loser.id == winner_id
    assert open_count(member, quiz) == 1
    assert attempt_ids(member, quiz) == [winner_id]


def test_max_attempts(member, author, bank, make_question, make_quiz):
    quiz = make_quiz(author, make_question(bank, "single"), max_attempts=2)
    for number in (1, 2):
        attempt = attempts.start_or_resume(member, quiz, now=at(minutes=number))
        assert attempt.number == number
        attempts.submit(member, attempt, now=at(minutes=number, seconds=10))
        db.session.commit()
    with pytest.raises(AttemptError):
        attempts.start_or_resume(member, quiz, now=at(minutes=5))
    db.session.rollback()
    assert len(attempt_ids(member, quiz)) == 2


def test_an_open_attempt_can_be_resumed_even_when_it_is_the_last_allowed(member, author, bank, make_question,
                                                                          make_quiz):
    quiz = make_quiz(author, make_question(bank, "single"), max_attempts=1)
    first = attempts.start_or_resume(member, quiz, now=at(0))
    db.session.commit()
    assert attempts.start_or_resume(member, quiz, now=at(10)).id == first.id


# --- availability and deadlines ----------------------------------------------------------------------

def test_the_quiz_can_only_be_started_inside_its_window(member, author, bank, make_question, make_quiz):
    quiz = make_quiz(author, make_question(bank, "single"), opens_at=at(minutes=10), closes_at=at(minutes=70))
    with pytest.raises(AttemptError):
        attempts.start_or_resume(member, quiz, now=at(minutes=9))
    with pytest.raises(AttemptError):
        attempts.start_or_resume(member, quiz, now=at(minutes=70))
    with pytest.raises(AttemptError):
        attempts.start_or_resume(member, quiz, now=at(days=3))
    db.session.rollback()
    assert attempt_ids(member, quiz) == []
    attempt = attempts.start_or_resume(member, quiz, now=at(minutes=10))
    assert as_utc(attempt.deadline_at) == at(minutes=70)  # the close is the deadline


def test_an_unpublished_quiz_cannot_be_started(member, author, bank, make_question, make_quiz):
    quiz = make_quiz(author, make_question(bank, "single"), publish=False)
    with pytest.raises(AttemptError):
        attempts.start_or_resume(member, quiz, now=at(0))


def test_the_deadline_is_the_earlier_of_the_time_limit_and_the_close(member, author, bank, make_question,
                                                                     make_quiz):
    quiz = make_quiz(author, make_question(bank, "single"), time_limit_minutes=30, closes_at=at(minutes=20))
    assert as_utc(attempts.start_or_resume(member, quiz, now=at(0)).deadline_at) == at(minutes=20)
    db.session.rollback()
    quiz = make_quiz(author, make_question(bank, "single"), time_limit_minutes=30, closes_at=at(minutes=100))
    assert as_utc(attempts.start_or_resume(member, quiz, now=at(0)).deadline_at) == at(minutes=30)


@pytest.fixture
def timed_quiz(author, bank, make_question, make_quiz):
    questions = [make_question(bank, "single"), make_question(bank, "true_false")]
    return make_quiz(author, *questions, time_limit_minutes=10, pass_percent=50), questions


def test_answers_after_the_deadline_and_grace_are_refused_and_the_attempt_is_graded(member, timed_quiz):
    quiz, (single, true_false) = timed_quiz
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    db.session.commit()
    deadline = at(minutes=10)
    assert as_utc(attempt.deadline_at) == deadline
    attempts.save_answer(member, attempt, answer_at(attempt, single).position, "A", now=at(minutes=5))
    # A little after the deadline still counts (network delay).
    attempts.save_answer(member, attempt, answer_at(attempt, true_false).position, False,
                         now=deadline + GRACE - timedelta(seconds=1))
    db.session.commit()
    with pytest.raises(AttemptError):
        attempts.save_answer(member, attempt, answer_at(attempt, true_false).position, True,
                             now=deadline + GRACE + timedelta(seconds=1))
    db.session.commit()  # the view commits the grading
    attempt = fresh(attempt)
    assert attempt.open_slot is None
    assert attempt.status == AttemptStatus.GRADED
    assert answer_at(attempt, true_false).response is False  # the late answer was not stored
    assert attempt.score == 1.0 and attempt.passed is True
    assert as_utc(attempt.submitted_at) == deadline


def test_an_expired_attempt_is_graded_from_what_was_saved(member, timed_quiz):
    quiz, (single, _true_false) = timed_quiz
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    attempts.save_answer(member, attempt, answer_at(attempt, single).position, "A", now=at(minutes=1))
    db.session.commit()
    assert attempts.finish_if_expired(attempt, now=at(minutes=10, seconds=30)) is False  # still in the grace
    assert attempts.finish_if_expired(attempt, now=at(minutes=11)) is True
    db.session.commit()
    attempt = fresh(attempt)
    assert attempt.status == AttemptStatus.GRADED and attempt.score == 1.0
    assert as_utc(attempt.submitted_at) == at(minutes=10)


def test_submitting_after_the_deadline_records_the_deadline(member, timed_quiz):
    quiz, (single, _true_false) = timed_quiz
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    attempts.save_answer(member, attempt, answer_at(attempt, single).position, "A", now=at(minutes=1))
    db.session.commit()
    attempts.submit(member, attempt, now=at(minutes=45))
    db.session.commit()
    attempt = fresh(attempt)
    assert attempt.score == 1.0
    assert as_utc(attempt.submitted_at) == at(minutes=10)


def test_starting_again_after_an_expired_attempt_grades_it_and_starts_a_new_one(member, timed_quiz):
    quiz, (single, _true_false) = timed_quiz
    first = attempts.start_or_resume(member, quiz, now=at(0))
    attempts.save_answer(member, first, answer_at(first, single).position, "A", now=at(minutes=1))
    db.session.commit()
    second = attempts.start_or_resume(member, quiz, now=at(minutes=30))
    db.session.commit()
    assert second.id != first.id and second.number == 2
    assert fresh(first).status == AttemptStatus.GRADED and fresh(first).score == 1.0


# --- saving and submitting ---------------------------------------------------------------------------

def test_saving_the_same_answer_twice_is_harmless(member, mixed_quiz):
    quiz, questions = mixed_quiz
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    position = answer_at(attempt, questions[1]).position
    attempts.save_answer(member, attempt, position, ["C", "A"], now=at(10))
    db.session.commit()
    attempts.save_answer(member, attempt, position, ["A", "C"], now=at(11))
    db.session.commit()
    answers = db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)).all()
    assert len(answers) == 4
    assert answer_at(fresh(attempt), questions[1]).response == ["A", "C"]


def test_saving_refuses_what_does_not_fit(member, tree, make_user, mixed_quiz):
    quiz, questions = mixed_quiz
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    with pytest.raises(AttemptError):
        attempts.save_answer(member, attempt, 99, "A", now=at(1))
    with pytest.raises(AttemptError):
        attempts.save_answer(member, attempt, answer_at(attempt, questions[0]).position, "Z", now=at(1))
    with pytest.raises(AttemptError):
        attempts.save_answer(member, attempt, answer_at(attempt, questions[0]).position, ["A"], now=at(1))
    with pytest.raises(AttemptError):
        attempts.save_answer(make_user(tree["a1"]), attempt, 0, "A", now=at(1))
    with pytest.raises(AttemptError):
        attempts.submit(make_user(tree["a1"]), attempt, now=at(1))


def test_submitting_twice_grades_once(member, mixed_quiz):
    quiz, questions = mixed_quiz
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    answer_all(member, attempt, questions, [RIGHT["single"], WRONG["multiple"], RIGHT["true_false"], "２０１２"],
               now=at(10))
    first = attempts.submit(member, attempt, now=at(20))
    db.session.commit()
    assert (first.score, first.max_score, first.passed) == (3.0, 4.0, True)
    scores = {a.id: a.score for a in fresh(attempt).answers}

    # The author changes the single-choice answer in the database: a second submission must not regrade.
    db.session.get(Question, questions[0].id).answer = "B"
    db.session.commit()
    again = attempts.submit(member, fresh(attempt), now=at(40))
    db.session.commit()
    attempt = fresh(attempt)
    assert again.score == 3.0 and attempt.score == 3.0
    assert {a.id: a.score for a in attempt.answers} == scores
    assert as_utc(attempt.submitted_at) == at(20)


def test_answers_cannot_change_after_submitting(member, mixed_quiz):
    quiz, questions = mixed_quiz
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    attempts.submit(member, attempt, now=at(5))
    db.session.commit()
    with pytest.raises(AttemptError):
        attempts.save_answer(member, attempt, 0, "A", now=at(6))
    assert answer_at(fresh(attempt), questions[0]).response is None


# --- which attempt counts --------------------------------------------------------------------------

def _take(member, quiz, question, response, minute):
    attempt = attempts.start_or_resume(member, quiz, now=at(minutes=minute))
    attempts.save_answer(member, attempt, 0, response, now=at(minutes=minute, seconds=10))
    attempts.submit(member, attempt, now=at(minutes=minute, seconds=20))
    db.session.commit()
    return attempt


def test_highest_or_last_attempt_counts(member, author, bank, make_question, make_quiz):
    question = make_question(bank, "single")
    quiz = make_quiz(author, question, grading_method="highest")
    good = _take(member, quiz, question, "A", 1)
    bad = _take(member, quiz, question, "B", 2)
    assert attempts.result_for(member, quiz).id == good.id

    quiz.grading_method = GradingMethod.LAST
    db.session.commit()
    assert attempts.result_for(member, quiz).id == bad.id
    assert attempts.result_for(member, quiz).passed is False


def test_highest_prefers_the_earlier_attempt_on_a_tie(member, author, bank, make_question, make_quiz):
    question = make_question(bank, "single")
    quiz = make_quiz(author, question, grading_method=GradingMethod.HIGHEST)
    first = _take(member, quiz, question, "A", 1)
    _take(member, quiz, question, "A", 2)
    assert attempts.result_for(member, quiz).id == first.id


def test_no_result_before_a_graded_attempt(member, author, bank, make_question, make_quiz):
    quiz = make_quiz(author, make_question(bank, "single"))
    assert attempts.result_for(member, quiz) is None
    attempts.start_or_resume(member, quiz, now=at(0))
    db.session.commit()
    assert attempts.result_for(member, quiz) is None


# --- review policies -------------------------------------------------------------------------------

@pytest.mark.parametrize("policy, closes, now, visible", [
    (ReviewPolicy.IMMEDIATELY, None, at(minutes=5), True),
    (ReviewPolicy.NEVER, None, at(minutes=5), False),
    (ReviewPolicy.AFTER_CLOSE, None, at(days=300), False),
    (ReviewPolicy.AFTER_CLOSE, at(minutes=60), at(minutes=59), False),
    (ReviewPolicy.AFTER_CLOSE, at(minutes=60), at(minutes=60), True),
])
def test_review_policy(member, author, bank, make_question, make_quiz, policy, closes, now, visible):
    quiz = make_quiz(author, make_question(bank, "single"), review_policy=policy, closes_at=closes)
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    assert attempts.may_see_review(attempt, now=now) is False  # never while in progress
    attempts.submit(member, attempt, now=at(1))
    db.session.commit()
    assert attempts.may_see_review(fresh(attempt), now=now) is visible


# --- the final quiz completes the course -------------------------------------------------------------

def test_a_final_quiz_must_be_passed_before_the_course_is_complete(member, author, bank, make_course,
                                                                   make_question, make_quiz):
    course = make_course(author, lessons=2, hours=3)
    question = make_question(bank, "single")
    quiz = make_quiz(author, question, course_id=course.id, pass_percent=100)

    for index, lesson in enumerate(course.published.lessons):
        token = learning.open_lesson(member, course, lesson, EnrolmentSource.ELECTIVE,
                                     now=at(minutes=index * 10)).view_token
        learning.report_reading(member, course, lesson, token, now=at(minutes=index * 10 + 5))
        db.session.commit()

    def enrolment():
        db.session.expire_all()
        return db.session.scalar(select(Enrolment).where(Enrolment.user_id == member.id,
                                                         Enrolment.course_id == course.id))

    def hours_entries():
        return db.session.scalars(select(StudyHoursEntry).where(StudyHoursEntry.user_id == member.id)).all()

    assert enrolment().lessons_done == 2
    assert enrolment().completed_at is None
    assert hours_entries() == []

    _take(member, quiz, question, "B", 30)  # failed
    assert enrolment().completed_at is None and hours_entries() == []

    _take(member, quiz, question, "A", 40)  # passed
    assert enrolment().completed_at is not None
    entries = hours_entries()
    assert [(e.source_type, e.source_id, float(e.hours)) for e in entries] == [("course", course.id, 3.0)]

    # Passing again or re-checking credits nothing more.
    _take(member, quiz, question, "A", 50)
    learning.check_course_completion(member, course)
    db.session.commit()
    assert len(hours_entries()) == 1


def test_a_passed_final_quiz_before_the_lessons_completes_with_the_last_lesson(member, author, bank,
                                                                               make_course, make_question,
                                                                               make_quiz):
    course = make_course(author, lessons=1)
    question = make_question(bank, "single")
    quiz = make_quiz(author, question, course_id=course.id)
    lesson = course.published.lessons[0]
    token = learning.open_lesson(member, course, lesson, EnrolmentSource.ELECTIVE, now=at(0)).view_token
    db.session.commit()
    _take(member, quiz, question, "A", 1)
    assert db.session.scalar(select(Enrolment.completed_at).where(Enrolment.user_id == member.id)) is None
    learning.report_reading(member, course, lesson, token, now=at(minutes=5))
    db.session.commit()
    assert db.session.scalar(select(Enrolment.completed_at).where(Enrolment.user_id == member.id)) is not None
    assert db.session.scalar(select(func.count()).select_from(StudyHoursEntry)) == 1


def test_an_unpublished_final_quiz_does_not_hold_the_course_back(member, author, bank, make_course,
                                                                 make_question, make_quiz):
    course = make_course(author, lessons=1)
    make_quiz(author, make_question(bank, "single"), course_id=course.id, publish=False)
    lesson = course.published.lessons[0]
    token = learning.open_lesson(member, course, lesson, EnrolmentSource.ELECTIVE, now=at(0)).view_token
    learning.report_reading(member, course, lesson, token, now=at(minutes=2))
    db.session.commit()
    assert db.session.scalar(select(Enrolment.completed_at).where(Enrolment.user_id == member.id)) is not None


# --- races on PostgreSQL -----------------------------------------------------------------------------

@on_postgres
def test_two_simultaneous_submissions_grade_once(app, member, mixed_quiz, monkeypatch):
    quiz, questions = mixed_quiz
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    answer_all(member, attempt, questions, [RIGHT["single"], RIGHT["multiple"], WRONG["true_false"], "北京"],
               now=at(10))
    db.session.commit()
    attempt_id, member_id, question_ids = attempt.id, member.id, sorted(q.id for q in questions)
    db.session.close()

    graded, lock = [], threading.Lock()
    real_score = attempts.score_fraction

    def counting_score(question, response):
        with lock:
            graded.append(question.id)
        return real_score(question, response)

    monkeypatch.setattr(attempts, "score_fraction", counting_score)

    def submit():
        user = db.session.get(User, member_id)
        result = attempts.submit(user, db.session.get(Attempt, attempt_id))
        db.session.commit()
        return result.status, result.score

    results = run_at_once(app, [submit, submit])
    assert results[0] == results[1] == (AttemptStatus.GRADED, 2.0)
    assert sorted(graded) == question_ids  # each question scored once: one grading
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == AttemptStatus.GRADED and attempt.score == 2.0 and attempt.open_slot is None


@on_postgres
def test_ten_simultaneous_starts_make_one_attempt(app, member, mixed_quiz):
    quiz, _questions = mixed_quiz
    quiz_id, member_id = quiz.id, member.id
    db.session.close()

    def start():
        attempt = attempts.start_or_resume(db.session.get(User, member_id), db.session.get(type(quiz), quiz_id))
        db.session.commit()
        return attempt.id

    results = run_at_once(app, [start] * 10)
    assert len(set(results)) == 1
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
    assert db.session.scalar(select(func.count()).select_from(AttemptAnswer)) == 4
    assert db.session.get(Attempt, results[0]).open_slot == 1


@on_postgres
def test_an_answer_saved_while_the_attempt_is_being_graded_is_refused(app, member, mixed_quiz, monkeypatch):
    """The autosave request loaded the attempt while it was still open; the submission commits first."""
    quiz, questions = mixed_quiz
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    position = answer_at(attempt, questions[0]).position
    attempts.save_answer(member, attempt, position, RIGHT["single"], now=at(1))
    db.session.commit()
    attempt_id, member_id, single_id = attempt.id, member.id, questions[0].id
    db.session.close()

    grading, release = threading.Event(), threading.Event()
    real_score = attempts.score_fraction

    def slow_score(question, response):
        grading.set()  # the attempt row is updated (closed) but not committed yet
        release.wait(timeout=10)
        return real_score(question, response)

    monkeypatch.setattr(attempts, "score_fraction", slow_score)
    outcome, errors = {}, []

    def submitter():
        try:
            with app.app_context():
                outcome["score"] = attempts.submit(db.session.get(User, member_id),
                                                   db.session.get(Attempt, attempt_id)).score
                db.session.commit()
        except Exception as error:
            errors.append(error)

    def saver():
        try:
            with app.app_context():
                open_attempt = db.session.get(Attempt, attempt_id)
                outcome["seen_open"] = open_attempt.open_slot == 1
                try:
                    attempts.save_answer(db.session.get(User, member_id), open_attempt, position, WRONG["single"])
                    outcome["save"] = "saved"
                except AttemptError:
                    outcome["save"] = "refused"
                    outcome["closed"] = open_attempt.open_slot != 1
                db.session.commit()
        except Exception as error:
            errors.append(error)

    first = threading.Thread(target=submitter)
    first.start()
    try:
        assert grading.wait(timeout=10)
        second = threading.Thread(target=saver)
        second.start()
        second.join(timeout=0.5)  # it waits for the submission's lock (or, unfixed, saves right away)
    finally:
        release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert not errors, errors
    assert outcome["seen_open"] is True
    assert outcome["save"] == "refused" and outcome["closed"] is True
    attempt = db.session.get(Attempt, attempt_id)
    assert next(a for a in attempt.answers if a.question_id == single_id).response == RIGHT["single"]
    assert attempt.score == outcome["score"] == 1.0

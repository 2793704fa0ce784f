"""每日一练: five questions a day from banks meant for the member, graded once, points and streak."""
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from courses.models import encode_set
from learning_app import timezones
from learning_app.extensions import db
from learning_app.models import User, utcnow
from quizzes.models import PracticeDay, Question, QuestionStatus, QuestionType
from quizzes.services import banks, practice
from quizzes.services.practice import POINTS_PER_CORRECT, QUESTIONS_PER_DAY
from tests.concurrency import on_postgres, run_at_once
from tests.quizzes.helpers import RIGHT, WRONG, location, parsed_question

TODAY = date(2025, 3, 10)


def days_of(user):
    db.session.expire_all()
    return list(db.session.scalars(select(PracticeDay).where(PracticeDay.user_id == user.id)
                                   .order_by(PracticeDay.day)))


@pytest.fixture
def bank(author, make_bank):
    return make_bank(author)


def fill(bank, make_question, count, kinds=("single", "multiple", "true_false", "fill_blank")):
    return [make_question(bank, kinds[index % len(kinds)]) for index in range(count)]


def responses_for(questions, right_ids):
    return {str(q.id): (RIGHT if q.id in right_ids else WRONG)[q.type.value] for q in questions}


# --- the day's questions -------------------------------------------------------------------------------

def test_five_questions_a_day_from_published_auto_graded_questions(member, bank, make_question):
    pool = {q.id for q in fill(bank, make_question, 8)}
    practice_day = practice.todays_practice(member, TODAY)
    db.session.commit()
    assert len(practice_day.question_ids) == QUESTIONS_PER_DAY == 5
    assert len(set(practice_day.question_ids)) == 5 and set(practice_day.question_ids) <= pool


def test_fewer_when_the_pool_is_smaller_and_never_drafts_or_short_answers(member, author, bank, make_question):
    published = {q.id for q in fill(bank, make_question, 3)}
    make_question(bank, "single", published=False)
    submitted = make_question(bank, "single", published=False)
    banks.submit_questions(author, [submitted])
    make_question(bank, "short_answer")
    db.session.commit()
    practice_day = practice.todays_practice(member, TODAY)
    assert sorted(practice_day.question_ids) == sorted(published)
    assert {q.type for q in practice.questions_of(practice_day)} <= {
        QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUE_FALSE, QuestionType.FILL_BLANK}


def test_only_banks_meant_for_the_member(tree, make_user, author, make_bank, make_question):
    for_everyone = {q.id for q in fill(make_bank(author), make_question, 2)}
    for_probationary = {q.id for q in fill(make_bank(author, audience_categories=encode_set(["probationary"])),
                                           make_question, 2)}
    for_secretaries = {q.id for q in fill(make_bank(author, audience_positions=encode_set(["secretary"])),
                                          make_question, 1)}
    full_member = make_user(tree["a1"], category="full", position="member")
    probationary = make_user(tree["a1"], category="probationary", position="member")
    secretary = make_user(tree["a1"], category="full", position="secretary")
    assert set(practice.todays_practice(full_member, TODAY).question_ids) == for_everyone
    assert set(practice.todays_practice(probationary, TODAY).question_ids) == for_everyone | for_probationary
    assert set(practice.todays_practice(secretary, TODAY).question_ids) == for_everyone | for_secretaries


def test_no_questions_no_practice_day(member, bank, make_question):
    make_question(bank, "single", published=False)
    assert practice.todays_practice(member, TODAY) is None
    assert days_of(member) == []


def test_the_same_set_all_day_and_a_new_one_tomorrow(member, bank, make_question):
    fill(bank, make_question, 12)
    first = practice.todays_practice(member, TODAY)
    db.session.commit()
    again = practice.todays_practice(member, TODAY)
    assert again.id == first.id and again.question_ids == first.question_ids
    tomorrow = practice.todays_practice(member, TODAY + timedelta(days=1))
    db.session.commit()
    assert tomorrow.id != first.id
    assert len(days_of(member)) == 2


def test_questions_keep_the_days_order(member, bank, make_question):
    fill(bank, make_question, 7)
    practice_day = practice.todays_practice(member, TODAY)
    assert [q.id for q in practice.questions_of(practice_day)] == practice_day.question_ids


# --- answering ------------------------------------------------------------------------------------------

def test_two_points_per_correct_answer_and_answering_twice_changes_nothing(member, bank, make_question):
    fill(bank, make_question, 5)
    practice_day = practice.todays_practice(member, TODAY)
    questions = practice.questions_of(practice_day)
    right = {questions[0].id, questions[3].id}
    practice.answer_practice(member, practice_day, responses_for(questions, right))
    db.session.commit()
    done = days_of(member)[0]
    assert (done.correct, done.points) == (2, 2 * POINTS_PER_CORRECT) == (2, 4)
    assert done.finished_at is not None
    assert set(done.responses) == {str(q.id) for q in questions}

    finished_at, responses = done.finished_at, dict(done.responses)
    practice.answer_practice(member, done, responses_for(questions, {q.id for q in questions}))
    db.session.commit()
    done = days_of(member)[0]
    assert (done.correct, done.points, done.finished_at, done.responses) == (2, 4, finished_at, responses)
    assert practice.total_points(member) == 4


def test_unreadable_answers_count_as_wrong(member, bank, make_question):
    q = make_question(bank, "single")
    practice_day = practice.todays_practice(member, TODAY)
    practice.answer_practice(member, practice_day, {str(q.id): ["A"]})
    assert (practice_day.correct, practice_day.responses) == (0, {str(q.id): None})


def test_answers_in_other_forms_are_accepted(member, bank, make_question):
    questions = [make_question(bank, "fill_blank", answer=["北京"]), make_question(bank, "true_false", answer=False)]
    practice_day = practice.todays_practice(member, TODAY)
    practice.answer_practice(member, practice_day, {str(questions[0].id): "北 京", str(questions[1].id): "false"})
    assert practice_day.correct == 2 and practice_day.points == 4


def test_a_members_practice_is_their_own(member, tree, make_user, bank, make_question):
    fill(bank, make_question, 2)
    practice_day = practice.todays_practice(member, TODAY)
    with pytest.raises(PermissionError):
        practice.answer_practice(make_user(tree["a1"]), practice_day, {})


# --- streak and points ---------------------------------------------------------------------------------

def _past_day(user, day, points=0, finished=True):
    db.session.add(PracticeDay(user_id=user.id, day=day, question_ids=[], points=points,
                               finished_at=utcnow() if finished else None))
    db.session.commit()


def test_the_streak_counts_consecutive_finished_days(member, bank, make_question):
    assert practice.streak(member, TODAY) == 0
    for back in (1, 2, 3):
        _past_day(member, TODAY - timedelta(days=back), points=2)
    _past_day(member, TODAY - timedelta(days=5), points=6)  # before the gap: not counted
    _past_day(member, TODAY - timedelta(days=4), finished=False)  # opened but not answered: the gap
    assert practice.streak(member, TODAY) == 3  # today not done yet: the streak runs to yesterday
    assert practice.streak(member, TODAY + timedelta(days=2)) == 0  # a missed day ends it

    fill(bank, make_question, 5)
    practice_day = practice.todays_practice(member, TODAY)
    practice.answer_practice(member, practice_day, responses_for(practice.questions_of(practice_day), set()))
    db.session.commit()
    assert practice.streak(member, TODAY) == 4
    assert practice.total_points(member) == 2 * 3 + 6


def test_total_points_start_at_zero(member):
    assert practice.total_points(member) == 0


# --- over HTTP -------------------------------------------------------------------------------------------

def test_the_practice_page_without_questions(client, auth, member):
    auth.login(member)
    assert client.get("/quizzes/practice").status_code == 200
    assert client.post("/quizzes/practice", data={}).status_code == 200
    assert days_of(member) == []


def test_practice_is_for_members(client, auth, author):
    auth.login(author)
    assert client.get("/quizzes/practice").status_code == 403


def test_practising_over_http(client, auth, member, bank, make_question):
    secret = "每日一练解析子丑寅"
    questions = [make_question(bank, "single", explanation=secret), make_question(bank, "multiple"),
                 make_question(bank, "true_false"), make_question(bank, "fill_blank", answer=["答案卯辰巳"])]
    auth.login(member)
    before = client.get("/quizzes/practice")
    assert before.status_code == 200
    html = before.get_data(as_text=True)
    assert secret not in html and "答案卯辰巳" not in html  # nothing given away before answering
    assert client.get("/quizzes/practice").status_code == 200
    [practice_day] = days_of(member)
    assert sorted(practice_day.question_ids) == sorted(q.id for q in questions)

    by_type = {q.type.value: q for q in questions}
    form = {f"p{by_type['single'].id}": "A", f"p{by_type['multiple'].id}": ["A", "C"],
            f"p{by_type['true_false'].id}": "false", f"p{by_type['fill_blank'].id}": "答案 卯辰巳"}
    response = client.post("/quizzes/practice", data=form)
    assert response.status_code == 302 and location(response).endswith("/quizzes/practice")
    [practice_day] = days_of(member)
    assert (practice_day.correct, practice_day.points) == (3, 6)

    # Sending the answers again (a second tab, a double click) changes nothing.
    client.post("/quizzes/practice", data={**form, f"p{by_type['true_false'].id}": "true"})
    [again] = days_of(member)
    assert (again.correct, again.points, again.responses) == (3, 6, practice_day.responses)
    after = client.get("/quizzes/practice").get_data(as_text=True)
    assert secret in after  # explanations once answered
    assert db.session.scalar(select(func.count()).select_from(PracticeDay)) == 1


def test_retired_questions_stay_in_a_day_already_drawn(member, author, reviewer, bank, make_question):
    question = make_question(bank, "single")
    practice_day = practice.todays_practice(member, TODAY)
    db.session.commit()
    new = banks.edit_question(author, question, parsed_question("single", answer="B"))
    banks.submit_questions(author, [new])
    banks.approve_question(reviewer, new)
    db.session.commit()
    assert db.session.get(Question, question.id).status == QuestionStatus.RETIRED
    assert [q.id for q in practice.questions_of(practice_day)] == [question.id]
    assert practice.todays_practice(member, TODAY + timedelta(days=1)).question_ids == [new.id]


# --- the local day ------------------------------------------------------------------------------------

@pytest.mark.parametrize("utc_hour, local_day", [(15, date(2025, 3, 9)), (16, date(2025, 3, 10)),
                                                 (23, date(2025, 3, 10))])
def test_the_practice_day_follows_the_organisations_time_zone(member, bank, make_question, monkeypatch,
                                                              utc_hour, local_day):
    """Asia/Shanghai is UTC+8: the day changes at 16:00 UTC, whatever the server's own clock zone."""
    fill(bank, make_question, 2)
    monkeypatch.setattr(timezones, "utcnow", lambda: datetime(2025, 3, 9, utc_hour, 30, tzinfo=UTC))
    assert practice.local_today() == local_day
    practice_day = practice.todays_practice(member)
    practice.answer_practice(member, practice_day, {})
    db.session.commit()
    assert days_of(member)[0].day == local_day
    assert practice.streak(member) == 1


# --- two tabs at once (PostgreSQL) ---------------------------------------------------------------------

@on_postgres
def test_answering_in_two_tabs_at_once_grades_the_day_once(app, member, bank, make_question, monkeypatch):
    real_score = practice.score_fraction

    def slow_score(question, response):
        time.sleep(0.1)  # widen the window between "not finished yet" and writing the result
        return real_score(question, response)

    monkeypatch.setattr(practice, "score_fraction", slow_score)
    fill(bank, make_question, 5)
    practice_day = practice.todays_practice(member, TODAY)
    db.session.commit()
    questions = practice.questions_of(practice_day)
    answers = [responses_for(questions, {q.id for q in questions}), responses_for(questions, set())]
    day_id, member_id = practice_day.id, member.id
    db.session.close()

    def answer(index):
        day = practice.answer_practice(db.session.get(User, member_id), db.session.get(PracticeDay, day_id),
                                       answers[index])
        db.session.commit()
        return day.correct, day.points

    first, second = run_at_once(app, [lambda: answer(0), lambda: answer(1)])
    assert first == second and first in {(5, 10), (0, 0)}
    [stored] = days_of(member)
    assert (stored.correct, stored.points) == first

"""Scoring: each question type, partial credit, text normalisation, and grading short answers by hand."""
from types import SimpleNamespace

import pytest

from learning_app.extensions import db
from quizzes.grading import clean_response, normalise_text, option_weights, score_fraction
from quizzes.importers import make_options
from quizzes.models import AttemptStatus, QuestionType
from quizzes.services import attempts
from quizzes.services.attempts import AttemptError
from tests.quizzes.helpers import RIGHT, answer_at, at, fresh


def question(kind, answer, options=(), partial_credit=False, weights=None):
    """A question-like object: the grading functions need no database."""
    return SimpleNamespace(type=QuestionType(kind), answer=answer, partial_credit=partial_credit,
                           options=make_options(list(options), weights) if options else [])


FOUR = ["甲", "乙", "丙", "丁"]


# --- single choice, true/false ---------------------------------------------------------------------

def test_single_choice_scores_the_right_key_only():
    q = question("single", "B", ["甲", "乙", "丙"])
    assert score_fraction(q, "B") == 1.0
    assert score_fraction(q, "A") == 0.0
    assert score_fraction(q, None) == 0.0
    assert score_fraction(q, "") == 0.0


def test_single_choice_with_partial_credit_scores_the_chosen_options_weight():
    """Moodle's {~wrong ~%50%half =full}: one right answer, another worth half."""
    q = question("single", "C", ["错", "半对", "全对"], partial_credit=True, weights=[0.0, 0.5, 1.0])
    assert [score_fraction(q, key) for key in ("A", "B", "C", None)] == [0.0, 0.5, 1.0, 0.0]
    negative = question("single", "A", ["对", "错"], partial_credit=True, weights=[1.0, -0.5])
    assert score_fraction(negative, "B") == 0.0  # a question never scores below nothing


@pytest.mark.parametrize("answer", [True, False])
def test_true_false(answer):
    q = question("true_false", answer)
    assert score_fraction(q, answer) == 1.0
    assert score_fraction(q, not answer) == 0.0
    assert score_fraction(q, None) == 0.0


def test_a_false_response_to_a_false_statement_is_right():
    """False is an answer, not "no answer"."""
    q = question("true_false", False)
    assert score_fraction(q, clean_response(q, "false")) == 1.0
    assert score_fraction(q, clean_response(q, False)) == 1.0


# --- fill in the blank -----------------------------------------------------------------------------

@pytest.mark.parametrize("response", ["2012", "２０１２", " 2012 ", "20 12", "北京", "北 京", "北　京", " 北京\n",
                                      "Beijing", "BEIJING", "ｂｅｉｊｉｎｇ"])
def test_fill_blank_accepts_every_listed_answer_ignoring_spaces_width_and_case(response):
    q = question("fill_blank", ["2012", "北京", "beijing"])
    assert score_fraction(q, response) == 1.0


@pytest.mark.parametrize("response", ["2013", "南京", "北京市", "", None])
def test_fill_blank_refuses_other_answers(response):
    q = question("fill_blank", ["2012", "北京"])
    assert score_fraction(q, response) == 0.0


def test_fill_blank_accepted_answers_are_normalised_too():
    q = question("fill_blank", ["２０１２ 年"])
    assert score_fraction(q, "2012年") == 1.0


def test_normalise_text():
    assert normalise_text("Ａ Ｂ　c\t") == "abc"
    assert normalise_text(None) == ""
    assert normalise_text(2012) == "2012"


# --- multiple choice -------------------------------------------------------------------------------

def test_multiple_all_or_nothing():
    q = question("multiple", ["A", "C"], FOUR)
    assert score_fraction(q, ["A", "C"]) == 1.0
    assert score_fraction(q, ["C", "A"]) == 1.0
    assert score_fraction(q, ["A"]) == 0.0
    assert score_fraction(q, ["A", "B", "C"]) == 0.0
    assert score_fraction(q, []) == 0.0


def test_multiple_partial_credit_with_an_even_split():
    q = question("multiple", ["A", "C"], FOUR, partial_credit=True)
    assert option_weights(q) == {"A": 0.5, "B": -0.5, "C": 0.5, "D": -0.5}
    assert score_fraction(q, ["A", "C"]) == 1.0
    assert score_fraction(q, ["A"]) == 0.5
    assert score_fraction(q, ["A", "B"]) == 0.0
    assert score_fraction(q, ["A", "B", "C"]) == 0.5
    # Wrong choices never push the score below zero.
    assert score_fraction(q, ["B"]) == 0.0
    assert score_fraction(q, ["B", "D"]) == 0.0
    assert score_fraction(q, ["A", "B", "C", "D"]) == 0.0


def test_multiple_partial_credit_with_the_authors_weights():
    q = question("multiple", ["A", "B"], FOUR, partial_credit=True, weights=[0.7, 0.3, -1.0, 0.0])
    assert option_weights(q) == {"A": 0.7, "B": 0.3, "C": -1.0, "D": 0.0}
    assert score_fraction(q, ["A"]) == pytest.approx(0.7)
    assert score_fraction(q, ["B"]) == pytest.approx(0.3)
    assert score_fraction(q, ["A", "B"]) == pytest.approx(1.0)
    assert score_fraction(q, ["A", "B", "D"]) == pytest.approx(1.0)
    assert score_fraction(q, ["A", "C"]) == 0.0
    assert score_fraction(q, ["C"]) == 0.0


def test_weights_are_ignored_without_partial_credit():
    q = question("multiple", ["A", "B"], FOUR, partial_credit=False, weights=[0.5, 0.5, 0.0, 0.0])
    assert score_fraction(q, ["A"]) == 0.0
    assert score_fraction(q, ["A", "B"]) == 1.0


def test_partial_credit_never_exceeds_full_marks():
    q = question("multiple", ["A", "B"], FOUR, partial_credit=True, weights=[1.0, 1.0, 0.0, 0.0])
    assert score_fraction(q, ["A", "B"]) == 1.0


# --- short answer ----------------------------------------------------------------------------------

def test_short_answer_waits_for_a_person():
    q = question("short_answer", "参考答案")
    assert score_fraction(q, "我的回答") is None
    assert score_fraction(q, None) is None


# --- cleaning responses ----------------------------------------------------------------------------

def test_clean_response_canonical_forms():
    single = question("single", "A", ["甲", "乙"])
    multiple = question("multiple", ["A"], FOUR)
    true_false = question("true_false", True)
    blank = question("fill_blank", ["x"])
    assert clean_response(single, "B") == "B"
    assert clean_response(multiple, ["C", "A", "C"]) == ["A", "C"]
    assert clean_response(multiple, []) == []
    assert clean_response(true_false, "true") is True
    assert clean_response(true_false, "false") is False
    assert clean_response(true_false, False) is False
    assert clean_response(blank, " 答案 ") == " 答案 "
    assert clean_response(single, None) is None


@pytest.mark.parametrize("kind, response", [
    ("single", "Z"), ("single", ["A"]), ("single", {"key": "A"}), ("single", 1),
    ("multiple", "A"), ("multiple", ["A", "Z"]), ("multiple", [["A"]]), ("multiple", [{"k": 1}]),
    ("true_false", "maybe"), ("true_false", ["true"]),
    ("fill_blank", "x" * 5001),
])
def test_clean_response_refuses_what_cannot_belong_to_the_question(kind, response):
    q = question(kind, None, ["甲", "乙"] if kind in ("single", "multiple") else ())
    with pytest.raises(ValueError):
        clean_response(q, response)


# --- grading by hand -------------------------------------------------------------------------------

@pytest.fixture
def essay_quiz(author, make_bank, make_question, make_quiz):
    bank = make_bank(author)
    choice = make_question(bank, "single")
    essay = make_question(bank, "short_answer")
    return make_quiz(author, choice, essay, pass_percent=75), choice, essay


def test_a_short_answer_leaves_the_attempt_awaiting_grading(member, essay_quiz):
    quiz, choice, essay = essay_quiz
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    attempts.save_answer(member, attempt, answer_at(attempt, choice).position, "A", now=at(10))
    attempts.save_answer(member, attempt, answer_at(attempt, essay).position, "为人民服务", now=at(20))
    attempts.submit(member, attempt, now=at(30))
    db.session.commit()
    attempt = fresh(attempt)
    assert attempt.status == AttemptStatus.AWAITING_GRADING
    assert attempt.score is None and attempt.passed is None
    assert answer_at(attempt, choice).score == 1.0
    assert answer_at(attempt, essay).score is None
    assert attempts.result_for(member, quiz) is None


@pytest.mark.parametrize("points, passed, score", [(1.0, True, 2.0), (0.5, True, 1.5), (0.4, False, 1.4),
                                                   (5.0, True, 2.0), (-3.0, False, 1.0)])
def test_grade_by_hand_finishes_the_attempt_and_decides_the_pass(member, reviewer, essay_quiz, points, passed,
                                                                 score):
    quiz, choice, essay = essay_quiz
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    attempts.save_answer(member, attempt, answer_at(attempt, choice).position, "A", now=at(10))
    attempts.submit(member, attempt, now=at(30))
    db.session.commit()
    graded = attempts.grade_by_hand(reviewer, answer_at(attempt, essay), points, " 写得不错 ")
    db.session.commit()
    attempt = fresh(graded)
    assert attempt.status == AttemptStatus.GRADED
    assert attempt.score == pytest.approx(score)  # the hand score is kept within 0..points
    assert attempt.passed is passed
    essay_answer = answer_at(attempt, essay)
    assert essay_answer.graded_by_id == reviewer.id
    assert essay_answer.feedback == "写得不错"
    assert attempts.result_for(member, quiz).id == attempt.id


def test_only_short_answers_of_submitted_attempts_are_graded_by_hand(member, reviewer, essay_quiz):
    quiz, choice, essay = essay_quiz
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    db.session.commit()
    with pytest.raises(AttemptError):
        attempts.grade_by_hand(reviewer, answer_at(attempt, essay), 1.0)  # still in progress
    db.session.rollback()
    attempts.submit(member, attempt, now=at(30))
    db.session.commit()
    with pytest.raises(AttemptError):
        attempts.grade_by_hand(reviewer, answer_at(attempt, choice), 1.0)
    db.session.rollback()
    assert answer_at(fresh(attempt), choice).score == 0.0


def test_points_per_question_weigh_the_score(member, author, make_bank, make_question, make_quiz):
    bank = make_bank(author)
    heavy = make_question(bank, "single", points=3)
    light = make_question(bank, "true_false", points=1)
    quiz = make_quiz(author, heavy, light, pass_percent=70)
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    assert attempt.max_score == 4
    attempts.save_answer(member, attempt, answer_at(attempt, heavy).position, RIGHT["single"], now=at(1))
    attempts.save_answer(member, attempt, answer_at(attempt, light).position, False, now=at(2))
    attempts.submit(member, attempt, now=at(3))
    db.session.commit()
    attempt = fresh(attempt)
    assert attempt.score == 3 and attempt.percent == 75.0 and attempt.passed is True


def test_partial_credit_scores_a_share_of_the_points(member, author, make_bank, make_question, make_quiz):
    bank = make_bank(author)
    q = make_question(bank, "multiple", partial_credit=True, answer=["A", "B", "C"], points=3)
    quiz = make_quiz(author, q)
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    attempts.save_answer(member, attempt, 0, ["A", "B"], now=at(1))
    attempts.submit(member, attempt, now=at(2))
    db.session.commit()
    assert fresh(attempt).score == pytest.approx(2.0)

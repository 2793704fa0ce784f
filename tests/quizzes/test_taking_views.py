"""Members taking quizzes over HTTP: start/resume, autosave, crash recovery, submit once, review, access,
expiry when anyone looks, and no correct answer in anything sent before grading."""
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from courses.models import encode_set
from learning_app.extensions import db
from learning_app.models import utcnow
from quizzes.models import Attempt, AttemptAnswer, AttemptStatus, Question, ReviewPolicy
from tests.conftest import Auth
from tests.quizzes.helpers import answer_at, attempt_ids, checked_values, fresh, inputs, location
from tests.statements import record_statements

SECRET_BLANK = "答案甲乙丙"
SECRET_BLANK_2 = "答案庚辛壬"
SECRET_EXPLANATION = "解析丁戊己"


def start(client, quiz):
    response = client.post(f"/quizzes/{quiz.id}/start")
    assert response.status_code == 302
    match = re.search(r"/quizzes/attempts/(\d+)$", location(response))
    assert match, location(response)
    return int(match.group(1))


def autosave(client, attempt_id, position, value):
    return client.post(f"/quizzes/attempts/{attempt_id}/answers/{position}", json={"response": value})


def load_attempt(attempt_id) -> Attempt:
    db.session.expire_all()
    return db.session.get(Attempt, attempt_id)


@pytest.fixture
def bank(author, make_bank):
    return make_bank(author)


@pytest.fixture
def quiz_of_each(author, bank, make_question, make_quiz):
    """A quiz with one question of each auto-graded type (shuffled) and a known explanation."""
    def factory(**settings):
        questions = {
            "single": make_question(bank, "single", explanation=SECRET_EXPLANATION),
            "multiple": make_question(bank, "multiple"),
            "true_false": make_question(bank, "true_false"),
            "fill_blank": make_question(bank, "fill_blank", answer=[SECRET_BLANK, SECRET_BLANK_2]),
        }
        settings.setdefault("shuffle_questions", True)
        settings.setdefault("shuffle_options", True)
        return make_quiz(author, *questions.values(), **settings), questions
    return factory


# --- start, resume and the fixed order ---------------------------------------------------------------

def test_start_twice_gives_the_same_attempt_and_reloading_keeps_the_order(client, auth, member, quiz_of_each):
    quiz, _questions = quiz_of_each()
    auth.login(member)
    assert client.get(f"/quizzes/{quiz.id}").status_code == 200
    attempt_id = start(client, quiz)
    assert start(client, quiz) == attempt_id
    assert attempt_ids(member, quiz) == [attempt_id]

    pages = [client.get(f"/quizzes/attempts/{attempt_id}") for _ in range(3)]
    assert {page.status_code for page in pages} == {200}
    htmls = [page.get_data(as_text=True) for page in pages]
    positions = [re.findall(r'data-position="(\d+)"', html) for html in htmls]
    input_ids = [re.findall(r'<input[^>]*id="(q\d+-[^"]+)"', html) for html in htmls]
    assert positions[0] == positions[1] == positions[2] == ["0", "1", "2", "3"]
    assert input_ids[0] == input_ids[1] == input_ids[2]

    # The page shows the options in the order stored at the start.
    attempt = load_attempt(attempt_id)
    for answer in attempt.answers:
        if answer.option_order:
            shown = [tag_id.split("-", 1)[1] for tag_id in input_ids[0] if tag_id.startswith(f"q{answer.position}-")]
            assert shown == list(answer.option_order)
        stem_at = htmls[0].index(answer.question.stem)
        assert stem_at == htmls[1].index(answer.question.stem)


def test_the_quiz_list_shows_what_the_member_may_take(client, auth, member, quiz_of_each, tree):
    quiz, _questions = quiz_of_each()
    hidden, _ = quiz_of_each(org_id=tree["b1"].id, title="乙一专属测验")
    auth.login(member)
    page = client.get("/quizzes/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"/quizzes/{quiz.id}\"" in html
    assert f"/quizzes/{hidden.id}\"" not in html


def test_a_quiz_not_yet_open_refuses_to_start(client, auth, member, author, bank, make_question, make_quiz):
    quiz = make_quiz(author, make_question(bank, "single"), opens_at=utcnow() + timedelta(days=1))
    auth.login(member)
    response = client.post(f"/quizzes/{quiz.id}/start")
    assert response.status_code == 302 and location(response).endswith(f"/quizzes/{quiz.id}")
    assert attempt_ids(member, quiz) == []


def test_used_up_attempts_refuse_to_start(client, auth, member, author, bank, make_question, make_quiz):
    quiz = make_quiz(author, make_question(bank, "single"), max_attempts=1)
    auth.login(member)
    attempt_id = start(client, quiz)
    client.post(f"/quizzes/attempts/{attempt_id}/submit")
    response = client.post(f"/quizzes/{quiz.id}/start")
    assert response.status_code == 302 and location(response).endswith(f"/quizzes/{quiz.id}")
    assert attempt_ids(member, quiz) == [attempt_id]
    assert client.get(f"/quizzes/{quiz.id}").status_code == 200


# --- autosave ----------------------------------------------------------------------------------------

def test_autosave_is_idempotent_and_survives_a_crash(app, client, auth, member, quiz_of_each):
    quiz, questions = quiz_of_each()
    auth.login(member)
    attempt_id = start(client, quiz)
    attempt = load_attempt(attempt_id)
    pos = {kind: answer_at(attempt, q).position for kind, q in questions.items()}
    for _ in range(2):
        for kind, value in (("single", "B"), ("multiple", ["C", "A"]), ("true_false", False),
                            ("fill_blank", "北京")):
            response = autosave(client, attempt_id, pos[kind], value)
            assert response.status_code == 200
            assert response.get_json()["saved"] is True and response.get_json()["position"] == pos[kind]
    attempt = load_attempt(attempt_id)
    assert {kind: answer_at(attempt, q).response for kind, q in questions.items()} == {
        "single": "B", "multiple": ["A", "C"], "true_false": False, "fill_blank": "北京"}

    # The browser crashes: a new client (new cookies, new session) logs in again and finds everything.
    other = app.test_client()
    Auth(other).login(member)
    html = other.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    assert checked_values(html, f"q{pos['single']}") == ["B"]
    assert sorted(checked_values(html, f"q{pos['multiple']}")) == ["A", "C"]
    assert checked_values(html, f"q{pos['true_false']}") == ["false"]
    assert 'value="北京"' in inputs(html, f"q{pos['fill_blank']}")[0]
    # And resuming from the quiz page leads back to the same attempt.
    assert start(other, quiz) == attempt_id


def test_autosave_refuses_malformed_answers(client, auth, member, quiz_of_each):
    quiz, questions = quiz_of_each()
    auth.login(member)
    attempt_id = start(client, quiz)
    attempt = load_attempt(attempt_id)
    single = answer_at(attempt, questions["single"]).position
    multiple = answer_at(attempt, questions["multiple"]).position
    url = f"/quizzes/attempts/{attempt_id}/answers/{single}"
    assert client.post(url, data="not json", content_type="application/json").status_code == 400
    assert client.post(url, json={"answer": "A"}).status_code == 400
    assert client.post(url, json=["A"]).status_code == 400
    for value in ("Z", ["A"], {"key": "A"}, 3):
        response = autosave(client, attempt_id, single, value)
        assert response.status_code == 409, value
        assert response.get_json()["closed"] is False
    for value in ("A", ["Z"], [["A"]]):
        assert autosave(client, attempt_id, multiple, value).status_code == 409, value
    assert autosave(client, attempt_id, 99, "A").status_code == 409
    assert all(a.response is None for a in load_attempt(attempt_id).answers)


def test_the_form_without_javascript_saves_and_submits(client, auth, member, author, bank, make_question,
                                                       make_quiz):
    single, multiple, blank = (make_question(bank, "single"), make_question(bank, "multiple"),
                               make_question(bank, "fill_blank"))
    true_false = make_question(bank, "true_false", answer=False)
    quiz = make_quiz(author, single, multiple, true_false, blank)
    auth.login(member)
    attempt_id = start(client, quiz)
    form = {"q0": "A", "q1": ["A", "C"], "q2": "false", "q3": "２０１２", "action": "save"}
    response = client.post(f"/quizzes/attempts/{attempt_id}/save", data=form)
    assert response.status_code == 302 and location(response).endswith(f"/quizzes/attempts/{attempt_id}")
    attempt = load_attempt(attempt_id)
    assert [a.response for a in attempt.answers] == ["A", ["A", "C"], False, "２０１２"]
    assert attempt.open_slot == 1

    response = client.post(f"/quizzes/attempts/{attempt_id}/save", data={**form, "action": "submit"})
    assert location(response).endswith(f"/quizzes/attempts/{attempt_id}/result")
    attempt = load_attempt(attempt_id)
    assert attempt.status == AttemptStatus.GRADED and attempt.score == 4.0 and attempt.passed is True


# --- submit once ---------------------------------------------------------------------------------------

def test_submitting_twice_returns_the_same_result_and_grades_once(client, auth, member, quiz_of_each):
    quiz, questions = quiz_of_each()
    auth.login(member)
    attempt_id = start(client, quiz)
    attempt = load_attempt(attempt_id)
    autosave(client, attempt_id, answer_at(attempt, questions["single"]).position, "A")
    autosave(client, attempt_id, answer_at(attempt, questions["fill_blank"]).position, " 答案 甲乙丙 ")
    first = client.post(f"/quizzes/attempts/{attempt_id}/submit", json={})
    assert first.status_code == 200
    body = first.get_json()
    assert body["status"] == "graded" and body["score"] == 2.0 and body["passed"] is False
    assert body["result_url"].endswith(f"/quizzes/attempts/{attempt_id}/result")
    scores = {a.id: a.score for a in load_attempt(attempt_id).answers}

    db.session.get(Question, questions["single"].id).answer = "B"  # the key changes between the two clicks
    db.session.commit()
    second = client.post(f"/quizzes/attempts/{attempt_id}/submit", json={})
    assert second.get_json() == body
    attempt = load_attempt(attempt_id)
    assert attempt.score == 2.0
    assert {a.id: a.score for a in attempt.answers} == scores
    # A plain form submission lands on the result page.
    third = client.post(f"/quizzes/attempts/{attempt_id}/submit")
    assert location(third).endswith(f"/quizzes/attempts/{attempt_id}/result")
    # Answers cannot change any more.
    response = autosave(client, attempt_id, 0, "A")
    assert response.status_code == 409 and response.get_json()["closed"] is True
    assert client.get(f"/quizzes/attempts/{attempt_id}").status_code == 302


# --- time runs out -----------------------------------------------------------------------------------

@pytest.fixture
def expired_attempt(client, auth, member, author, bank, make_question, make_quiz):
    """A started attempt with the single-choice question answered right, whose deadline passed long ago."""
    single, true_false = make_question(bank, "single"), make_question(bank, "true_false")
    quiz = make_quiz(author, single, true_false, time_limit_minutes=5, pass_percent=50)
    auth.login(member)
    attempt_id = start(client, quiz)
    assert autosave(client, attempt_id, 0, "A").status_code == 200
    attempt = load_attempt(attempt_id)
    attempt.deadline_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    return quiz, attempt_id


def assert_graded_from_saved_answers(attempt_id):
    attempt = load_attempt(attempt_id)
    assert attempt.open_slot is None and attempt.status == AttemptStatus.GRADED
    assert attempt.score == 1.0 and attempt.passed is True
    assert attempt.submitted_at is not None


def test_an_expired_attempt_is_graded_when_the_quiz_page_is_opened(client, expired_attempt):
    quiz, attempt_id = expired_attempt
    assert client.get(f"/quizzes/{quiz.id}").status_code == 200
    assert_graded_from_saved_answers(attempt_id)


def test_an_expired_attempt_is_graded_when_the_attempt_page_is_opened(client, expired_attempt):
    _quiz, attempt_id = expired_attempt
    response = client.get(f"/quizzes/attempts/{attempt_id}")
    assert response.status_code == 302 and location(response).endswith(f"/attempts/{attempt_id}/result")
    assert_graded_from_saved_answers(attempt_id)
    assert client.get(f"/quizzes/attempts/{attempt_id}/result").status_code == 200


def test_an_expired_attempt_is_graded_when_the_author_looks_at_the_results(app, author, expired_attempt):
    _quiz, attempt_id = expired_attempt
    author_client = app.test_client()
    Auth(author_client).login(author)
    assert author_client.get(f"/quizzes/manage/{_quiz.id}/results").status_code == 200
    assert_graded_from_saved_answers(attempt_id)


def test_a_late_autosave_is_refused_and_closes_the_attempt(client, expired_attempt):
    _quiz, attempt_id = expired_attempt
    response = autosave(client, attempt_id, 1, True)
    assert response.status_code == 409 and response.get_json()["closed"] is True
    assert_graded_from_saved_answers(attempt_id)
    assert load_attempt(attempt_id).answers[1].response is None


def test_a_late_form_submission_keeps_only_the_answers_saved_in_time(client, expired_attempt):
    _quiz, attempt_id = expired_attempt
    response = client.post(f"/quizzes/attempts/{attempt_id}/save", data={"q0": "B", "q1": "true",
                                                                         "action": "submit"})
    assert location(response).endswith(f"/quizzes/attempts/{attempt_id}/result")
    assert_graded_from_saved_answers(attempt_id)


def test_the_attempt_page_counts_down_from_the_servers_deadline(client, auth, member, author, bank,
                                                                make_question, make_quiz):
    quiz = make_quiz(author, make_question(bank, "single"), time_limit_minutes=10)
    auth.login(member)
    attempt_id = start(client, quiz)
    html = client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    seconds = int(re.search(r'data-seconds-left="(\d+)"', html).group(1))
    assert 590 <= seconds <= 600


# --- review policies on the result page -----------------------------------------------------------

@pytest.mark.parametrize("policy, close_after_submitting, shown", [
    (ReviewPolicy.IMMEDIATELY, False, True),
    (ReviewPolicy.NEVER, False, False),
    (ReviewPolicy.NEVER, True, False),
    (ReviewPolicy.AFTER_CLOSE, False, False),
    (ReviewPolicy.AFTER_CLOSE, True, True),
])
def test_the_result_page_follows_the_review_policy(client, auth, member, quiz_of_each, policy,
                                                   close_after_submitting, shown):
    quiz, questions = quiz_of_each(review_policy=policy, closes_at=utcnow() + timedelta(days=1))
    auth.login(member)
    attempt_id = start(client, quiz)
    client.post(f"/quizzes/attempts/{attempt_id}/submit")
    if close_after_submitting:
        fresh(quiz).closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    page = client.get(f"/quizzes/attempts/{attempt_id}/result")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert (SECRET_EXPLANATION in html) is shown
    assert (SECRET_BLANK in html) is shown  # the accepted answer is shown with the review only


def test_the_result_of_an_open_attempt_redirects_to_the_attempt(client, auth, member, quiz_of_each):
    quiz, _questions = quiz_of_each()
    auth.login(member)
    attempt_id = start(client, quiz)
    response = client.get(f"/quizzes/attempts/{attempt_id}/result")
    assert response.status_code == 302 and location(response).endswith(f"/quizzes/attempts/{attempt_id}")


# --- nothing sent before grading gives the answers away -------------------------------------------

def _json_keys(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _json_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_keys(item)


def test_no_correct_answer_reaches_the_browser_before_grading(client, auth, member, quiz_of_each):
    quiz, questions = quiz_of_each(review_policy=ReviewPolicy.NEVER)
    auth.login(member)
    sent = [client.get("/quizzes/").get_data(as_text=True), client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)]
    attempt_id = start(client, quiz)
    attempt_page = client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    sent.append(attempt_page)
    attempt = load_attempt(attempt_id)
    json_bodies = []
    for answer in attempt.answers:
        kind = answer.question.type.value
        for value in ({"single": "B", "multiple": ["B"], "true_false": False, "fill_blank": "猜一猜"}[kind],
                      {"single": "Z", "multiple": ["Z"], "true_false": "maybe", "fill_blank": ["x"]}[kind]):
            response = autosave(client, attempt_id, answer.position, value)
            assert response.is_json
            json_bodies.append(response.get_json())
            sent.append(response.get_data(as_text=True))
    sent.append(client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True))  # after saving
    sent.append(client.get("/static/js/quiz.js").get_data(as_text=True))

    everything = "\n".join(sent)
    for secret in (SECRET_BLANK, SECRET_BLANK_2, SECRET_EXPLANATION):
        assert secret not in everything
    assert all("answer" not in key.lower() for body in json_bodies for key in _json_keys(body))
    assert '"answer"' not in everything

    # Choice inputs for right and wrong options look alike: same attributes, only value and id differ.
    for kind in ("single", "multiple"):
        answer = answer_at(attempt, questions[kind])
        tags = inputs(attempt_page, f"q{answer.position}")
        assert len(tags) == len(answer.option_order)
        shapes = {tuple(sorted(re.findall(r'([\w-]+)(?:="[^"]*")?', tag.removeprefix("<input")))) for tag in tags}
        assert len(shapes) == 1, shapes
        for tag in tags:
            assert re.sub(r'(id|value)="[^"]*"', "", tag) == re.sub(r'(id|value)="[^"]*"', "", tags[0])

    # The result without review says nothing either.
    client.post(f"/quizzes/attempts/{attempt_id}/submit")
    result = client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    for secret in (SECRET_BLANK, SECRET_BLANK_2, SECRET_EXPLANATION):
        assert secret not in result


def test_the_quiz_script_holds_no_answer_data(app):
    with open(f"{app.static_folder}/js/quiz.js", encoding="utf-8") as script:
        text = script.read()
    # It posts the member's response and nothing else: no answer key, no "correct" marker to look for.
    assert not re.search(r"correct|data-answer|dataset\.answer|[\"']answer[\"']|explanation", text, re.I)
    assert SECRET_BLANK not in text and SECRET_EXPLANATION not in text


# --- who may reach what ----------------------------------------------------------------------------

def test_another_member_cannot_reach_an_attempt(app, client, auth, member, tree, make_user, quiz_of_each):
    quiz, _questions = quiz_of_each()
    auth.login(member)
    attempt_id = start(client, quiz)
    autosave(client, attempt_id, 0, None)

    intruder = app.test_client()
    Auth(intruder).login(make_user(tree["a1"]))
    base = f"/quizzes/attempts/{attempt_id}"
    assert intruder.get(base).status_code == 404
    assert autosave(intruder, attempt_id, 0, "A").status_code == 404
    assert intruder.post(f"{base}/save", data={"q0": "A", "action": "submit"}).status_code == 404
    assert intruder.post(f"{base}/submit", json={}).status_code == 404
    assert intruder.get(f"{base}/result").status_code == 404
    attempt = load_attempt(attempt_id)
    assert attempt.open_slot == 1 and all(a.response is None for a in attempt.answers)
    # The owner submits; the result is still theirs alone.
    client.post(f"{base}/submit")
    assert intruder.get(f"{base}/result").status_code == 404
    assert client.get(f"{base}/result").status_code == 200


def test_a_quiz_for_one_organisation_is_hidden_from_others(app, tree, make_user, quiz_of_each):
    quiz, _questions = quiz_of_each(org_id=tree["general_a"].id)
    inside, outside = app.test_client(), app.test_client()
    Auth(inside).login(make_user(tree["a2"]))
    Auth(outside).login(make_user(tree["b1"]))
    assert inside.get(f"/quizzes/{quiz.id}").status_code == 200
    assert outside.get(f"/quizzes/{quiz.id}").status_code == 404
    assert outside.post(f"/quizzes/{quiz.id}/start").status_code == 404
    assert db.session.scalar(select(Attempt.id)) is None


def test_an_unpublished_or_missing_quiz_is_404(client, auth, member, author, bank, make_question, make_quiz):
    quiz = make_quiz(author, make_question(bank, "single"), publish=False)
    auth.login(member)
    assert client.get(f"/quizzes/{quiz.id}").status_code == 404
    assert client.post(f"/quizzes/{quiz.id}/start").status_code == 404
    assert client.get("/quizzes/9999").status_code == 404
    assert client.get("/quizzes/attempts/9999").status_code == 404


def test_accounts_outside_any_organisation_take_no_quiz(client, auth, make_user, quiz_of_each):
    quiz, _questions = quiz_of_each()
    auth.login(make_user(roles=["author"]))
    assert client.get("/quizzes/").status_code == 403
    assert client.get(f"/quizzes/{quiz.id}").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, quiz_of_each):
    quiz, _questions = quiz_of_each()
    for response in (client.get(f"/quizzes/{quiz.id}"), client.post(f"/quizzes/{quiz.id}/start"),
                     client.get("/quizzes/practice")):
        assert response.status_code == 302 and "/auth/login" in location(response)


def test_a_course_final_quiz_needs_access_to_the_course(app, tree, make_user, author, bank, make_course,
                                                        make_question, make_quiz):
    course = make_course(author, audience_categories=encode_set(["probationary"]))
    quiz = make_quiz(author, make_question(bank, "single"), course_id=course.id)
    learner, outsider = app.test_client(), app.test_client()
    Auth(learner).login(make_user(tree["a1"], category="probationary"))
    Auth(outsider).login(make_user(tree["a1"], category="full"))
    assert learner.get(f"/quizzes/{quiz.id}").status_code == 200
    assert start(learner, quiz)
    assert outsider.get(f"/quizzes/{quiz.id}").status_code == 404
    assert outsider.post(f"/quizzes/{quiz.id}/start").status_code == 404
    assert f"/quizzes/{quiz.id}\"" not in outsider.get("/quizzes/").get_data(as_text=True)


def test_json_responses_are_json(client, auth, member, quiz_of_each):
    quiz, _questions = quiz_of_each()
    auth.login(member)
    attempt_id = start(client, quiz)
    response = autosave(client, attempt_id, 0, None)
    assert response.status_code == 200
    assert json.loads(response.get_data(as_text=True))["saved"] is True


# --- query budget ------------------------------------------------------------------------------------

@pytest.mark.query_budget
def test_the_attempt_page_costs_the_same_for_few_or_many_questions(client, auth, member, author, bank,
                                                                   make_question, make_quiz, count_queries):
    def queries_for(count):
        quiz = make_quiz(author, *[make_question(bank, kind, tags=["党章"])
                                   for kind in ("single", "multiple", "true_false", "fill_blank") * count])
        attempt_id = start(client, quiz)
        for position in range(2):
            autosave(client, attempt_id, position, None)
        with count_queries() as counted:
            assert client.get(f"/quizzes/attempts/{attempt_id}").status_code == 200
        with count_queries() as saved:
            assert autosave(client, attempt_id, 0, None).status_code == 200
        return counted["n"], saved["n"]

    auth.login(member)
    assert queries_for(1) == queries_for(6)


@pytest.mark.query_budget
def test_autosave_takes_two_statements_then_one(client, auth, member, author, bank, make_question, make_quiz):
    # The request an exam sends most: the attempt's questions the first time, and one UPDATE that
    # locks the attempt and checks that it is the member's and open and that their account may
    # answer; afterwards that UPDATE alone. The member's row is not read before it.
    quiz = make_quiz(author, make_question(bank, "single"), make_question(bank, "single"))
    auth.login(member)
    attempt_id = start(client, quiz)

    def saves(position, response):
        return lambda: assert_saved(autosave(client, attempt_id, position, response))

    first, later = record_statements(saves(0, "A")), record_statements(saves(1, "B"))
    assert len(first) == 2 and len(later) == 1, (first, later)
    assert "from attempt join attempt_answer" in first[0]
    assert first[1].startswith("update attempt_answer") and later[0] == first[1]
    assert "from user_account" in first[1]
    if db.engine.dialect.name == "postgresql":
        assert "for update)" in first[1]
    db.session.expire_all()
    assert dict(db.session.execute(select(AttemptAnswer.position, AttemptAnswer.response).where(
        AttemptAnswer.attempt_id == attempt_id)).all()) == {0: "A", 1: "B"}


def assert_saved(response):
    assert response.status_code == 200 and response.get_json()["saved"] is True, response.data


def stored_responses(attempt_id):
    db.session.expire_all()
    return dict(db.session.execute(select(AttemptAnswer.position, AttemptAnswer.response).where(
        AttemptAnswer.attempt_id == attempt_id)).all())


def test_a_member_deactivated_during_a_quiz_is_signed_out_by_the_next_autosave(
        client, auth, member, author, bank, make_question, make_quiz):
    quiz = make_quiz(author, make_question(bank, "single"))
    auth.login(member)
    attempt_id = start(client, quiz)
    assert_saved(autosave(client, attempt_id, 0, "A"))  # the attempt's questions are now remembered
    member.is_active_account = False
    db.session.commit()
    response = autosave(client, attempt_id, 0, "B")
    assert response.status_code == 302 and "/auth/login" in location(response)
    assert stored_responses(attempt_id) == {0: "A"}


def test_a_member_told_to_change_their_password_must_do_so_before_the_next_autosave(
        client, auth, member, author, bank, make_question, make_quiz):
    quiz = make_quiz(author, make_question(bank, "single"))
    auth.login(member)
    attempt_id = start(client, quiz)
    assert_saved(autosave(client, attempt_id, 0, "A"))
    member.must_change_password = True  # an administrator reset it
    db.session.commit()
    response = autosave(client, attempt_id, 0, "B")
    assert response.status_code == 302 and location(response).endswith("/auth/password")
    assert stored_responses(attempt_id) == {0: "A"}


def test_autosave_explains_a_refusal_in_the_members_language(client, auth, member, author, bank, make_question,
                                                             make_quiz):
    quiz = make_quiz(author, make_question(bank, "single"))
    member.locale = "en"
    db.session.commit()
    auth.login(member)
    attempt_id = start(client, quiz)
    assert_saved(autosave(client, attempt_id, 0, "A"))
    response = autosave(client, attempt_id, 0, "no such option")
    assert response.status_code == 409
    assert response.get_json()["error"] == "That answer does not fit the question."
    assert stored_responses(attempt_id) == {0: "A"}


def autosaves_seen(client, attempt_id, *responses):
    """[(status, [(autocommit, statement), ...]) for each response autosaved]."""
    seen, results = [], []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((conn.connection.dbapi_connection.autocommit, statement.lower()))
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for response in responses:
            status = autosave(client, attempt_id, 0, response).status_code
            results.append((status, list(seen)))
            seen.clear()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return results


@pytest.mark.postgresql_only  # SQLite starts no transaction for reads anyway, and serialises writers
def test_on_postgresql_autosave_stores_with_one_statement_alone_and_goes_the_full_way_in_a_transaction(
        client, auth, member, author, bank, make_question, make_quiz):
    # A guard named in learning_app/fast_paths.py: the full way locks the attempt inside a transaction.
    quiz = make_quiz(author, make_question(bank, "single"))
    auth.login(member)
    attempt_id = start(client, quiz)
    (stored, _quick), (refused, full) = autosaves_seen(client, attempt_id, "A", "no such option")
    assert (stored, refused) == (200, 409)
    locking = [autocommit for autocommit, statement in full if statement.endswith("for update of attempt")]
    assert locking == [False]  # the lock is held until the transaction ends
    assert stored_responses(attempt_id) == {0: "A"}


@pytest.mark.query_budget
@pytest.mark.postgresql_only
def test_on_postgresql_the_quick_autosave_sends_no_begin_or_commit(client, auth, member, author, bank,
                                                                   make_question, make_quiz):
    quiz = make_quiz(author, make_question(bank, "single"))
    auth.login(member)
    attempt_id = start(client, quiz)
    [(status, quick)] = autosaves_seen(client, attempt_id, "A")
    assert status == 200
    assert quick and all(autocommit for autocommit, _ in quick)  # no BEGIN or COMMIT round trips


@pytest.mark.query_budget
def test_a_passed_submit_is_graded_in_six_statements(client, auth, member, author, bank, make_question, make_quiz):
    # The member, the attempt with its quiz, closing it, its answers and questions, and the two UPDATEs
    # of grading. The quiz is not loaded again, not even for its course: a standalone quiz counts
    # nowhere on the dashboard, and the loaded quiz says it has none.
    quiz = make_quiz(author, *[make_question(bank, "single") for _ in range(10)])
    auth.login(member)
    attempt_id = start(client, quiz)
    for position in range(10):
        autosave(client, attempt_id, position, "A")
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = client.post(f"/quizzes/attempts/{attempt_id}/submit", json={}).get_json()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert result["passed"] is True and result["score"] == 10
    assert len(statements) == 6, statements
    assert " JOIN quiz " in statements[1] and "quiz_item" not in " ".join(statements)
    assert "question.stem" not in statements[3]  # the answers' questions: only what grading reads


@pytest.mark.parametrize("questions_known", [True, False], ids=["quick way", "full way"])
def test_autosave_refuses_a_session_that_was_signed_out(app, client, auth, member, author, bank, make_question,
                                                        make_quiz, questions_known):
    # The quick way's one UPDATE checks the sign-in itself; the full way reads it with the member's row.
    quiz = make_quiz(author, make_question(bank, "single"))
    auth.login(member)
    attempt_id = start(client, quiz)
    if questions_known:
        assert_saved(autosave(client, attempt_id, 0, "A"))
    kept = client.get_cookie("session").value
    auth.logout()
    replayed = app.test_client()
    replayed.set_cookie("session", kept)
    response = autosave(replayed, attempt_id, 0, "B")
    assert response.status_code == 302 and "/auth/login" in location(response)
    assert stored_responses(attempt_id) == ({0: "A"} if questions_known else {0: None})


def test_without_javascript_the_quiz_says_answers_are_saved_on_pressing_save(client, auth, member, quiz_of_each):
    """Nothing is saved automatically without JavaScript: the page must not claim it is (quiz.js shows the
    autosave note, kept in an attribute, when it runs)."""
    quiz, _questions = quiz_of_each()
    auth.login(member)
    html = client.get(f"/quizzes/attempts/{start(client, quiz)}").get_data(as_text=True)
    shown = re.sub(r"<[^>]*>", " ", re.sub(r"<script.*?</script>", " ", html, flags=re.S))  # text, no attributes
    assert "按“保存答案”后，答案才会保存" in shown and "保存答案" in shown
    assert "自动保存" not in shown

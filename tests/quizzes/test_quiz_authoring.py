"""Authors over HTTP: banks and questions, importing, setting up and publishing quizzes, results and grading."""
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.timezones import as_utc
from quizzes.models import (
    Attempt,
    AttemptStatus,
    GradingMethod,
    Question,
    QuestionBank,
    QuestionStatus,
    Quiz,
    QuizItem,
    ReviewPolicy,
)
from quizzes.services import attempts
from tests.conftest import Auth
from tests.quizzes.helpers import answer_at, at, fresh, location

GIFT = """::q1:: 党的最高理想是什么? {=实现共产主义 ~发展经济 ~改善民生}

::q2:: 中国共产党成立于1921年. {T}

::q3:: 党的十八大召开于 {=2012 =二〇一二} 年.
"""


def questions_in(bank, status=None):
    db.session.expire_all()
    query = select(Question).where(Question.bank_id == bank.id)
    if status:
        query = query.where(Question.status == status)
    return list(db.session.scalars(query.order_by(Question.id)))


@pytest.fixture
def login(app):
    """login(user) -> a client of its own, logged in as the user."""
    def factory(user):
        client = app.test_client()
        Auth(client).login(user)
        return client
    return factory


@pytest.fixture
def bank(author, make_bank):
    return make_bank(author, "党章题库")


# --- who may author --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/quizzes/banks", "/quizzes/manage", "/quizzes/manage/new",
                                  "/quizzes/import-template.csv"])
def test_only_authors_and_admins_reach_the_authoring_pages(login, member, reviewer, author, admin, path):
    assert login(member).get(path).status_code == 403
    assert login(reviewer).get(path).status_code == 403
    assert login(author).get(path).status_code == 200
    assert login(admin).get(path).status_code == 200


def test_an_author_cannot_touch_another_authors_bank(login, make_user, bank, make_question):
    question = make_question(bank, "single", published=False)
    other = login(make_user(roles=["author"]))
    base = f"/quizzes/banks/{bank.id}"
    assert other.get(base).status_code == 403
    assert other.get(f"{base}/questions/new").status_code == 403
    assert other.post(f"{base}/questions/new", data={"type": "单选题", "stem": "偷偷加题", "option_a": "一",
                                                      "option_b": "二", "answer": "A"}).status_code == 403
    assert other.post(f"{base}/questions/{question.id}", data={"type": "单选题", "stem": "改题",
                                                                "option_a": "一", "option_b": "二",
                                                                "answer": "B"}).status_code == 403
    assert other.post(f"{base}/submit").status_code == 403
    upload = {"file": (io.BytesIO(GIFT.encode()), "q.gift")}
    assert other.post(f"{base}/import", data=upload, content_type="multipart/form-data").status_code == 403
    assert other.get("/quizzes/banks/9999").status_code == 404
    assert [(q.stem, q.status) for q in questions_in(bank)] == [(question.stem, QuestionStatus.DRAFT)]
    # Their own list does not show it; an admin's does.
    assert f"/quizzes/banks/{bank.id}\"" not in other.get("/quizzes/banks").get_data(as_text=True)


def test_an_admin_may_edit_any_bank(login, admin, bank):
    assert login(admin).get(f"/quizzes/banks/{bank.id}").status_code == 200


# --- banks and questions ----------------------------------------------------------------------------

def test_creating_a_bank(login, author):
    client = login(author)
    response = client.post("/quizzes/banks", data={"name": " 党史题库 ", "description": "百年党史",
                                                   "audience_categories": ["full", "probationary"]})
    bank = db.session.scalar(select(QuestionBank))
    assert response.status_code == 302 and location(response).endswith(f"/quizzes/banks/{bank.id}")
    assert (bank.name, bank.owner_id, bank.audience_categories, bank.audience_positions) == (
        "党史题库", author.id, ",full,probationary,", "")
    # The same name again is refused.
    response = client.post("/quizzes/banks", data={"name": "党史题库"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(QuestionBank)) == 1


def test_writing_a_question_makes_a_draft(login, author, bank):
    client = login(author)
    response = client.post(f"/quizzes/banks/{bank.id}/questions/new", data={
        "type": "多选题", "stem": "党的三大作风是?", "option_a": "理论联系实际", "option_b": "密切联系群众",
        "option_c": "批评与自我批评", "option_d": "艰苦奋斗", "answer": "ABC", "explanation": "见党章",
        "tags": "作风, 党章", "partial": "y"})
    assert response.status_code == 302
    [question] = questions_in(bank)
    assert question.status == QuestionStatus.DRAFT and question.author_id == author.id
    assert question.type.value == "multiple" and question.answer == ["A", "B", "C"]
    assert question.partial_credit is True and question.tag_names == ["作风", "党章"]
    assert [option["text"] for option in question.options] == ["理论联系实际", "密切联系群众",
                                                                  "批评与自我批评", "艰苦奋斗"]
    assert client.get(f"/quizzes/banks/{bank.id}/questions/{question.id}").status_code == 200


def test_a_question_the_importer_cannot_read_is_not_saved(login, author, bank):
    client = login(author)
    response = client.post(f"/quizzes/banks/{bank.id}/questions/new", data={
        "type": "单选题", "stem": "没有答案的题", "option_a": "一", "option_b": "二", "answer": "Z"})
    assert response.status_code == 200  # the form comes back with the error
    assert questions_in(bank) == []


@pytest.mark.parametrize("kind, options, weights, answer, form_answer", [
    ("single", ["wrong answer", "half credit answer", "full credit answer"], [0.0, 0.5, 1.0], "C", "C"),
    ("multiple", ["No one", "Grant", "Grant's wife", "Grant's father"], [-0.5, 0.5, 0.5, -0.5], ["B", "C"], "BC"),
])
def test_editing_a_weighted_question_keeps_the_weights_the_editor_cannot_show(login, author, bank, make_question,
                                                                            kind, options, weights, answer,
                                                                            form_answer):
    """GIFT's %n% weights (Moodle's examples) have no field in the editor: a new stem must not drop them."""
    question = make_question(bank, kind, published=False, options=options, weights=weights, answer=answer,
                             partial_credit=True)
    client = login(author)
    fields = {f"option_{key}": text for key, text in zip("abcd", options, strict=False)}
    client.post(f"/quizzes/banks/{bank.id}/questions/{question.id}", data={
        "type": "单选题" if kind == "single" else "多选题", "stem": "改过的题干", "answer": form_answer,
        "partial": "y", **fields})
    edited = fresh(question)
    assert edited.stem == "改过的题干"
    assert (edited.partial_credit, [o["weight"] for o in edited.options]) == (True, weights)


def test_editing_a_published_question_makes_a_replacement_draft(login, author, reviewer, bank, make_question):
    question = make_question(bank, "single", stem="旧题干")
    client = login(author)
    client.post(f"/quizzes/banks/{bank.id}/questions/{question.id}", data={
        "type": "单选题", "stem": "新题干", "option_a": "一", "option_b": "二", "answer": "B"})
    old, new = questions_in(bank)
    assert (old.stem, old.status) == ("旧题干", QuestionStatus.PUBLISHED)
    assert (new.stem, new.status, new.replaces_id) == ("新题干", QuestionStatus.DRAFT, old.id)

    assert client.post(f"/quizzes/banks/{bank.id}/submit").status_code == 302
    assert fresh(new).status == QuestionStatus.SUBMITTED
    # While it waits for review it cannot be changed.
    client.post(f"/quizzes/banks/{bank.id}/questions/{new.id}", data={
        "type": "单选题", "stem": "再改", "option_a": "一", "option_b": "二", "answer": "A"})
    assert fresh(new).stem == "新题干"
    login(reviewer).post(f"/quizzes/review/{new.id}/approve")
    assert fresh(new).status == QuestionStatus.PUBLISHED and fresh(old).status == QuestionStatus.RETIRED
    # A replaced question is no longer listed in its bank.
    assert f"/questions/{old.id}\"" not in client.get(f"/quizzes/banks/{bank.id}").get_data(as_text=True)


def test_a_published_question_has_at_most_one_pending_new_version(login, author, reviewer, bank, make_question):
    question = make_question(bank, "single", stem="旧题干")
    client = login(author)
    url = f"/quizzes/banks/{bank.id}/questions/{question.id}"
    for stem in ("第一次修改", "第二次修改"):
        client.post(url, data={"type": "单选题", "stem": stem, "option_a": "一", "option_b": "二", "answer": "B"})
    old, new = questions_in(bank)
    assert (old.stem, new.stem, new.replaces_id) == ("旧题干", "第二次修改", old.id)  # the draft was edited again
    client.post(f"/quizzes/banks/{bank.id}/submit")
    response = client.post(url, data={"type": "单选题", "stem": "第三次修改", "option_a": "一", "option_b": "二",
                                      "answer": "A"}, follow_redirects=True)
    assert "该题的新版本已在等待审核" in response.get_data(as_text=True)
    assert [q.stem for q in questions_in(bank)] == ["旧题干", "第二次修改"]


def test_a_new_version_of_an_already_replaced_question_cannot_be_approved(login, author, reviewer, bank,
                                                                         make_question):
    """Two new versions written before this rule existed: approving the second would undo the first."""
    question = make_question(bank, "single", stem="旧题干")
    first, second = (make_question(bank, "single", stem=stem) for stem in ("甲版", "乙版"))
    for version in (first, second):
        version.replaces_id, version.status = question.id, QuestionStatus.SUBMITTED
    db.session.commit()
    reviewing = login(reviewer)
    reviewing.post(f"/quizzes/review/{first.id}/approve")
    response = reviewing.post(f"/quizzes/review/{second.id}/approve", follow_redirects=True)
    assert "已被替换" in response.get_data(as_text=True)
    assert (fresh(first).status, fresh(second).status) == (QuestionStatus.PUBLISHED, QuestionStatus.SUBMITTED)
    assert fresh(question).status == QuestionStatus.RETIRED


def test_import_previews_first_and_writes_on_confirmation(login, author, bank):
    client = login(author)
    upload = {"file": (io.BytesIO(GIFT.encode()), "questions.gift")}
    response = client.post(f"/quizzes/banks/{bank.id}/import", data=upload, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "实现共产主义" in response.get_data(as_text=True)
    assert questions_in(bank) == []
    response = client.post(f"/quizzes/banks/{bank.id}/import/confirm")
    assert response.status_code == 302
    imported = questions_in(bank)
    assert [q.type.value for q in imported] == ["single", "true_false", "fill_blank"]
    assert {q.status for q in imported} == {QuestionStatus.DRAFT} and {q.author_id for q in imported} == {author.id}
    # Confirming again imports nothing more: the preview was used up.
    client.post(f"/quizzes/banks/{bank.id}/import/confirm")
    assert len(questions_in(bank)) == 3


def test_a_second_preview_replaces_the_first_and_leaves_no_file_behind(app, login, author, bank):
    from pathlib import Path
    pending = Path(app.instance_path) / "question-imports"
    before = set(pending.glob("*.upload")) if pending.exists() else set()
    client = login(author)
    for _ in range(3):  # previewed three times, never confirmed
        client.post(f"/quizzes/banks/{bank.id}/import", data={"file": (io.BytesIO(GIFT.encode()), "q.gift")},
                    content_type="multipart/form-data")
    assert len(set(pending.glob("*.upload")) - before) == 1
    client.post(f"/quizzes/banks/{bank.id}/import/confirm")
    assert set(pending.glob("*.upload")) - before == set()
    assert len(questions_in(bank)) == 3


def test_a_bad_import_writes_nothing(login, author, bank):
    client = login(author)
    bad = GIFT + "\n::q4:: 没有正确答案 {~一 ~二}\n"
    response = client.post(f"/quizzes/banks/{bank.id}/import", data={"file": (io.BytesIO(bad.encode()), "q.gift")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    client.post(f"/quizzes/banks/{bank.id}/import/confirm")
    assert questions_in(bank) == []


# --- quizzes ----------------------------------------------------------------------------------------

QUIZ_FORM = {"title": "党章知识测验", "description": "", "course_id": "0", "org_id": "0",
             "time_limit_minutes": "30", "opens_at": "2025-03-01T09:00", "closes_at": "2025-03-08T18:30",
             "max_attempts": "2", "pass_percent": "80", "grading_method": "last", "review_policy": "never",
             "shuffle_options": "y"}


def test_creating_a_quiz_stores_its_settings_with_local_times_in_utc(login, author, tree):
    client = login(author)
    response = client.post("/quizzes/manage/new", data={**QUIZ_FORM, "org_id": str(tree["general_a"].id)})
    quiz = db.session.scalar(select(Quiz))
    assert response.status_code == 302 and location(response).endswith(f"/quizzes/manage/{quiz.id}")
    assert (quiz.title, quiz.owner_id, quiz.org_id, quiz.course_id) == ("党章知识测验", author.id,
                                                                      tree["general_a"].id, None)
    assert (quiz.time_limit_minutes, quiz.max_attempts, quiz.pass_percent) == (30, 2, 80.0)
    assert quiz.grading_method == GradingMethod.LAST and quiz.review_policy == ReviewPolicy.NEVER
    assert quiz.shuffle_questions is False and quiz.shuffle_options is True
    assert as_utc(quiz.opens_at) == datetime(2025, 3, 1, 1, 0, tzinfo=UTC)  # Asia/Shanghai
    assert as_utc(quiz.closes_at) == datetime(2025, 3, 8, 10, 30, tzinfo=UTC)
    assert quiz.is_published is False
    page = client.get(f"/quizzes/manage/{quiz.id}").get_data(as_text=True)
    assert 'value="2025-03-01T09:00"' in page  # shown again in local time


def test_a_quiz_must_close_after_it_opens(login, author):
    client = login(author)
    client.post("/quizzes/manage/new", data={**QUIZ_FORM, "closes_at": "2025-02-01T09:00"})
    assert db.session.scalar(select(func.count()).select_from(Quiz)) == 0


def test_setting_up_and_publishing_a_quiz(login, author, reviewer, make_user, bank, make_bank, make_question,
                                          make_quiz):
    published = make_question(bank, "single", tags=["党章"])
    make_question(bank, "single", tags=["党章"])
    draft = make_question(bank, "true_false", published=False)
    foreign_bank = make_bank(make_user(roles=["author"]))
    foreign = make_question(foreign_bank, "single")
    quiz = make_quiz(author, publish=False)
    client = login(author)
    items = f"/quizzes/manage/{quiz.id}/items"

    client.post(items, data={"kind": "fixed", "fixed-question_id": str(published.id)})
    client.post(items, data={"kind": "fixed", "fixed-question_id": str(published.id)})  # twice: refused
    client.post(items, data={"kind": "fixed", "fixed-question_id": str(foreign.id)})  # not the author's
    client.post(items, data={"kind": "fixed", "fixed-question_id": str(draft.id)})
    client.post(items, data={"kind": "draw", "draw-bank_id": str(bank.id), "draw-tag": "党章",
                             "draw-draw_count": "1"})
    client.post(items, data={"kind": "draw", "draw-bank_id": str(foreign_bank.id), "draw-draw_count": "1"})
    quiz = fresh(quiz)
    assert [(i.question_id, i.bank_id, i.tag, i.draw_count) for i in quiz.items] == [
        (published.id, None, None, 1), (draft.id, None, None, 1), (None, bank.id, "党章", 1)]
    assert [i.position for i in quiz.items] == [0, 1, 2]

    # A question that has not passed review holds the quiz back.
    client.post(f"/quizzes/manage/{quiz.id}/publish")
    assert fresh(quiz).is_published is False
    draft_item = next(i for i in quiz.items if i.question_id == draft.id)
    client.post(f"/quizzes/manage/{quiz.id}/items/{draft_item.id}/delete")
    quiz = fresh(quiz)
    assert [i.position for i in quiz.items] == [0, 1]
    client.post(f"/quizzes/manage/{quiz.id}/publish")
    assert fresh(quiz).is_published is True
    client.post(f"/quizzes/manage/{quiz.id}/unpublish")
    assert fresh(quiz).is_published is False


def test_a_draw_larger_than_the_bank_holds_the_quiz_back(login, author, bank, make_question, make_quiz):
    make_question(bank, "single")
    make_question(bank, "single", published=False)
    quiz = make_quiz(author, (bank, None, 2), publish=False)
    login(author).post(f"/quizzes/manage/{quiz.id}/publish")
    assert fresh(quiz).is_published is False


def test_an_author_cannot_touch_another_authors_quiz(login, make_user, author, bank, make_question, make_quiz):
    quiz = make_quiz(author, make_question(bank, "single"))
    other = login(make_user(roles=["author"]))
    base = f"/quizzes/manage/{quiz.id}"
    assert other.get(base).status_code == 403
    assert other.post(base, data={**QUIZ_FORM, "title": "被改了"}).status_code == 403
    assert other.post(f"{base}/items", data={"kind": "draw", "draw-bank_id": str(bank.id),
                                             "draw-draw_count": "1"}).status_code == 403
    assert other.post(f"{base}/items/{quiz.items[0].id}/delete").status_code == 403
    assert other.post(f"{base}/unpublish").status_code == 403
    assert other.get(f"{base}/results").status_code == 403
    assert other.get("/quizzes/manage/9999").status_code == 404
    quiz = fresh(quiz)
    assert quiz.title == "党章测验" and quiz.is_published is True and len(quiz.items) == 1


# --- results and grading by hand ---------------------------------------------------------------------

@pytest.fixture
def essay_attempt(member, author, bank, make_question, make_quiz):
    choice = make_question(bank, "single")
    essay = make_question(bank, "short_answer")
    quiz = make_quiz(author, choice, essay, pass_percent=75)
    attempt = attempts.start_or_resume(member, quiz, now=at(0))
    attempts.save_answer(member, attempt, answer_at(attempt, choice).position, "B", now=at(1))
    attempts.save_answer(member, attempt, answer_at(attempt, essay).position, "全心全意为人民服务", now=at(2))
    attempts.submit(member, attempt, now=at(3))
    db.session.commit()
    return quiz, attempt, answer_at(attempt, essay)


def test_the_results_page_lists_short_answers_to_grade(login, author, reviewer, essay_attempt):
    quiz, _attempt, _essay = essay_attempt
    for user in (author, reviewer):
        page = login(user).get(f"/quizzes/manage/{quiz.id}/results")
        assert page.status_code == 200
        assert "全心全意为人民服务" in page.get_data(as_text=True)


def test_grading_a_short_answer_over_http(login, author, essay_attempt):
    quiz, attempt, essay = essay_attempt
    client = login(author)
    response = client.post(f"/quizzes/manage/{quiz.id}/grade/{essay.id}", data={"points": "1", "feedback": "很好"})
    assert response.status_code == 302 and location(response).endswith(f"/quizzes/manage/{quiz.id}/results")
    attempt = fresh(attempt)
    assert attempt.status == AttemptStatus.GRADED and attempt.score == 1.0 and attempt.passed is False
    assert answer_at(attempt, essay.question).feedback == "很好"
    assert "全心全意为人民服务" not in client.get(f"/quizzes/manage/{quiz.id}/results").get_data(as_text=True)


def test_grading_needs_the_quiz_and_an_answer_of_it(login, make_user, member, author, bank, make_question,
                                                    make_quiz, essay_attempt):
    quiz, attempt, essay = essay_attempt
    assert login(make_user(roles=["author"])).post(f"/quizzes/manage/{quiz.id}/grade/{essay.id}",
                                                   data={"points": "1"}).status_code == 403
    assert login(member).post(f"/quizzes/manage/{quiz.id}/grade/{essay.id}", data={"points": "1"}).status_code == 403
    other_quiz = make_quiz(author, make_question(bank, "single"))
    client = login(author)
    assert client.post(f"/quizzes/manage/{other_quiz.id}/grade/{essay.id}", data={"points": "1"}).status_code == 404
    assert client.post(f"/quizzes/manage/{quiz.id}/grade/99999", data={"points": "1"}).status_code == 404
    client.post(f"/quizzes/manage/{quiz.id}/grade/{essay.id}", data={"points": ""})  # no points: nothing happens
    assert fresh(attempt).status == AttemptStatus.AWAITING_GRADING


def test_question_statistics_on_the_results_page(login, tree, make_user, author, bank, make_question, make_quiz):
    question = make_question(bank, "single", stem="统计用的题")
    quiz = make_quiz(author, question)
    for response in ("A", "B", "B"):
        user = make_user(tree["a1"])
        attempt = attempts.start_or_resume(user, quiz, now=at(0))
        attempts.save_answer(user, attempt, 0, response, now=at(1))
        attempts.submit(user, attempt, now=at(2))
    db.session.commit()
    html = login(author).get(f"/quizzes/manage/{quiz.id}/results").get_data(as_text=True)
    assert "统计用的题" in html and "33.3%" in html
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 3
    assert db.session.scalar(select(func.count()).select_from(QuizItem)) == 1

"""Questions pass review before members see them (先审后发): nobody approves their own questions."""
import threading
import time

import pytest
from sqlalchemy import select, text

from learning_app.extensions import db
from learning_app.models import AuditLog, User
from quizzes.models import Question, QuestionStatus
from quizzes.services import banks
from quizzes.services.banks import QuestionRuleError
from tests.concurrency import on_postgres
from tests.conftest import Auth
from tests.quizzes.helpers import fresh, location, parsed_question


@pytest.fixture
def login(app):
    def factory(user):
        client = app.test_client()
        Auth(client).login(user)
        return client
    return factory


@pytest.fixture
def bank(author, make_bank):
    return make_bank(author)


def submitted(bank, make_question, author=None, **fields):
    question = make_question(bank, published=False, author=author, **fields)
    banks.submit_questions(author or bank.owner, [question])
    db.session.commit()
    return question


# --- services ----------------------------------------------------------------------------------------

def test_submit_then_approve(author, reviewer, bank, make_question):
    question = make_question(bank, published=False)
    assert question.status == QuestionStatus.DRAFT
    assert banks.submit_questions(author, [question, question]) == 1
    banks.approve_question(reviewer, question)
    db.session.commit()
    question = fresh(question)
    assert (question.status, question.reviewer_id) == (QuestionStatus.PUBLISHED, reviewer.id)
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.target_id == question.id,
                                                           AuditLog.target_type == "question")) == "question.approve"


def test_nobody_approves_their_own_question(make_user, make_bank, make_question):
    author_reviewer = make_user(roles=["author", "reviewer"])
    bank = make_bank(author_reviewer)
    question = submitted(bank, make_question)
    with pytest.raises(QuestionRuleError):
        banks.approve_question(author_reviewer, question)
    with pytest.raises(QuestionRuleError):
        banks.reject_question(author_reviewer, question, "自己退回自己")
    db.session.rollback()
    assert fresh(question).status == QuestionStatus.SUBMITTED


def test_only_reviewers_approve_and_only_submitted_questions(author, reviewer, bank, make_question):
    question = make_question(bank, published=False)
    with pytest.raises(QuestionRuleError):
        banks.approve_question(reviewer, question)  # still a draft
    banks.submit_questions(author, [question])
    with pytest.raises(QuestionRuleError):
        banks.approve_question(author, question)  # not a reviewer
    db.session.rollback()


def test_rejecting_needs_a_comment_and_returns_the_draft(author, reviewer, bank, make_question):
    question = submitted(bank, make_question)
    with pytest.raises(QuestionRuleError):
        banks.reject_question(reviewer, question, "  ")
    banks.reject_question(reviewer, question, " 选项有歧义 ")
    db.session.commit()
    question = fresh(question)
    assert (question.status, question.review_comment) == (QuestionStatus.DRAFT, "选项有歧义")
    # The author fixes it and submits again; the comment is cleared on approval.
    banks.edit_question(author, question, parsed_question("single", stem="改好了"))
    banks.submit_questions(author, [question])
    banks.approve_question(reviewer, question)
    db.session.commit()
    assert (fresh(question).status, fresh(question).review_comment) == (QuestionStatus.PUBLISHED, "")


def test_a_question_awaiting_review_cannot_be_edited(author, bank, make_question):
    question = submitted(bank, make_question)
    with pytest.raises(QuestionRuleError):
        banks.edit_question(author, question, parsed_question("single", stem="趁审核偷改"))


# --- over HTTP ----------------------------------------------------------------------------------------

def test_only_reviewers_see_the_queue(login, member, author, reviewer):
    assert login(member).get("/quizzes/review").status_code == 403
    assert login(author).get("/quizzes/review").status_code == 403
    assert login(reviewer).get("/quizzes/review").status_code == 200


def test_the_queue_leaves_out_the_reviewers_own_questions(login, make_user, make_bank, make_question, bank):
    author_reviewer = make_user(roles=["author", "reviewer"])
    own = submitted(make_bank(author_reviewer), make_question, stem="我自己出的题")
    others = submitted(bank, make_question, stem="别人出的题")
    html = login(author_reviewer).get("/quizzes/review").get_data(as_text=True)
    assert "别人出的题" in html and "我自己出的题" not in html
    client = login(author_reviewer)
    response = client.post(f"/quizzes/review/{own.id}/approve")
    assert response.status_code == 302 and location(response).endswith("/quizzes/review")
    assert fresh(own).status == QuestionStatus.SUBMITTED
    client.post(f"/quizzes/review/{others.id}/approve")
    assert fresh(others).status == QuestionStatus.PUBLISHED


def test_approve_and_reject_over_http(login, reviewer, bank, make_question):
    first, second = submitted(bank, make_question), submitted(bank, make_question)
    client = login(reviewer)
    client.post(f"/quizzes/review/{first.id}/approve")
    client.post(f"/quizzes/review/{second.id}/reject", data={"comment": ""})  # refused without a comment
    assert fresh(second).status == QuestionStatus.SUBMITTED
    client.post(f"/quizzes/review/{second.id}/reject", data={"comment": "答案有误"})
    assert fresh(first).status == QuestionStatus.PUBLISHED
    assert (fresh(second).status, fresh(second).review_comment) == (QuestionStatus.DRAFT, "答案有误")
    assert client.post("/quizzes/review/9999/approve").status_code == 404


def test_non_reviewers_cannot_decide(login, author, member, bank, make_question):
    question = submitted(bank, make_question)
    assert login(author).post(f"/quizzes/review/{question.id}/approve").status_code == 403
    assert login(member).post("/quizzes/review/approve", data={"question_id": [question.id]}).status_code == 403
    assert fresh(question).status == QuestionStatus.SUBMITTED


def test_bulk_approval_is_all_or_nothing(login, make_user, make_bank, make_question, bank):
    author_reviewer = make_user(roles=["author", "reviewer"])
    batch = [submitted(bank, make_question) for _ in range(3)]
    client = login(author_reviewer)
    client.post("/quizzes/review/approve", data={"question_id": [q.id for q in batch]})
    assert {fresh(q).status for q in batch} == {QuestionStatus.PUBLISHED}

    more = [submitted(bank, make_question) for _ in range(2)]
    own = submitted(make_bank(author_reviewer), make_question)
    client.post("/quizzes/review/approve", data={"question_id": [more[0].id, own.id, more[1].id]})
    assert {fresh(q).status for q in more + [own]} == {QuestionStatus.SUBMITTED}


# --- decisions at the same moment (PostgreSQL) ---------------------------------------------------------

def _second_runs_into_first(app, first, second):
    """first() runs and flushes in one transaction, which stays open until second(), in another thread
    and transaction, is waiting for a lock (or 3 seconds went by); then the first commits. Returns what
    second() returned, or the QuestionRuleError it raised."""
    flushed, release = threading.Event(), threading.Event()
    outcome, errors = {}, []

    def run_first():
        try:
            with app.app_context():
                first()
                flushed.set()
                release.wait(10)
                db.session.commit()
        except Exception as error:  # reported below
            errors.append(error)
            flushed.set()

    def run_second():
        try:
            with app.app_context():
                flushed.wait(10)
                try:
                    outcome["value"] = second()
                    db.session.commit()
                except QuestionRuleError as error:
                    db.session.rollback()
                    outcome["value"] = error
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    flushed.wait(10)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not db.session.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")):
        db.session.rollback()
        time.sleep(0.05)
    db.session.rollback()
    release.set()
    for thread in threads:
        thread.join(20)
    assert errors == []
    return outcome.get("value")


@on_postgres
def test_two_new_versions_approved_at_once_publish_only_one(app, make_user, author, reviewer, bank, make_question):
    """Two pending versions of one published question, approved by two reviewers at the same moment: the
    second approval is refused with a message (it would silently undo the first), not published too."""
    second_reviewer = make_user(roles=["reviewer"])
    question = make_question(bank, stem="旧题干")
    versions = [banks.add_question(author, bank, parsed_question(stem=stem)) for stem in ("甲版", "乙版")]
    for version in versions:
        version.replaces_id, version.status = question.id, QuestionStatus.SUBMITTED
    db.session.commit()
    ids = [question.id] + [version.id for version in versions]
    reviewer_ids = [reviewer.id, second_reviewer.id]

    def approve(index):
        return lambda: banks.approve_question(db.session.get(User, reviewer_ids[index]),
                                              db.session.get(Question, ids[index + 1]))
    refusal = _second_runs_into_first(app, approve(0), approve(1))
    db.session.expire_all()
    statuses = [db.session.get(Question, id).status for id in ids]
    assert statuses == [QuestionStatus.RETIRED, QuestionStatus.PUBLISHED, QuestionStatus.SUBMITTED]
    assert isinstance(refusal, QuestionRuleError) and "已被替换" in str(refusal)


@on_postgres
def test_two_edits_of_a_published_question_at_once_leave_one_new_version(app, author, bank, make_question):
    question = make_question(bank, stem="旧题干")
    question_id = question.id

    def edit(stem):
        return lambda: banks.edit_question(db.session.get(User, author.id), db.session.get(Question, question_id),
                                           parsed_question(stem=stem))
    _second_runs_into_first(app, edit("甲版"), edit("乙版"))
    db.session.expire_all()
    pending = db.session.scalars(select(Question).where(Question.replaces_id == question_id)).all()
    assert [(version.stem, version.status) for version in pending] == [("乙版", QuestionStatus.DRAFT)]

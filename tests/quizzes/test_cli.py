"""`flask import-questions FILE --bank NAME`: drafts in a bank (created when missing), all or nothing."""
import pytest
from sqlalchemy import func, select

from learning_app.extensions import db
from quizzes.models import Question, QuestionBank, QuestionStatus

GIFT = """// 党章知识
::q1:: 党的最高理想是什么? {=实现共产主义 ~发展经济 ~改善民生}

::q2:: 中国共产党成立于1921年. {T}

::q3:: 党的十八大召开于 {=2012 =二〇一二} 年.
"""

BAD_GIFT = GIFT + """
::q4:: 没有标出正确答案的题 {~一 ~二}
"""


@pytest.fixture
def gift_file(tmp_path):
    def write(text=GIFT, name="questions.gift"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)
    return write


def run(runner, *args):
    return runner.invoke(args=["import-questions", *args])


def banks_and_questions():
    db.session.expire_all()
    return (list(db.session.scalars(select(QuestionBank))),
            list(db.session.scalars(select(Question).order_by(Question.id))))


def test_imports_drafts_into_a_new_bank_owned_by_an_admin(runner, admin, gift_file):
    result = run(runner, gift_file(), "--bank", "党章题库")
    assert result.exit_code == 0, result.output
    [bank], questions = banks_and_questions()
    assert (bank.name, bank.owner_id) == ("党章题库", admin.id)
    assert [q.type.value for q in questions] == ["single", "true_false", "fill_blank"]
    assert {q.status for q in questions} == {QuestionStatus.DRAFT}
    assert {q.bank_id for q in questions} == {bank.id}
    assert "3" in result.output  # the count is printed


def test_the_owner_can_be_named(runner, author, gift_file):
    result = run(runner, gift_file(), "--bank", "新题库", "--owner", author.login_id.upper())
    assert result.exit_code == 0, result.output
    [bank], questions = banks_and_questions()
    assert bank.owner_id == author.id and len(questions) == 3


def test_imports_into_an_existing_bank(runner, author, make_bank, make_question, gift_file):
    bank = make_bank(author, "已有题库")
    make_question(bank, "single")
    result = run(runner, gift_file(), "--bank", "已有题库")
    assert result.exit_code == 0, result.output
    banks, questions = banks_and_questions()
    assert [b.id for b in banks] == [bank.id]
    assert len(questions) == 4
    assert [q.status for q in questions[1:]] == [QuestionStatus.DRAFT] * 3


def test_without_an_admin_or_owner_nothing_is_created(runner, author, gift_file):
    result = run(runner, gift_file(), "--bank", "无主题库")
    assert result.exit_code != 0
    assert banks_and_questions() == ([], [])


def test_an_unknown_owner_is_refused(runner, admin, gift_file):
    result = run(runner, gift_file(), "--bank", "题库", "--owner", "nobody")
    assert result.exit_code != 0
    assert banks_and_questions() == ([], [])


@pytest.mark.parametrize("text, name", [(BAD_GIFT, "bad.gift"), ("", "empty.gift"), ("a,b\n", "wrong.pdf")])
def test_a_bad_file_imports_nothing(runner, admin, author, make_bank, gift_file, text, name):
    bank = make_bank(author, "已有题库")
    for bank_name in ("已有题库", "新题库"):
        result = run(runner, gift_file(text, name), "--bank", bank_name)
        assert result.exit_code != 0
    banks, questions = banks_and_questions()
    assert [b.id for b in banks] == [bank.id]  # the missing bank was not created either
    assert questions == []


def test_a_missing_file_is_refused(runner, admin, tmp_path):
    result = run(runner, str(tmp_path / "nothing.gift"), "--bank", "题库")
    assert result.exit_code != 0
    assert db.session.scalar(select(func.count()).select_from(QuestionBank)) == 0


def test_the_bank_option_is_required(runner, admin, gift_file):
    assert run(runner, gift_file()).exit_code != 0

"""Moodle's own GIFT examples import as Moodle reads them: partial credit on single choice, and
[html] / [markdown] text turned into the plain text members see, never markup."""
import io
import re

import pytest

from learning_app.extensions import db
from quizzes.importers import parse_questions
from quizzes.models import Question, QuestionStatus
from quizzes.services import attempts, banks
from tests.courses.helpers import FIXTURES
from tests.quizzes.helpers import at, fresh

EXAMPLES = (FIXTURES / "moodle_gift_examples.gift").read_bytes()
MARKUP = re.compile(r"<[a-zA-Z/!][^>]*>|&[a-z]+;|&#\d+;|\*\*|\[(?:html|markdown|moodle|plain)\]")


@pytest.fixture
def examples():
    return parse_questions(EXAMPLES, "moodle_gift_examples.gift")


def by_title(questions, title):
    return next(question for question in questions if question.title == title)


def by_stem(questions, start):
    return [question for question in questions if question.stem.startswith(start)]


def texts_of(question):
    return [question.stem, question.explanation, *(option["text"] for option in question.options),
            *(question.answer if question.type == "fill_blank" else [])]


def test_every_documentation_example_of_a_kept_type_imports(examples):
    assert len(examples) == 26


def test_no_imported_text_holds_markup(examples):
    leftovers = [(question.line, text) for question in examples for text in texts_of(question) if MARKUP.search(text)]
    assert leftovers == []


def test_single_answer_with_partial_credit_is_single_choice(examples):
    [difficult] = by_stem(examples, "Difficult question.")
    assert (difficult.type, difficult.answer, difficult.partial_credit) == ("single", "C", True)
    assert [(o["text"], o["weight"]) for o in difficult.options] == [
        ("wrong answer", 0.0), ("half credit answer", 0.5), ("full credit answer", 1.0)]
    [commented] = by_stem(examples, "Difficult multiple choice question.")
    assert (commented.type, commented.answer, commented.partial_credit) == ("single", "C", True)


def test_jesus_hometown_gives_a_quarter_and_a_half(examples):
    hometown = by_title(examples, "Jesus' hometown")
    assert hometown.stem == "Jesus Christ was from ____."
    assert (hometown.type, hometown.answer, hometown.partial_credit) == ("single", "D", True)
    assert [o["weight"] for o in hometown.options] == [0.0, 0.25, 0.5, 1.0]


def test_multiple_answers_keep_their_weights(examples):
    both = by_stem(examples, "What two people are entombed in Grant's tomb?")
    assert [(q.type, q.answer, q.partial_credit) for q in both] == [("multiple", ["B", "C"], True)] * 2
    assert [o["weight"] for o in both[1].options] == [-0.5, 0.5, 0.5, -0.5]


def test_markdown_is_rendered_to_text(examples):
    assert "Who's buried in Grant's tomb?" in [q.stem for q in examples]
    capital = by_title(examples, "首都")
    assert (capital.stem, capital.answer) == ("中华人民共和国的首都是 ____。", ["北京", "北京市"])


def test_moodle_html_export_is_turned_into_text(examples):
    first = by_title(examples, "一大召开")
    assert first.stem == "中国共产党第一次全国代表大会在哪一年召开？"
    assert (first.type, first.answer, first.tags) == ("single", "B", ["党史"])
    assert first.explanation == "1921 年 7 月，中共一大在上海召开，宣告中国共产党成立。"
    duties = by_title(examples, "党员义务")
    assert duties.stem == "下列属于党员义务的有："
    assert [o["text"] for o in duties.options] == ["认真学习马克思列宁主义", "贯彻执行党的基本路线",
                                                     "只讲权利 不讲义务"]
    assert by_title(examples, "党费").stem == "党员应当按期交纳党费 & 参加组织生活。"
    oath = by_title(examples, "入党誓词")
    assert (oath.type, oath.stem) == ("short_answer", "默写入党誓词的前两句。")  # the script and its text are gone


def test_a_member_sees_text_not_markup_and_earns_partial_credit(client, auth, author, reviewer, member, make_bank,
                                                                 make_quiz):
    bank = make_bank(author)
    auth.login(author)
    client.post(f"/quizzes/banks/{bank.id}/import", data={"file": (io.BytesIO(EXAMPLES), "moodle.gift")},
                content_type="multipart/form-data")
    assert client.post(f"/quizzes/banks/{bank.id}/import/confirm").status_code == 302
    imported = list(db.session.scalars(db.select(Question).where(Question.bank_id == bank.id)
                                       .order_by(Question.id)))
    assert len(imported) == 26
    banks.submit_questions(author, imported)
    for question in imported:
        banks.approve_question(reviewer, question)
    db.session.commit()
    chosen = [q for q in imported if q.title in ("一大召开", "党员义务", "党费")]
    difficult = next(q for q in imported if q.stem == "Difficult question.")
    quiz = make_quiz(author, *chosen, difficult)

    auth.logout()
    auth.login(member)
    response = client.post(f"/quizzes/{quiz.id}/start")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    stems = re.findall(r'<span class="question-stem">(.*?)</span>', page, re.S)
    assert stems == ["中国共产党第一次全国代表大会在哪一年召开？", "下列属于党员义务的有：",
                     "党员应当按期交纳党费 &amp; 参加组织生活。", "Difficult question."]
    assert "&lt;" not in page and "[html]" not in page

    graded = make_quiz(author, difficult, title="部分得分")
    attempt = attempts.start_or_resume(member, graded, now=at(0))
    attempts.save_answer(member, attempt, 0, "B", now=at(1))  # the half-credit answer
    attempts.submit(member, attempt, now=at(2))
    db.session.commit()
    assert fresh(attempt).score == pytest.approx(0.5 * difficult.points)
    assert {q.status for q in imported} == {QuestionStatus.PUBLISHED}

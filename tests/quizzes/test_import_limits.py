"""A large question file costs bounded memory: it is streamed and refused past MAX_QUESTIONS or an overlong line."""
import io
import tracemalloc

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from learning_app.extensions import db
from quizzes.importers import MAX_QUESTION_CHARS, MAX_QUESTIONS, QuestionImportError, parse_questions
from quizzes.models import Question

CSV_HEADER = "题型,题干,选项A,选项B,选项C,选项D,答案,解析,标签\r\n"


def question_csv(count: int) -> bytes:
    rows = (f"单选题,第{index}题：中国共产党成立于哪一年？,1919,1921,1927,1949,B,,党史\r\n" for index in range(count))
    return (CSV_HEADER + "".join(rows)).encode("utf-8")


def question_xlsx(count: int) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["题型", "题干", "选项A", "选项B", "答案"])
    for index in range(count):
        sheet.append(["单选题", f"第{index}题", "对", "错", "A"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def gift(count: int) -> bytes:
    return "".join(f"第{index}题：党员应当按期交纳党费。{{T}}\n\n" for index in range(count)).encode("utf-8")


def aiken(count: int) -> bytes:
    return "".join(f"第{index}题？\nA. 1919\nB. 1921\nANSWER: B\n" for index in range(count)).encode("utf-8")


@pytest.mark.parametrize("make, name, first_line_over", [
    (question_csv, "questions.csv", MAX_QUESTIONS + 2),  # the header is row 1
    (question_xlsx, "questions.xlsx", MAX_QUESTIONS + 2),
    (gift, "questions.gift", 2 * MAX_QUESTIONS + 1),
    (aiken, "questions.txt", 4 * MAX_QUESTIONS + 1),
])
def test_a_file_over_the_question_cap_is_refused_at_the_first_question_too_many(make, name, first_line_over):
    with pytest.raises(QuestionImportError) as refused:
        parse_questions(make(MAX_QUESTIONS + 50), name)
    assert refused.value.line == first_line_over
    assert str(MAX_QUESTIONS) in str(refused.value)
    assert len(parse_questions(make(MAX_QUESTIONS), name)) == MAX_QUESTIONS


@pytest.mark.parametrize("name", ["questions.gift", "questions.txt", "questions.csv"])
def test_an_overlong_line_is_refused_before_it_is_read_whole(name):
    data = ("题" * (10 * MAX_QUESTION_CHARS) + "{T}\n").encode("utf-8")
    if name.endswith(".csv"):  # a quoted CSV field may span lines: the csv module's own field limit holds it
        data = CSV_HEADER.encode() + b'"' + data
    with pytest.raises(QuestionImportError):
        parse_questions(data, name)


def test_a_long_gift_question_over_many_lines_is_refused():
    data = ("::长题::" + "题干\n" * MAX_QUESTION_CHARS + "{T}\n").encode("utf-8")
    with pytest.raises(QuestionImportError) as refused:
        parse_questions(data, "questions.gift")
    assert refused.value.line == 1


def test_a_large_question_upload_costs_bounded_memory(client, auth, make_user, make_bank, tmp_path):
    """20 MB of questions through the real preview route: refused at the cap without holding the file.

    Read whole, the bytes, the text, the rows and 200,000 parsed questions come to hundreds of MB;
    streamed, the refusal holds at most MAX_QUESTIONS parsed questions (a few MB). The old bound
    was the file: 25 MB leaves ample room for the questions and nothing like the file.
    """
    author = make_user(roles=["author"])
    bank = make_bank(author)
    path = tmp_path / "questions.csv"
    path.write_bytes(question_csv(220_000))
    assert path.stat().st_size > 20_000_000
    auth.login(author)
    with open(path, "rb") as upload:
        tracemalloc.start()
        try:
            response = client.post(f"/quizzes/banks/{bank.id}/import", data={"file": (upload, "questions.csv")},
                                   content_type="multipart/form-data")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert response.status_code == 400
    assert str(MAX_QUESTIONS) in response.get_data(as_text=True)
    assert peak < 25_000_000, f"{peak / 1e6:.1f} MB"
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0

"""Hypothesis-driven fuzzing of the question importers: any input parses cleanly or raises
QuestionImportError (a clear message, with a line), never anything else and never a partial list."""
import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.importers import QuestionImportError, parse_questions

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
GIFT_PIECES = st.sampled_from(["::题目::", "{", "}", "=", "~", "#", "####", "%50%", "%-100%", "\\", "\\{", "\\=",
                               "T", "F", "TRUE", "->", "$CATEGORY: a/b", "//", "\n", "\n\n", " ", "答案", "问题"])
AIKEN_PIECES = st.sampled_from(["A. ", "B) ", "C．", "ANSWER: A", "ANSWER: Z", "answer:", "\n", "\n\n", "题干", "选项"])
TABLE_CELL = st.one_of(st.text(max_size=12), st.sampled_from(["单选题", "多选题", "判断题", "填空题", "简答题", "A",
                                                             "AC", "对", "错", "a|b", "按比例", "=1+1", ""]))


def _check(data: bytes, name: str):
    try:
        questions = parse_questions(data, name)
    except QuestionImportError as error:
        assert str(error) and isinstance(error.line, int)
        return
    assert questions and all(q.stem for q in questions)


@FUZZ
@given(parts=st.lists(GIFT_PIECES, max_size=40))
def test_gift_like_text(app, parts):
    _check("".join(parts).encode(), "questions.gift")


@FUZZ
@given(parts=st.lists(AIKEN_PIECES, max_size=30))
def test_aiken_like_text(app, parts):
    _check("".join(parts).encode(), "questions.txt")


@FUZZ
@given(rows=st.lists(st.lists(TABLE_CELL, max_size=12), max_size=6), encoding=st.sampled_from(["utf-8-sig", "gb18030"]))
def test_table_rows(app, rows, encoding):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["题型", "题干", "选项A", "选项B", "选项C", "选项D",
                     "选项E", "选项F", "答案", "解析", "标签", "计分方式"])
    writer.writerows(rows)
    _check(buffer.getvalue().encode(encoding, errors="ignore"), "questions.csv")


@FUZZ
@given(data=st.binary(max_size=500), name=st.sampled_from(["q.gift", "q.txt", "q.csv", "q.xlsx", "q"]))
def test_any_bytes(app, data, name):
    _check(data, name)

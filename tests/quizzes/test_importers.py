"""Question-file parsers: GIFT, Aiken, Excel and CSV tables, the templates and the shared text decoding."""
import csv
import io
import random
import zipfile

import pytest
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook

from learning_app.spreadsheets import text_encoding, text_reader
from quizzes.importers import ParsedQuestion, QuestionImportError, parse_questions
from quizzes.importers.table import HEADERS, TEMPLATE_EXAMPLES, template_csv, template_workbook

TYPES = {"single", "multiple", "true_false", "fill_blank", "short_answer"}


@pytest.fixture(autouse=True)
def english(app):
    """Messages in English so the assertions below do not depend on the Chinese catalog."""
    with force_locale("en"):
        yield


def gift(text, encoding="utf-8"):
    return parse_questions(text.encode(encoding), "questions.gift")


def aiken(text, encoding="utf-8"):
    return parse_questions(text.encode(encoding), "questions.txt")


def csv_file(rows, header=HEADERS, encoding="utf-8-sig"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_file(rows, header=HEADERS):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(kind, stem, options=(), answer="", explanation="", tags="", scoring=""):
    """A table row in the template's column order (six option columns)."""
    options = list(options) + [""] * (6 - len(options))
    return [kind, stem, *options, answer, explanation, tags, scoring]


def import_error(data, filename):
    with pytest.raises(QuestionImportError) as raised:
        parse_questions(data, filename)
    return raised.value


def check_contract(question):
    """What every ParsedQuestion promises, whatever the format."""
    assert isinstance(question, ParsedQuestion) and question.type in TYPES and question.stem.strip()
    if question.type in ("single", "multiple"):
        keys = [option["key"] for option in question.options]
        assert keys == list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:len(keys)]) and len(keys) >= 2
        assert all(option["text"] and isinstance(option["weight"], float) for option in question.options)
        if question.type == "single":
            assert question.answer in keys and not question.partial_credit
        else:
            assert question.answer == sorted(set(question.answer)) and set(question.answer) <= set(keys)
    else:
        assert question.options == [] and not question.partial_credit
        expected = {"true_false": bool, "fill_blank": list, "short_answer": str}[question.type]
        assert isinstance(question.answer, expected)


# --- the contract and choosing the format -------------------------------------------------------

def test_error_names_the_line_and_keeps_line_and_reason():
    error = QuestionImportError(12, "bad")
    assert (error.line, error.reason, str(error)) == (12, "bad", "Line 12: bad")
    assert isinstance(error, ValueError)


def test_error_for_the_whole_file_is_the_reason_alone():
    assert str(QuestionImportError(0, "The file is empty.")) == "The file is empty."


def test_error_message_follows_the_locale():
    with force_locale("zh_Hans"):
        message = str(QuestionImportError(7, "原因"))
    assert "7" in message and message.endswith("原因")


@pytest.mark.parametrize("data, filename", [
    (b"", "questions.gift"), (b"  \n\r\n ", "questions.txt"), (b"", "questions.csv"), (b"", "questions.xlsx"),
])
def test_an_empty_file_is_refused(data, filename):
    error = import_error(data, filename)
    assert error.line == 0 and "empty" in str(error)


@pytest.mark.parametrize("data, filename", [
    (b"// only a comment\n", "questions.gift"),
    (b"\xef\xbb\xbf", "questions.gift"),
    ("$CATEGORY: 党史\n".encode(), "questions.gift"),
    (csv_file([]), "questions.csv"),
    (csv_file([["", "", ""], []]), "questions.csv"),
    (xlsx_file([]), "questions.xlsx"),
])
def test_a_file_without_questions_is_refused(data, filename):
    error = import_error(data, filename)
    assert error.line == 0 and "no questions" in str(error)


@pytest.mark.parametrize("filename", ["questions.docx", "questions", "questions.pdf", "gift"])
def test_an_unknown_kind_of_file_is_refused(filename):
    error = import_error("题{T}".encode(), filename)
    assert error.line == 0 and ".gift" in str(error)


def test_old_xls_files_are_refused_with_a_hint():
    error = import_error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "questions.xls")
    assert error.line == 0 and ".xlsx" in str(error)


def test_excel_content_wins_over_the_file_name():
    data = xlsx_file([row("判断题", "党员应当按期交纳党费。", answer="对")])
    for name in ("questions.csv", "questions", "questions.txt"):
        assert [q.type for q in parse_questions(data, name)] == ["true_false"]


def test_txt_is_aiken_when_it_has_answer_lines_else_gift():
    assert aiken("题目\nA. 一\nB. 二\nANSWER: A\n")[0].type == "single"
    assert aiken("题目{T}\n")[0].type == "true_false"


def test_file_name_case_does_not_matter():
    assert parse_questions("题{T}".encode(), "QUESTIONS.GIFT")[0].answer is True


def test_binary_or_undecodable_text_is_refused():
    assert import_error(b"\xff\xfe\x00\x01\x02" * 50, "questions.gift").line == 0
    assert "not a text file" in str(import_error("题{T}\x00".encode(), "questions.gift"))


# --- the shared decoding ---------------------------------------------------------------------------

def read_text(data: bytes) -> str:
    stream = io.BytesIO(data)
    with text_reader(stream, text_encoding(stream)) as text:
        return text.read()


@pytest.mark.parametrize("data", ["党员学习".encode(), "\ufeff党员学习".encode("utf-8"),
                                  "党员学习".encode("gbk"), "党员学习".encode("gb18030")])
def test_text_reads_utf8_with_or_without_bom_and_gbk(data):
    assert read_text(data) == "党员学习"


def test_encoding_is_judged_where_the_first_non_ascii_text_is():
    """A long ASCII start says nothing; the window that decides begins at the first other byte."""
    data = b"x" * 200_000 + "党员学习".encode("gbk")
    assert text_encoding(io.BytesIO(data)) == "gb18030"
    assert read_text(data).endswith("党员学习")


def test_text_refuses_what_neither_encoding_reads():
    with pytest.raises(ValueError):
        text_encoding(io.BytesIO(b"\x80\xff\xfe"))


# --- GIFT -----------------------------------------------------------------------------------------

def test_gift_single_choice_with_title_at_the_end_of_the_stem():
    [question] = gift("::一大::中国共产党第一次全国代表大会在哪一年召开？{~1919年 =1921年 ~1927年}")
    assert question == ParsedQuestion(
        line=1, type="single", stem="中国共产党第一次全国代表大会在哪一年召开？",
        options=[{"key": "A", "text": "1919年", "weight": 0.0}, {"key": "B", "text": "1921年", "weight": 0.0},
                 {"key": "C", "text": "1927年", "weight": 0.0}],
        answer="B", title="一大")


def test_gift_answer_block_inside_the_stem_leaves_a_placeholder():
    [chinese, english] = gift("中国共产党成立于{=1921 ~1919}年。\n\n"
                             "Moodle costs {~lots of money =nothing} to download.")
    assert chinese.stem == "中国共产党成立于____年。"
    assert english.stem == "Moodle costs ____ to download."


def test_gift_block_at_the_start_of_the_text_leaves_a_placeholder():
    assert gift("{=对 ~错}的说法。")[0].stem == "____的说法。"


def test_gift_answers_may_stand_on_their_own_lines():
    [question] = gift("下列哪一项正确？{\n  =甲\n  ~乙\n  ~丙\n}\n")
    assert [option["text"] for option in question.options] == ["甲", "乙", "丙"] and question.answer == "A"


def test_gift_weighted_answers_make_a_partial_credit_multiple_choice():
    [question] = gift("下列属于党的优良作风的有：{~%50%理论联系实际 ~%50%密切联系群众 ~%-100%形式主义}")
    assert question.type == "multiple" and question.partial_credit is True
    assert question.answer == ["A", "B"]
    assert [option["weight"] for option in question.options] == [0.5, 0.5, -1.0]


def test_gift_weights_keep_file_order_and_sort_the_answer():
    [question] = gift("题{~%-50%甲 ~%25%乙 ~%75%丙 ~丁}")
    assert question.answer == ["B", "C"]
    assert [option["weight"] for option in question.options] == [-0.5, 0.25, 0.75, 0.0]


def test_gift_thirds_as_moodle_writes_them_add_up_to_a_hundred():
    [question] = gift("题{~%33.33333%甲 ~%33.33333%乙 ~%33.33333%丙 ~%-100%丁}")
    assert question.answer == ["A", "B", "C"] and question.options[0]["weight"] == pytest.approx(1 / 3, abs=1e-6)


def test_gift_several_right_answers_without_weights_are_all_or_nothing():
    [question] = gift("题{=甲 =乙 ~丙}")
    assert (question.type, question.answer, question.partial_credit) == ("multiple", ["A", "B"], False)
    assert all(option["weight"] == 0.0 for option in question.options)


def test_gift_one_full_weight_is_a_single_choice():
    [question] = gift("题{~%100%甲 ~%-50%乙 ~丙}")
    assert (question.type, question.answer) == ("single", "A")
    assert [option["weight"] for option in question.options] == [1.0, -0.5, 0.0]


def test_gift_equals_answers_only_make_a_fill_in_with_accepted_answers():
    [question] = gift("中华人民共和国的首都是{=北京 =北京市 =北京}。")
    assert (question.type, question.answer, question.options) == ("fill_blank", ["北京", "北京市"], [])
    assert question.stem == "中华人民共和国的首都是____。"


def test_gift_fill_in_with_full_weight_is_accepted():
    assert gift("首都是{=%100%北京 =北京市#对}")[0].answer == ["北京", "北京市"]


@pytest.mark.parametrize("block, expected", [
    ("{T}", True), ("{F}", False), ("{TRUE}", True), ("{FALSE}", False), ("{true}", True), ("{f}", False),
    ("{ True }", True), ("{T#错了#对了}", True), ("{F####地球是圆的}", False),
])
def test_gift_true_false(block, expected):
    [question] = gift(f"地球是方的。{block}")
    assert (question.type, question.answer, question.options) == ("true_false", expected, [])


def test_gift_essay_is_a_short_answer_with_an_empty_reference():
    [question] = gift("简述党员的义务。{}")
    assert (question.type, question.answer, question.options) == ("short_answer", "", [])


def test_gift_general_feedback_is_the_explanation_and_answer_feedback_is_dropped():
    [question] = gift("题{=甲#对，就是甲 ~乙#不对 ####因为甲是对的。}")
    assert [option["text"] for option in question.options] == ["甲", "乙"]
    assert question.explanation == "因为甲是对的。"
    assert gift("简述。{####参考要点}")[0].explanation == "参考要点"


def test_gift_escapes_give_literal_characters_everywhere():
    [question] = gift(r"::标题\:一\{二\}:: 1\~2 \= 3 \# 4 \{5\}{=a\=b\#c ~x\~y\{z\} ####说明\:完}")
    assert question.title == "标题:一{二}"
    assert question.stem == "1~2 = 3 # 4 {5}"
    assert [option["text"] for option in question.options] == ["a=b#c", "x~y{z}"]
    assert question.explanation == "说明:完"


def test_gift_backslash_n_is_a_newline_and_double_backslash_a_backslash():
    [question] = gift(r"第一行\n第二行 C:\\temp{}")
    assert question.stem == "第一行\n第二行 C:\\temp"


def test_gift_comments_are_ignored_but_counted_as_lines():
    questions = gift("// 第一题\n题一{T}\n\n// 注释\n// 再一行\n题二\n{F}\n")
    assert [(q.line, q.stem) for q in questions] == [(2, "题一"), (6, "题二")]


def test_gift_windows_line_endings_keep_line_numbers():
    questions = gift("题一{T}\r\n\r\n\r\n题二{F}\r\n")
    assert [q.line for q in questions] == [1, 4]


def test_gift_category_sets_a_tag_for_the_following_questions():
    questions = gift("题零{T}\n\n$CATEGORY: $course$/top/党史/百年党史\n\n题一{T}\n\n题二{F}\n\n"
                     "$CATEGORY: 党章\n题三{T}\n\n$CATEGORY: $course$/top\n\n题四{T}")
    assert [(q.stem, q.tags, q.line) for q in questions] == [
        ("题零", [], 1), ("题一", ["百年党史"], 5), ("题二", ["百年党史"], 7), ("题三", ["党章"], 10), ("题四", [], 14)]


def test_gift_moodle_format_markers_are_read_and_the_markup_dropped():
    [question] = gift("::Q1::[html]<p>党的宗旨</p>{=为人民服务 ~其他 ####[html]<p>解析</p>}")
    assert question.stem == "党的宗旨" and question.explanation == "解析"


def test_gift_multi_line_stem_keeps_its_lines():
    assert gift("第一行\n第二行\n{T}")[0].stem == "第一行\n第二行"


def test_gift_with_bom_and_gbk():
    text = "::标题::中国共产党成立于{=1921年 ~1919年}。\n\n首都是{=北京 =北京市}"
    for data in (("\ufeff" + text).encode("utf-8"), text.encode("gbk"), text.encode("utf-8")):
        questions = parse_questions(data, "questions.gift")
        assert [(q.title, q.type) for q in questions] == [("标题", "single"), ("", "fill_blank")]
        assert questions[1].answer == ["北京", "北京市"]


GIFT_ERRORS = [
    ("题{=甲 ~乙", "not closed"),
    ("题{=甲 ~乙\n\n~丙}", "not closed"),
    ("题{=甲 {~乙}", "not closed"),
    ("题} {=甲 ~乙}", "no matching"),
    ("题 =甲 ~乙}", "no matching"),
    ("题{=甲 ~乙} 又{T}", "only one answer block"),
    ("题目没有答案", "no answer block"),
    ("题{~甲 ~乙 ~丙}", "no correct answer"),
    ("题{~%0%甲 ~%-50%乙}", "no correct answer"),
    ("题{~%50%甲 ~%40%乙 ~丙}", "add up to 90%, not 100%"),
    ("题{~%60%甲 ~%60%乙}", "add up to 120%, not 100%"),
    ("题{=甲 =乙 ~%-100%丙}", "add up to 200%"),
    ("{=甲 ~乙}", "question text is empty"),
    ("::标题::{T}", "question text is empty"),
    ("题{#1949:0}", "Numeric answers"),
    ("题{#1949}", "Numeric answers"),
    ("题{=甲 -> 1 =乙 -> 2}", "Matching questions"),
    ("题{北京}", "not supported"),
    ("题{maybe}", "not supported"),
    ("题{=甲 ~}", "answer in the answer block is empty"),
    ("题{=甲 ~#反馈}", "answer in the answer block is empty"),
    ("题{~%abc%甲 =乙}", "weight must be written like %50%"),
    ("题{~%150%甲 ~乙}", "between -100% and 100%"),
    ("::标题 题{T}", "title is not closed"),
    ("题{选 =甲 ~乙}", "text before its first"),
    ("题{~%100%甲}", "at least two options"),
    ("题{=%50%北京 =北京市}", "Fill-in answers"),
]


@pytest.mark.parametrize("bad, reason", GIFT_ERRORS)
def test_gift_errors_name_the_question_line(bad, reason):
    text = f"// 题库\n::好::好题{{T}}\n\n\n{bad}\n\n后面的好题{{F}}\n"
    error = import_error(text.encode(), "questions.gift")
    assert error.line == 5, str(error)
    assert reason in error.reason and str(error).startswith("Line 5: ")


def test_gift_file_with_one_bad_question_returns_nothing():
    text = "".join(f"好题{n}{{T}}\n\n" for n in range(50)) + "坏题{~甲 ~乙}\n\n" + "又一好题{F}\n"
    error = import_error(text.encode(), "questions.gift")
    assert error.line == 101


# --- Aiken ----------------------------------------------------------------------------------------

def test_aiken_single_choice_questions():
    questions = aiken("中国共产党成立于哪一年？\nA. 1919\nB. 1921\nC. 1927\nANSWER: B\n\n"
                      "党的根本宗旨是\nA) 全心全意为人民服务\nB) 发展经济\nANSWER: A\n")
    assert [(q.line, q.type, q.stem, q.answer) for q in questions] == [
        (1, "single", "中国共产党成立于哪一年？", "B"), (7, "single", "党的根本宗旨是", "A")]
    assert questions[0].options == [{"key": "A", "text": "1919", "weight": 0.0},
                                    {"key": "B", "text": "1921", "weight": 0.0},
                                    {"key": "C", "text": "1927", "weight": 0.0}]


def test_aiken_six_options_without_blank_lines_and_a_multi_line_stem():
    text = "第一行\n第二行\nA. 一\nB. 二\nC. 三\nD. 四\nE. 五\nF. 六\nANSWER: F\n下一题\nA. 是\nB. 否\nANSWER: A"
    first, second = aiken(text)
    assert first.stem == "第一行\n第二行" and len(first.options) == 6 and first.answer == "F"
    assert (second.line, second.stem) == (10, "下一题")


def test_aiken_accepts_full_width_punctuation_and_a_lower_case_answer():
    [question] = aiken("题目\nA．甲\nB）乙\nC、丙\nanswer：c\n")
    assert [option["text"] for option in question.options] == ["甲", "乙", "丙"] and question.answer == "C"


def test_aiken_line_that_only_looks_like_a_later_option_is_stem_text():
    [question] = aiken("B. 开头像选项的题目\nA. 甲\nB. 乙\nANSWER: A\n")
    assert question.stem == "B. 开头像选项的题目"


def test_aiken_gbk_and_windows_line_endings():
    text = "题一\r\nA. 甲\r\nB. 乙\r\nANSWER: B\r\n\r\n题二\r\nA. 丙\r\nB. 丁\r\nANSWER: A\r\n"
    questions = aiken(text, encoding="gbk")
    assert [(q.line, q.answer) for q in questions] == [(1, "B"), (6, "A")]


AIKEN_ERRORS = [
    ("坏题\nA. 甲\nB. 乙\n\n", 5, "no “ANSWER:” line"),
    ("坏题\nA. 甲\nB. 乙\n下一题\nA. 丙\nB. 丁\nANSWER: A", 5, "no “ANSWER:” line"),
    ("坏题\nA. 甲\nB. 乙\nANSWER: C", 8, "“C” is not one of the options A, B"),
    ("坏题\nA. 甲\nB. 乙\nANSWER: AB", 8, "not one of the options"),
    ("坏题\nA. 甲\nB. 乙\nANSWER:", 8, "not one of the options"),
    ("坏题\nA. 甲\nANSWER: A", 5, "at least two options"),
    ("坏题\nANSWER: A", 5, "at least two options"),
    ("ANSWER: A", 5, "no question before it"),
    ("坏题\nA. 甲\nC. 丙\nANSWER: A", 7, "Option C should be B"),
    ("坏题\nA. 甲\nB.\nANSWER: A", 7, "Option B is empty"),
]


@pytest.mark.parametrize("bad, line, reason", AIKEN_ERRORS)
def test_aiken_errors_name_the_line(bad, line, reason):
    text = f"好题\nA. 是\nB. 否\nANSWER: A\n{bad}\n"
    error = import_error(text.encode(), "questions.txt")
    assert error.line == line, str(error)
    assert reason in error.reason


def test_aiken_file_with_one_bad_question_returns_nothing():
    good = "好题\nA. 是\nB. 否\nANSWER: A\n\n"
    error = import_error((good * 20 + "坏题\nA. 是\nB. 否\nANSWER: E\n\n" + good).encode(), "questions.txt")
    assert error.line == 104


# --- tables (CSV and Excel) -----------------------------------------------------------------------

EVERY_TYPE = [
    row("单选题", "中国共产党成立于哪一年？", ["1919", "1921", "1927", "1949"], "B", "1921 年 7 月。", "党史"),
    row("多选题", "党的优良作风有：", ["理论联系实际", "密切联系群众", "形式主义"], "AB", "", "党建，作风", "按比例"),
    row("判断题", "党员应当按期交纳党费。", answer="对", tags="党章、党费;义务"),
    row("填空题", "首都是____。", answer="北京|北京市"),
    row("简答题", "简述党员的义务。", answer="参考：八项义务。"),
    row("简答题", "谈谈学习体会。"),
]


def check_every_type(questions):
    single, multiple, judge, fill, short, free = questions
    assert [q.line for q in questions] == [2, 3, 4, 5, 6, 7]
    assert (single.type, single.answer, single.explanation, single.tags) == ("single", "B", "1921 年 7 月。", ["党史"])
    assert [option["text"] for option in single.options] == ["1919", "1921", "1927", "1949"]
    assert [option["key"] for option in single.options] == ["A", "B", "C", "D"]
    assert (multiple.type, multiple.answer, multiple.partial_credit, multiple.tags) == (
        "multiple", ["A", "B"], True, ["党建", "作风"])
    assert (judge.type, judge.answer, judge.options, judge.tags) == ("true_false", True, [], ["党章", "党费", "义务"])
    assert (fill.type, fill.answer) == ("fill_blank", ["北京", "北京市"])
    assert (short.type, short.answer, free.answer) == ("short_answer", "参考：八项义务。", "")
    for question in questions:
        check_contract(question)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_every_type(encoding):
    check_every_type(parse_questions(csv_file(EVERY_TYPE, encoding=encoding), "questions.csv"))


def test_xlsx_every_type():
    check_every_type(parse_questions(xlsx_file(EVERY_TYPE), "questions.xlsx"))


def test_xlsx_numbers_become_text_without_point_zero():
    data = xlsx_file([
        row("单选题", 1921, [1919, 1921.0, 2.5], "B"),
        row("填空题", "新中国成立于____年。", answer=1949),
        row("填空题", "圆周率约为____。", answer=3.14),
        row("判断题", "真。", answer=True),
        row("判断题", "假。", answer=False),
    ])
    single, year, pi, yes, no = parse_questions(data, "questions.xlsx")
    assert single.stem == "1921" and [o["text"] for o in single.options] == ["1919", "1921", "2.5"]
    assert (year.answer, pi.answer, yes.answer, no.answer) == (["1949"], ["3.14"], True, False)


def test_table_skips_empty_rows_and_keeps_row_numbers():
    rows = [row("判断题", "一", answer="对"), [""] * 12, [], ["  ", "", ""], row("判断题", "二", answer="错")]
    for data, name in ((csv_file(rows), "questions.csv"), (xlsx_file(rows), "questions.xlsx")):
        assert [(q.line, q.answer) for q in parse_questions(data, name)] == [(2, True), (6, False)]


def test_table_accepts_english_headers_any_order_and_extra_columns():
    header = ["Stem", "备注", "Option A", "option_b", "TYPE", "answer", "Explanation", "tags", "Scoring"]
    data = csv_file([["题", "忽略", "甲", "乙", "multiple", "A,B", "因为", "x", "partial"],
                     ["题二", "", "", "", "true_false", "false", "", "", ""]], header=header)
    multiple, judge = parse_questions(data, "questions.csv")
    assert (multiple.type, multiple.answer, multiple.partial_credit, multiple.explanation) == (
        "multiple", ["A", "B"], True, "因为")
    assert (judge.type, judge.answer) == ("true_false", False)


def test_table_header_may_have_spaces_and_required_marks():
    header = ["*题型", "*题干", "选项 A", "选项 B", "*答案"]
    [question] = parse_questions(csv_file([["单选", "题", "甲", "乙", "b"]], header=header), "questions.csv")
    assert (question.type, question.answer, question.explanation, question.tags) == ("single", "B", "", [])


@pytest.mark.parametrize("kind", ["单选题", "单选", "single", "SINGLE", " 单选题 "])
def test_table_single_type_names(kind):
    assert parse_questions(csv_file([row(kind, "题", ["甲", "乙"], "A")]), "q.csv")[0].type == "single"


@pytest.mark.parametrize("kind, answer, expected", [
    ("多选题", "A", "multiple"), ("多选", "A", "multiple"), ("multiple", "A", "multiple"),
    ("判断题", "对", "true_false"), ("判断", "对", "true_false"), ("true_false", "对", "true_false"),
    ("填空题", "x", "fill_blank"), ("填空", "x", "fill_blank"), ("fill_blank", "x", "fill_blank"),
    ("简答题", "", "short_answer"), ("简答", "", "short_answer"), ("short_answer", "", "short_answer"),
])
def test_table_other_type_names(kind, answer, expected):
    assert parse_questions(csv_file([row(kind, "题", ["甲", "乙"], answer)]), "q.csv")[0].type == expected


@pytest.mark.parametrize("answer", ["ACD", "A,C,D", "a, c, d", "A、C、D", "D C A", "A，C；D", "AACD"])
def test_table_multiple_answer_spellings(answer):
    [question] = parse_questions(csv_file([row("多选题", "题", ["甲", "乙", "丙", "丁"], answer)]), "q.csv")
    assert question.answer == ["A", "C", "D"]


@pytest.mark.parametrize("answer, expected", [
    ("对", True), ("正确", True), ("√", True), ("T", True), ("true", True), ("TRUE", True), ("t", True),
    ("错", False), ("错误", False), ("×", False), ("F", False), ("false", False), ("False", False),
])
def test_table_true_false_spellings(answer, expected):
    assert parse_questions(csv_file([row("判断题", "题", answer=answer)]), "q.csv")[0].answer is expected


@pytest.mark.parametrize("answer", ["北京|北京市", "北京；北京市", "北京;北京市",
                                    " 北京 | 北京市 |", "北京|北京市|北京"])
def test_table_fill_in_accepted_answers(answer):
    assert parse_questions(csv_file([row("填空题", "题", answer=answer)]), "q.csv")[0].answer == ["北京", "北京市"]


@pytest.mark.parametrize("scoring, partial", [
    ("按比例", True), ("部分得分", True), ("partial", True), ("Partial", True),
    ("", False), ("全对得分", False), ("all", False),
])
def test_table_scoring_of_multiple_choice(scoring, partial):
    [question] = parse_questions(csv_file([row("多选题", "题", ["甲", "乙"], "AB", scoring=scoring)]), "q.csv")
    assert question.partial_credit is partial
    assert all(option["weight"] == 0.0 for option in question.options)  # the grader splits evenly


def test_table_partial_scoring_is_ignored_for_single_choice():
    [question] = parse_questions(csv_file([row("单选题", "题", ["甲", "乙"], "A", scoring="按比例")]), "q.csv")
    assert question.partial_credit is False


def test_table_options_are_ignored_for_other_types():
    [question] = parse_questions(csv_file([row("判断题", "题", ["对", "错"], "对")]), "q.csv")
    assert question.options == []


def test_table_tags_split_on_every_separator():
    [question] = parse_questions(csv_file([row("判断题", "题", answer="对", tags="甲,乙，丙、丁;戊, 甲")]), "q.csv")
    assert question.tags == ["甲", "乙", "丙", "丁", "戊"]


def test_csv_cell_with_line_breaks_keeps_them_and_counts_as_one_row():
    rows = [row("判断题", "第一行\n第二行", answer="对"), row("判断题", "二", answer="错")]
    questions = parse_questions(csv_file(rows), "q.csv")
    assert questions[0].stem == "第一行\n第二行" and [q.line for q in questions] == [2, 3]


TABLE_ERRORS = [
    (row("问答题", "题", answer="x"), "Unknown question type “问答题”"),
    (row("", "题", answer="x"), "Unknown question type"),
    (row("单选题", "", ["甲", "乙"], "A"), "question text is empty"),
    (row("单选题", "题", ["甲", "乙"], "C"), "“C” is not one of the options A, B"),
    (row("多选题", "题", ["甲", "乙", "丙"], "AD"), "not one of the options A, B, C"),
    (row("单选题", "题", ["甲", "乙"], "1"), "not one of the options"),
    (row("单选题", "题", ["甲"], "A"), "at least two options"),
    (row("多选题", "题", [], "A"), "at least two options"),
    (row("单选题", "题", ["甲", "", "丙"], "A"), "Option B is empty although a later option is filled"),
    (row("单选题", "题", ["甲", "乙", "丙"], "AB"), "single-choice question has one answer, not “AB”"),
    (row("单选题", "题", ["甲", "乙"], ""), "answer is empty"),
    (row("多选题", "题", ["甲", "乙"], " , "), "answer is empty"),
    (row("判断题", "题", answer="是"), "“是” is not a true-or-false answer"),
    (row("判断题", "题", answer=""), "not a true-or-false answer"),
    (row("填空题", "题", answer=" | ；"), "answer is empty"),
]


@pytest.mark.parametrize("bad, reason", TABLE_ERRORS)
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_table_errors_name_the_row(kind, bad, reason):
    rows = [row("判断题", "好题", answer="对"), [], bad, row("判断题", "后面的好题", answer="错")]
    data, name = (csv_file(rows), "q.csv") if kind == "csv" else (xlsx_file(rows), "q.xlsx")
    error = import_error(data, name)
    assert error.line == 4, str(error)
    assert reason in error.reason and str(error).startswith("Line 4: ")


def test_table_header_without_required_columns_is_row_one():
    error = import_error(csv_file([["题"]], header=["题干", "选项A"]), "q.csv")
    assert error.line == 1 and "题型、答案" in error.reason


def test_table_file_with_one_bad_row_returns_nothing():
    rows = [row("判断题", f"好题{n}", answer="对") for n in range(100)] + [row("判断题", "坏题", answer="?")]
    assert import_error(xlsx_file(rows), "q.xlsx").line == 102


@pytest.mark.parametrize("data", [b"not an excel file", b"PK\x03\x04 broken zip", b"PK\x03\x04" + b"\x00" * 200])
def test_unreadable_excel_is_refused(data):
    error = import_error(data, "questions.xlsx")
    assert error.line == 0 and ".xlsx" in str(error)


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<xml/>")
    assert import_error(buffer.getvalue(), "questions.xlsx").line == 0


# --- templates ------------------------------------------------------------------------------------

def test_template_workbook_has_the_headers_notes_and_type_pick_list():
    workbook = load_workbook(io.BytesIO(template_workbook()))
    assert workbook.sheetnames == ["题目", "说明"]
    sheet = workbook["题目"]
    assert [cell.value for cell in sheet[1]] == HEADERS == [
        "题型", "题干", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F", "答案", "解析", "标签", "计分方式"]
    lists = {str(rule.sqref): rule.formula1 for rule in sheet.data_validations.dataValidation}
    assert lists["A2:A100000"] == '"单选题,多选题,判断题,填空题,简答题"'
    notes = " ".join(str(cell.value) for column in workbook["说明"].iter_cols() for cell in column if cell.value)
    for header in ("题型", "题干", "选项A", "答案", "解析", "标签", "计分方式"):
        assert header in notes


def test_empty_templates_import_as_no_questions():
    assert import_error(template_workbook(), "模板.xlsx").line == 0
    assert import_error(template_csv(), "模板.csv").line == 0


def test_template_csv_is_the_header_line_with_bom():
    data = template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    assert next(csv.reader(io.StringIO(data.decode("utf-8-sig")))) == HEADERS


def test_template_examples_import_cleanly():
    questions = parse_questions(xlsx_file(TEMPLATE_EXAMPLES), "examples.xlsx")
    assert [q.type for q in questions] == ["single", "multiple", "true_false", "fill_blank", "short_answer"]


# --- robustness -----------------------------------------------------------------------------------

GIFT_PIECES = ["{", "}", "=", "~", "#", "####", "%", "%50%", "%-100%", "::", "\\", "\\n", "->", "\n", "\n\n",
               "//", "$CATEGORY:", "T", "FALSE", "题", "甲", " ", "A.", "B)", "ANSWER:", "A", ",", "\"", "\r",
               "[html]", "\t", "1.5", "对", "单选题", "多选"]


def random_input(rng):
    """Random bytes, or random text built from the formats' own syntax (which reaches deeper)."""
    kind = rng.randrange(4)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
    text = "".join(rng.choice(GIFT_PIECES) for _ in range(rng.randrange(1, 80)))
    if kind == 1:
        return text.encode(rng.choice(["utf-8", "utf-8-sig", "gb18030"]))
    if kind == 2:
        header = ",".join(rng.sample(HEADERS, rng.randrange(1, len(HEADERS) + 1)))
        return (header + "\n" + text.replace("\\", ",")).encode("utf-8")
    data = bytearray(xlsx_file([row("多选题", "题", ["甲", "乙"], "AB")]))
    for _ in range(rng.randrange(1, 6)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def test_garbage_never_raises_anything_but_an_import_error():
    rng = random.Random(20240601)
    names = ["q.gift", "q.txt", "q.csv", "q.xlsx", "q", "q.xls"]
    for attempt in range(200):
        data, name = random_input(rng), rng.choice(names)
        try:
            questions = parse_questions(data, name)
        except QuestionImportError as error:
            assert isinstance(error.line, int) and error.line >= 0 and str(error)
        else:
            assert questions, (attempt, name, data)
            for question in questions:
                check_contract(question)

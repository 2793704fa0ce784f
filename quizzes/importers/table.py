"""Question tables: an Excel (.xlsx) or CSV file with a header row and one question per row."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import TextIO

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from learning_app.spreadsheets import binary_stream

from .common import KEYS, ParsedQuestion, QuestionImportError, count_question, make_options

OPTION_KEYS = "ABCDEF"
# Column key -> accepted headers, the template's Chinese first.
COLUMNS = {
    "type": ("题型", "type"),
    "stem": ("题干", "stem"),
    **{f"option_{key}": (f"选项{key}", f"option {key}") for key in OPTION_KEYS},
    "answer": ("答案", "answer"),
    "explanation": ("解析", "explanation"),
    "tags": ("标签", "tags"),
    "scoring": ("计分方式", "scoring"),
}
REQUIRED = ("type", "stem", "answer")
TYPE_NAMES = {"single": ("单选题", "单选"), "multiple": ("多选题", "多选"), "true_false": ("判断题", "判断"),
              "fill_blank": ("填空题", "填空"), "short_answer": ("简答题", "简答")}
TYPES = {name: kind for kind, names in TYPE_NAMES.items() for name in (kind, *names)}
TRUE_WORDS = {"对", "正确", "√", "✓", "t", "true"}
FALSE_WORDS = {"错", "错误", "×", "✗", "f", "false"}
PARTIAL_WORDS = {"按比例", "部分得分", "partial"}
LETTER_SEPARATORS = re.compile(r"[\s,，、;；]+")
FILL_SEPARATORS = re.compile(r"[|｜;；]")
TAG_SEPARATORS = re.compile(r"[,，、;；]")


def parse_xlsx(data) -> list[ParsedQuestion]:
    """An .xlsx file (a binary stream or its bytes), read a row at a time (openpyxl's read-only mode)."""
    try:
        workbook = load_workbook(binary_stream(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or fake file
        raise QuestionImportError(0, _("The Excel file cannot be read: is it a real .xlsx file?")) from error
    return parse_rows(_xlsx_rows(workbook))


def parse_csv(text: str | TextIO) -> list[ParsedQuestion]:
    """CSV text, or a text stream opened with newline="" (read a row at a time)."""
    source = io.StringIO(text, newline="") if isinstance(text, str) else text  # "" lets csv see bare \r ends
    return parse_rows(_csv_rows(source))


def _csv_rows(source: TextIO) -> Iterator[list[str]]:
    reader = csv.reader(source)
    try:
        for row in reader:
            if any("\x00" in cell for cell in row):
                raise QuestionImportError(0, _("This is not a text file."))
            yield row
    except UnicodeDecodeError:
        raise QuestionImportError(reader.line_num + 1, _("This line is neither UTF-8 nor GBK text.")) from None
    except csv.Error as error:
        raise QuestionImportError(0, _("The CSV file cannot be read.")) from error


def _xlsx_rows(workbook) -> Iterator[list[str]]:
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            yield [_cell_text(value) for value in row]
    except Exception as error:  # a damaged sheet is found only while reading it
        raise QuestionImportError(0, _("The Excel file cannot be read: is it a real .xlsx file?")) from error
    finally:
        workbook.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores every number as a float: 1949 must not become "1949.0"
    return str(value)


def parse_rows(rows: Iterable[list[str]]) -> list[ParsedQuestion]:
    """Rows of cell texts, the header first (row 1); fully empty rows are skipped. Read as needed."""
    rows = iter(rows)
    header = [cell.strip() for cell in next(rows, [])]
    columns = _header_map(header) if any(header) else None
    questions = []
    for number, cells in enumerate(rows, start=2):
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        columns = columns or _header_map(header)  # a blank header with rows below it lacks every column
        count_question(questions, number)
        padded = cells + [""] * (max(columns.values()) + 1 - len(cells))
        questions.append(_parse_row(number, {key: padded[columns[key]] if key in columns else ""
                                             for key in COLUMNS}))
    return questions


def _normalise_header(text: str) -> str:
    return re.sub(r"[\s_*]", "", text).lower()  # "选项 A", "Option_a" and "*题型" all count


def _header_map(header: list[str]) -> dict[str, int]:
    cells = [_normalise_header(cell) for cell in header]
    found = {}
    for key, names in COLUMNS.items():
        wanted = {_normalise_header(name) for name in names}
        index = next((index for index, cell in enumerate(cells) if cell in wanted), None)
        if index is not None:
            found[key] = index
    missing = [COLUMNS[key][0] for key in REQUIRED if key not in found]
    if missing:
        raise QuestionImportError(1, _("The header row lacks the columns: %(columns)s. "
                                       "Download the template to see them.", columns="、".join(missing)))
    return found


def _parse_row(number: int, value: dict[str, str]) -> ParsedQuestion:
    kind = TYPES.get(value["type"].lower())
    if kind is None:
        raise QuestionImportError(number, _(
            "Unknown question type “%(type)s”: use 单选题, 多选题, 判断题, 填空题 or 简答题.", type=value["type"]))
    if not value["stem"]:
        raise QuestionImportError(number, _("The question text is empty."))
    question = ParsedQuestion(number, kind, value["stem"], [], None, explanation=value["explanation"],
                              tags=_tags(value["tags"]))
    ANSWER_READERS[kind](question, value)
    return question


def _tags(text: str) -> list[str]:
    return list(dict.fromkeys(tag.strip() for tag in TAG_SEPARATORS.split(text) if tag.strip()))


def _option_texts(line: int, value: dict[str, str]) -> list[str]:
    texts = [value[f"option_{key}"] for key in OPTION_KEYS]
    while texts and not texts[-1]:
        texts.pop()
    if "" in texts:  # a gap would shift the letters the answer refers to
        raise QuestionImportError(line, _("Option %(key)s is empty although a later option is filled.",
                                          key=KEYS[texts.index("")]))
    if len(texts) < 2:
        raise QuestionImportError(line, _("A choice question needs at least two options."))
    return texts


def _read_choice(question: ParsedQuestion, value: dict[str, str]) -> None:
    texts = _option_texts(question.line, value)
    keys = KEYS[:len(texts)]
    letters = sorted(set(LETTER_SEPARATORS.sub("", value["answer"]).upper()))
    if not letters:
        raise QuestionImportError(question.line, _("The answer is empty."))
    if not set(letters) <= set(keys):
        raise QuestionImportError(question.line, _("The answer “%(answer)s” is not one of the options %(keys)s.",
                                                   answer=value["answer"], keys=", ".join(keys)))
    if question.type == "single" and len(letters) > 1:
        raise QuestionImportError(question.line, _("A single-choice question has one answer, not “%(answer)s”.",
                                                   answer=value["answer"]))
    question.options = make_options(texts)
    if question.type == "single":
        question.answer = letters[0]
    else:
        question.answer = letters
        question.partial_credit = value["scoring"].lower() in PARTIAL_WORDS


def _read_true_false(question: ParsedQuestion, value: dict[str, str]) -> None:
    word = value["answer"].lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        raise QuestionImportError(question.line, _("“%(answer)s” is not a true-or-false answer: use 对 or 错.",
                                                   answer=value["answer"]))
    question.answer = word in TRUE_WORDS


def _read_fill_blank(question: ParsedQuestion, value: dict[str, str]) -> None:
    answers = [answer.strip() for answer in FILL_SEPARATORS.split(value["answer"])]
    question.answer = list(dict.fromkeys(answer for answer in answers if answer))
    if not question.answer:
        raise QuestionImportError(question.line, _("The answer is empty."))


def _read_short_answer(question: ParsedQuestion, value: dict[str, str]) -> None:
    question.answer = value["answer"]  # the reference answer for the grader; may be empty


ANSWER_READERS = {"single": _read_choice, "multiple": _read_choice, "true_false": _read_true_false,
                  "fill_blank": _read_fill_blank, "short_answer": _read_short_answer}

HEADERS = [names[0] for names in COLUMNS.values()]
TEMPLATE_NOTES = (
    "每行一道题，第 1 行是表头，请勿改动表头；空行会被跳过。",
    "题型：单选题、多选题、判断题、填空题或简答题（可从下拉列表中选择）。",
    "题干：必填，题目的正文。",
    "选项A 至 选项F：单选题和多选题的选项，至少两个，从选项A起依次填写，中间不要空格子；其他题型不填。",
    "答案：单选题填一个字母，如 B；多选题填全部正确选项的字母，如 ACD 或 A,C,D；"
    "判断题填 对 或 错（也可填 正确/错误、√/×）；填空题填可接受的答案，几种写法用 | 分隔，如 北京|北京市；"
    "简答题填参考答案，可留空。",
    "解析：可选，作答后显示给学员的解析。",
    "标签：可选，几个标签用逗号或顿号分隔，如 党史、党章。",
    "计分方式：只对多选题有效。填 按比例 时按选对的比例得分，选错的选项会抵扣得分；"
    "留空或填 全对得分 时须全部选对才得分。",
    "文件中任何一行有误时整个文件都不会导入，页面会提示出错的行号及原因。",
)
TEMPLATE_EXAMPLES = (
    ("单选题", "中国共产党第一次全国代表大会在哪一年召开？", "1919", "1921", "1927", "1949", "", "", "B",
     "1921 年 7 月，中共一大召开。", "党史", ""),
    ("多选题", "下列属于党的优良作风的有：", "理论联系实际", "密切联系群众", "批评与自我批评", "形式主义", "", "",
     "ABC", "", "党的建设", "按比例"),
    ("判断题", "党员应当按期交纳党费。", "", "", "", "", "", "", "对", "", "党章", ""),
    ("填空题", "中华人民共和国的首都是____。", "", "", "", "", "", "", "北京|北京市", "", "", ""),
    ("简答题", "简述党员的义务。", "", "", "", "", "", "", "参考答案：……", "", "党章", ""),
)


def template_workbook() -> bytes:
    """The downloadable .xlsx template: the header row, pick-lists and a 说明 sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "题目"
    sheet.append(HEADERS)
    sheet.freeze_panes = "A2"
    for index, width in enumerate((10, 40, 16, 16, 16, 16, 16, 16, 12, 30, 16, 12), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    _add_pick_list(sheet, "type", [names[0] for names in TYPE_NAMES.values()])
    _add_pick_list(sheet, "scoring", ["按比例", "全对得分"])
    notes = workbook.create_sheet("说明")
    notes.column_dimensions["A"].width = 100
    for line in TEMPLATE_NOTES:
        notes.append([line])
    notes.append([])
    notes.append(["示例（复制到“题目”表中使用）："])
    notes.append(HEADERS)
    for example in TEMPLATE_EXAMPLES:
        notes.append(list(example))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _add_pick_list(sheet, key: str, values: list[str]) -> None:
    column = get_column_letter(list(COLUMNS).index(key) + 1)
    rule = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
    rule.add(f"{column}2:{column}100000")
    sheet.add_data_validation(rule)


def template_csv() -> bytes:
    """The header line, UTF-8 with BOM so that Excel on Chinese Windows shows it right."""
    return ("\ufeff" + ",".join(HEADERS) + "\r\n").encode("utf-8")

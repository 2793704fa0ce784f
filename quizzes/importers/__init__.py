"""Reading question files (Excel/CSV tables, GIFT, Aiken) into ParsedQuestion objects.

Pure functions: no database and no request. A file is imported all or nothing, so every
parser stops at the first bad question and raises QuestionImportError naming its line.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from learning_app.spreadsheets import decode_text

KEYS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # option keys, in file order
ZIP_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip archive
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls, which openpyxl cannot read


@dataclass
class ParsedQuestion:
    line: int             # first line (GIFT/Aiken) or spreadsheet row number (header = row 1) of the question
    type: str             # "single" | "multiple" | "true_false" | "fill_blank" | "short_answer"
    stem: str
    options: list[dict]   # single/multiple: [{"key": "A", "text": "...", "weight": float}] keys A,B,C... in file order; [] for other types
    answer: object        # single: "A"; multiple: ["A", "C"] (sorted); true_false: True/False; fill_blank: ["accepted", ...]; short_answer: reference answer text ("" allowed)
    partial_credit: bool = False   # multiple only: True when weights are given (GIFT %n%) or the sheet says partial
    explanation: str = ""
    tags: list[str] = field(default_factory=list)
    title: str = ""


class QuestionImportError(ValueError):
    """A question file cannot be imported; str(error) is the message for the user.

    line is the question's first line or row; 0 means the file as a whole, and then
    the message is the reason alone.
    """

    def __init__(self, line: int, reason: str):
        self.line, self.reason = line, reason
        super().__init__(_("Line %(line)s: %(reason)s", line=line, reason=reason) if line else reason)


def make_options(texts: list[str], weights: list[float] | None = None) -> list[dict]:
    """Options keyed A, B, C… in order; weight 0.0 everywhere means the file gave no weights."""
    weights = weights or [0.0] * len(texts)
    return [{"key": key, "text": text, "weight": weight} for key, text, weight in zip(KEYS, texts, weights)]


def split_lines(text: str) -> list[str]:
    """Lines as an editor numbers them (str.splitlines also breaks at form feeds and the like)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def read_text(data: bytes) -> str:
    try:
        text = decode_text(data)
    except ValueError:
        raise QuestionImportError(0, _("The file is neither UTF-8 nor GBK encoded.")) from None
    if "\x00" in text:  # a binary file that happened to decode
        raise QuestionImportError(0, _("This is not a text file."))
    return text


def parse_questions(data: bytes, filename: str) -> list[ParsedQuestion]:
    """Choose the format by content and extension: .xlsx (zip content) and .csv -> table; .gift -> GIFT; .txt -> Aiken if it looks like Aiken (has ANSWER: lines) else GIFT. Raise QuestionImportError for the FIRST bad question (with its line/row and reason) and never return a partial list. Empty file / no questions -> QuestionImportError(0, ...)."""
    if not data.strip():
        raise QuestionImportError(0, _("The file is empty."))
    questions = _parse_by_format(data, (filename or "").strip().lower())
    if not questions:
        raise QuestionImportError(0, _("The file holds no questions."))
    return questions


def _parse_by_format(data: bytes, name: str) -> list[ParsedQuestion]:
    # Content first: Excel files are often renamed, and WPS saves old .xls under any name.
    if data.startswith(ZIP_MAGIC) or name.endswith(".xlsx"):
        return table.parse_xlsx(data)
    if data.startswith(OLE_MAGIC) or name.endswith(".xls"):
        raise QuestionImportError(0, _("Old .xls files cannot be read: save the file as .xlsx and upload it again."))
    extension = name.rpartition(".")[2] if "." in name else ""
    if extension not in ("csv", "gift", "txt"):
        raise QuestionImportError(0, _("Upload an Excel (.xlsx), CSV (.csv), GIFT (.gift) or Aiken (.txt) file."))
    text = read_text(data)
    if extension == "csv":
        return table.parse_csv(text)
    if extension == "txt" and aiken.looks_like_aiken(text):
        return aiken.parse_aiken(text)
    return gift.parse_gift(text)


# Imported last because the format modules use the classes and helpers defined above.
from . import aiken, gift, table  # noqa: E402

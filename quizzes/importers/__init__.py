"""Reading question files (Excel/CSV tables, GIFT, Aiken) into ParsedQuestion objects.

Pure functions: no database and no request. A file is imported all or nothing, so every
parser stops at the first bad question and raises QuestionImportError naming its line.
Files are streamed (rows and lines as read, never the whole file in memory).
"""
from __future__ import annotations

from flask_babel import gettext as _

from learning_app.spreadsheets import binary_stream, text_encoding, text_reader

from . import aiken, gift, table
from .common import MAX_QUESTION_CHARS, MAX_QUESTIONS, ParsedQuestion, QuestionImportError, make_options

# The names callers use, whichever module holds them.
__all__ = ["MAX_QUESTION_CHARS", "MAX_QUESTIONS", "ParsedQuestion", "QuestionImportError", "make_options",
           "parse_questions"]

ZIP_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip archive
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls, which openpyxl cannot read


def parse_questions(data, filename: str) -> list[ParsedQuestion]:
    """Read a question file (a binary stream or its bytes) into questions, all of them or none.

    Choose the format by content and extension: .xlsx (zip content) and .csv -> table; .gift -> GIFT;
    .txt -> Aiken if it looks like Aiken (has ANSWER: lines) else GIFT. Raise QuestionImportError for
    the FIRST bad question (with its line/row and reason) and never return a partial list. Empty file /
    no questions -> QuestionImportError(0, ...). The file is streamed: a row or line at a time, stopping
    at MAX_QUESTIONS, so memory follows the questions kept, not the file's size.
    """
    stream = binary_stream(data)
    if _is_blank(stream):
        raise QuestionImportError(0, _("The file is empty."))
    questions = _parse_by_format(stream, (filename or "").strip().lower())
    if not questions:
        raise QuestionImportError(0, _("The file holds no questions."))
    return questions


def _is_blank(stream) -> bool:
    try:
        while chunk := stream.read(64 * 1024):
            if chunk.strip():
                return False
        return True
    finally:
        stream.seek(0)


def _parse_by_format(stream, name: str) -> list[ParsedQuestion]:
    # Content first: Excel files are often renamed, and WPS saves old .xls under any name.
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(ZIP_MAGIC) or name.endswith(".xlsx"):
        return table.parse_xlsx(stream)
    if head.startswith(OLE_MAGIC) or name.endswith(".xls"):
        raise QuestionImportError(0, _("Old .xls files cannot be read: save the file as .xlsx and upload it again."))
    extension = name.rpartition(".")[2] if "." in name else ""
    if extension not in ("csv", "gift", "txt"):
        raise QuestionImportError(0, _("Upload an Excel (.xlsx), CSV (.csv), GIFT (.gift) or Aiken (.txt) file."))
    try:
        encoding = text_encoding(stream)
    except ValueError:
        raise QuestionImportError(0, _("The file is neither UTF-8 nor GBK encoded.")) from None
    if extension == "csv":
        with text_reader(stream, encoding) as text:
            return table.parse_csv(text)
    if extension == "txt":
        with text_reader(stream, encoding) as text:
            aiken_file = aiken.looks_like_aiken(text)
        stream.seek(0)
        if aiken_file:
            with text_reader(stream, encoding) as text:
                return aiken.parse_aiken(text)
    with text_reader(stream, encoding) as text:
        return gift.parse_gift(text)

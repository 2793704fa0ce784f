"""What every question-file format shares: the parsed question, the import error, the option and line helpers.

The format modules (table, gift, aiken) import from here, and the package's parse_questions imports
them: one direction, so no module waits on a half-initialised package.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TextIO

from flask_babel import gettext as _
from flask_babel import ngettext

KEYS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # option keys, in file order
# A file is refused past these, before the rest is read: a bank gains questions a file at a time, and
# ParsedQuestion objects cost about 1 KB each, so memory stays bounded whatever the file's size.
MAX_QUESTIONS = 5000
MAX_QUESTION_CHARS = 65_536  # one question (a GIFT block, an Aiken question) or one line


@dataclass
class ParsedQuestion:
    line: int             # first line (GIFT/Aiken) or spreadsheet row number (header = row 1) of the question
    type: str             # "single" | "multiple" | "true_false" | "fill_blank" | "short_answer"
    stem: str
    # single/multiple: [{"key": "A", "text": "...", "weight": float}] keys A,B,C... in file order; [] for other types
    options: list[dict]
    # single: "A"; multiple: ["A", "C"] (sorted); true_false: True/False; fill_blank: ["accepted", ...];
    # short_answer: reference answer text ("" allowed)
    answer: object
    partial_credit: bool = False   # options' weights count: GIFT %n% weights, or the sheet says partial
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
    return [{"key": key, "text": text, "weight": weight}
            for key, text, weight in zip(KEYS, texts, weights, strict=False)]


def split_lines(text: str) -> list[str]:
    """Lines as an editor numbers them (str.splitlines also breaks at form feeds and the like)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def numbered_lines(source: str | TextIO) -> Iterator[tuple[int, str]]:
    """(line number, line without its end) of a text or of a text stream opened with newline="".

    A stream is read a line at a time, and a line longer than MAX_QUESTION_CHARS is refused before
    more of it is read, so a file of one huge line costs no more memory than a short one.
    """
    if isinstance(source, str):
        yield from enumerate(split_lines(source), start=1)
        return
    number = 0
    while line := _read_line(source, number + 1):
        number += 1
        yield number, line.rstrip("\r\n")


def _read_line(stream: TextIO, number: int) -> str:
    try:
        line = stream.readline(MAX_QUESTION_CHARS + 1)
    except UnicodeDecodeError:
        raise QuestionImportError(number, _("This line is neither UTF-8 nor GBK text.")) from None
    if "\x00" in line:  # a binary file that happened to decode
        raise QuestionImportError(0, _("This is not a text file."))
    if len(line) > MAX_QUESTION_CHARS:
        raise QuestionImportError(number, ngettext("The line is longer than %(max)s character.",
                                                   "The line is longer than %(max)s characters.",
                                                   MAX_QUESTION_CHARS, max=MAX_QUESTION_CHARS))
    return line


def count_question(questions: list[ParsedQuestion], line: int) -> None:
    """Refuse a file with more than MAX_QUESTIONS questions as soon as the next one begins."""
    if len(questions) >= MAX_QUESTIONS:
        raise QuestionImportError(line, ngettext("The file holds more than %(max)s question: split it into smaller "
                                                 "files.",
                                                 "The file holds more than %(max)s questions: split it into smaller "
                                                 "files.", MAX_QUESTIONS, max=MAX_QUESTIONS))

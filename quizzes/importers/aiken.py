"""Aiken: single-choice questions as plain lines, as Moodle reads them.

    中国共产党成立于哪一年？
    A. 1919
    B. 1921
    ANSWER: B

The ANSWER line ends a question, so blank lines between questions are optional.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TextIO

from flask_babel import gettext as _
from flask_babel import ngettext

from .common import (
    KEYS,
    MAX_QUESTION_CHARS,
    ParsedQuestion,
    QuestionImportError,
    count_question,
    make_options,
    numbered_lines,
)

# "A." and "A)" as in Moodle, plus the full-width forms Chinese input methods type.
OPTION = re.compile(r"^([A-Z])\s*[.)．）、]\s*(.*)$")
ANSWER = re.compile(r"^ANSWER\s*[:：]\s*(.*)$", re.IGNORECASE)


@dataclass
class _Draft:
    line: int
    stem: list[str]
    options: list[str] = field(default_factory=list)
    size: int = 0  # characters so far


def looks_like_aiken(text: str | TextIO) -> bool:
    return any(ANSWER.match(line.strip()) for _number, line in numbered_lines(text))


def parse_aiken(text: str | TextIO) -> list[ParsedQuestion]:
    questions, draft = [], None
    for number, line in numbered_lines(text):
        line = line.strip()
        if not line:
            continue
        answer = ANSWER.match(line)
        if answer:
            questions.append(_finish(draft, number, answer.group(1)))
            draft = None
        elif draft is None:
            count_question(questions, number)
            draft = _Draft(number, [line])
        else:
            _add_line(draft, number, line)
            draft.size += len(line)
            if draft.size > MAX_QUESTION_CHARS:
                raise QuestionImportError(draft.line, ngettext(
                    "The question is longer than %(max)s character.", "The question is longer than %(max)s characters.",
                    MAX_QUESTION_CHARS, max=MAX_QUESTION_CHARS))
    if draft is not None:
        raise QuestionImportError(draft.line, _("The question has no “ANSWER:” line."))
    return questions


def _add_line(draft: _Draft, number: int, line: str) -> None:
    option = OPTION.match(line)
    # Only an "A." line starts the options; before it, a line like "B. …" is still the question text.
    if option and (draft.options or option.group(1) == "A"):
        if len(draft.options) == len(KEYS):
            raise QuestionImportError(number, _("A choice question may have at most 26 options."))
        expected = KEYS[len(draft.options)]
        if option.group(1) != expected:
            raise QuestionImportError(number, _("Option %(found)s should be %(expected)s.",
                                                found=option.group(1), expected=expected))
        if not option.group(2).strip():
            raise QuestionImportError(number, _("Option %(key)s is empty.", key=expected))
        draft.options.append(option.group(2).strip())
    elif draft.options:
        # Text after the options means a new question began before this one had its answer.
        raise QuestionImportError(draft.line, _("The question has no “ANSWER:” line."))
    else:
        draft.stem.append(line)


def _finish(draft: _Draft | None, number: int, letter: str) -> ParsedQuestion:
    if draft is None:
        raise QuestionImportError(number, _("This “ANSWER:” line has no question before it."))
    if len(draft.options) < 2:
        raise QuestionImportError(draft.line, _("A choice question needs at least two options."))
    keys = KEYS[:len(draft.options)]
    letter = letter.strip().upper()
    if len(letter) != 1 or letter not in keys:
        raise QuestionImportError(number, _("The answer “%(answer)s” is not one of the options %(keys)s.",
                                            answer=letter, keys=", ".join(keys)))
    return ParsedQuestion(draft.line, "single", "\n".join(draft.stem), make_options(draft.options), letter)

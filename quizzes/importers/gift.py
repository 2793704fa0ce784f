"""GIFT, Moodle's plain-text question format: the subset people write by hand or export from Moodle.

Supported: ::title::, // comments, $CATEGORY: (its last segment becomes a tag), single and
multiple choice with %n% weights (single choice with partial credit too), fill-in {=a =b},
true/false {T}/{F}, essay {}, per-answer feedback (dropped), ####general feedback (the explanation),
the escapes \\~ \\= \\# \\{ \\} \\: \\n, and the text formats [html], [moodle], [markdown] and
[plain], read into plain text (markup.py).
"""
from __future__ import annotations

import re
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
from .markup import as_text, split_format

# Escaped characters become private-use code points before parsing, so that the parser
# only ever sees real syntax; _clean() turns them back into the literal characters.
ESCAPES = {"~": "\ue000", "=": "\ue001", "#": "\ue002", "{": "\ue003", "}": "\ue004", ":": "\ue005",
           "\\": "\ue006", "n": "\ue007"}
UNESCAPE = str.maketrans({code: ("\n" if char == "n" else char) for char, code in ESCAPES.items()})
STRAY_CODES = str.maketrans({code: None for code in ESCAPES.values()})
ESCAPE_PATTERN = re.compile(r"\\([~=#{}:\\n])")
CATEGORY = re.compile(r"^\$CATEGORY:\s*(.*)$", re.IGNORECASE)
WEIGHT = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")
TRUE_WORDS, FALSE_WORDS = ("t", "true"), ("f", "false")
PLACEHOLDER = "____"
BLANK = "\ue010"  # stands for the gap while the text is converted: Markdown could read "____" as emphasis


def parse_gift(text: str | TextIO) -> list[ParsedQuestion]:
    """GIFT text, or a text stream opened with newline="" (read a line at a time)."""
    questions, tags = [], []
    for block in _blocks(text):
        body = []
        for number, line in block:
            category = CATEGORY.match(line.strip())
            if category:
                tags = _category_tags(category.group(1))
            else:
                body.append((number, line))
        if body:
            count_question(questions, body[0][0])
            questions.append(_parse_question(body[0][0], "\n".join(line for _number, line in body), tags))
    return questions


def _blocks(text: str | TextIO):
    """Questions are separated by blank lines; comment lines are dropped. Yields [(line number, line)].

    Escapes never span lines, so each line is escaped as it is read."""
    block, size = [], 0
    for number, line in numbered_lines(text):
        if line.strip().startswith("//"):
            continue
        if line.strip():
            block.append((number, ESCAPE_PATTERN.sub(lambda match: ESCAPES[match.group(1)],
                                                     line.translate(STRAY_CODES))))
            size += len(line)
            if size > MAX_QUESTION_CHARS:
                raise QuestionImportError(block[0][0], ngettext(
                    "The question is longer than %(max)s character.", "The question is longer than %(max)s characters.",
                    MAX_QUESTION_CHARS, max=MAX_QUESTION_CHARS))
        elif block:
            yield block
            block, size = [], 0
    if block:
        yield block


def _category_tags(path: str) -> list[str]:
    # "$course$/top/党史/百年党史" -> ["百年党史"]; Moodle's own "$course$" and "top" are not topics.
    segments = [segment.strip() for segment in path.split("/")]
    segments = [s for s in segments if s and s.lower() != "top" and not (s.startswith("$") and s.endswith("$"))]
    return [_clean(segments[-1])] if segments else []


def _clean(text: str, text_format: str = "plain") -> str:
    """Plain text without GIFT escapes; its own [format] marker, else `text_format`, says how to read it."""
    text_format, text = split_format(text, text_format)
    return as_text(text.translate(UNESCAPE), text_format).strip()


def _parse_question(line: int, text: str, tags: list[str]) -> ParsedQuestion:
    title, text = _split_title(line, text)
    # Moodle: the question text's format (Moodle's export writes [html]) is also its answers' and feedback's.
    text_format, text = split_format(text, "plain")
    before, block, after = _split_answer_block(line, text)
    # An answer block inside the sentence (a "missing word" question) leaves a gap in the stem.
    stem = _clean(before + BLANK + after if after.strip() else before, text_format).replace(BLANK, PLACEHOLDER)
    if not stem:
        raise QuestionImportError(line, _("The question text is empty."))
    question = ParsedQuestion(line, "", stem, [], None, title=title, tags=list(tags))
    _read_answer_block(question, block, text_format)
    return question


def _split_title(line: int, text: str) -> tuple[str, str]:
    text = text.lstrip()
    if not text.startswith("::"):
        return "", text
    end = text.find("::", 2)
    if end < 0:
        raise QuestionImportError(line, _("The title is not closed with “::”."))
    return _clean(text[2:end]), text[end + 2:]


def _split_answer_block(line: int, text: str) -> tuple[str, str, str]:
    start = text.find("{")
    if start < 0:
        if "}" in text:
            raise QuestionImportError(line, _("A “}” has no matching “{”."))
        raise QuestionImportError(line, _("The question has no answer block {…}."))
    if "}" in text[:start]:
        raise QuestionImportError(line, _("A “}” has no matching “{”."))
    end = text.find("}", start)
    if end < 0 or "{" in text[start + 1:end]:
        raise QuestionImportError(line, _("The “{” is not closed by a “}”."))
    after = text[end + 1:]
    if "{" in after or "}" in after:
        raise QuestionImportError(line, _("A question may have only one answer block {…}."))
    return text[:start], text[start + 1:end], after


def _read_answer_block(question: ParsedQuestion, block: str, text_format: str) -> None:
    content, _separator, feedback = block.partition("####")
    question.explanation = _clean(feedback, text_format)
    content = content.strip()
    if not content:
        question.type, question.answer = "short_answer", ""
    elif content.startswith("#"):
        raise QuestionImportError(question.line, _("Numeric answers {#…} are not supported."))
    elif "~" in content:
        _read_choices(question, content, text_format)
    elif "=" in content and "->" in content:
        raise QuestionImportError(question.line, _("Matching questions (“->”) are not supported."))
    elif "=" in content:
        _read_fill_blank(question, content, text_format)
    else:
        _read_true_false(question, content)


def _entries(line: int, content: str, text_format: str) -> list[tuple[str, float | None, str]]:
    """The answers of a block as (marker "=" or "~", weight as a fraction or None, text)."""
    parts = re.split(r"([=~])", content)
    if parts[0].strip():
        raise QuestionImportError(line, _("The answer block has text before its first “=” or “~”."))
    entries = []
    for marker, body in zip(parts[1::2], parts[2::2], strict=True):
        weight, body = _split_weight(line, body)
        text = _clean(body.partition("#")[0], text_format)  # what follows "#" is per-answer feedback: dropped
        if not text:
            raise QuestionImportError(line, _("An answer in the answer block is empty."))
        entries.append((marker, weight, text))
    return entries


def _split_weight(line: int, body: str) -> tuple[float | None, str]:
    match = WEIGHT.match(body)
    if not match:
        if body.lstrip().startswith("%"):
            raise QuestionImportError(line, _("A weight must be written like %(example)s.", example="%50%"))
        return None, body
    percent = float(match.group(1))
    if not -100 <= percent <= 100:
        raise QuestionImportError(line, _("A weight must lie between %(low)s and %(high)s.", low="-100%", high="100%"))
    return percent / 100, body[match.end():]


def _read_choices(question: ParsedQuestion, content: str, text_format: str) -> None:
    entries = _entries(question.line, content, text_format)
    if len(entries) < 2:
        raise QuestionImportError(question.line, _("A choice question needs at least two options."))
    if len(entries) > len(KEYS):
        raise QuestionImportError(question.line, _("A choice question may have at most 26 options."))
    weighted = any(weight is not None for _marker, weight, _text in entries)
    fractions = [1.0 if weight is None and marker == "=" else weight or 0.0 for marker, weight, _text in entries]
    # Weights are kept only when the file gives them: all zero tells the grader to split evenly.
    question.options = make_options([text for _marker, _weight, text in entries], fractions if weighted else None)
    right_marks = sum(marker == "=" for marker, _weight, _text in entries)
    _set_choice_answer(question, fractions, weighted, right_marks)


def _set_choice_answer(question: ParsedQuestion, fractions: list[float], weighted: bool, right_marks: int) -> None:
    """One fully right option is single choice, and so is one "=" answer beside weighted "~" answers
    (Moodle's single choice with partial credit: {~wrong ~%50%half =full}); anything else is multiple choice."""
    correct = [key for key, fraction in zip(KEYS, fractions, strict=False) if fraction > 0]
    if not correct:
        raise QuestionImportError(question.line, _("The question has no correct answer (mark it with “=”)."))
    if max(fractions) == 1.0 and (len(correct) == 1 or (weighted and right_marks == 1)):
        question.type, question.answer = "single", KEYS[fractions.index(1.0)]
        question.partial_credit = len(correct) > 1  # the other options' weights are their share of the marks
        return
    # Several "=" without weights mean "choose all of these": all or nothing.
    question.type, question.answer, question.partial_credit = "multiple", correct, weighted
    total = sum(fraction for fraction in fractions if fraction > 0)
    if weighted and abs(total - 1.0) > 0.01 + 1e-9:  # a point of slack: Moodle writes thirds as 33.33333%
        raise QuestionImportError(question.line, _("The positive weights add up to %(total)s%%, not 100%%.",
                                                   total=f"{total * 100:g}"))


def _read_fill_blank(question: ParsedQuestion, content: str, text_format: str) -> None:
    entries = _entries(question.line, content, text_format)
    if any(weight not in (None, 1.0) for _marker, weight, _text in entries):
        raise QuestionImportError(question.line, _("Fill-in answers can only be fully right: remove the weights."))
    question.type = "fill_blank"
    question.answer = list(dict.fromkeys(text for _marker, _weight, text in entries))


def _read_true_false(question: ParsedQuestion, content: str) -> None:
    word = content.partition("#")[0].strip().lower()  # {T#feedback if wrong#feedback if right}
    if word not in TRUE_WORDS + FALSE_WORDS:
        raise QuestionImportError(question.line, _(
            "This answer block is not supported: use {=right ~wrong}, {=answer}, {T}, {F} or {}."))
    question.type, question.answer = "true_false", word in TRUE_WORDS

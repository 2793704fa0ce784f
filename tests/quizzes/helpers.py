"""Plain helpers shared by the quizzes tests."""
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from learning_app.extensions import db
from quizzes.importers import ParsedQuestion, make_options
from quizzes.models import Attempt

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def at(seconds=0, minutes=0, days=0):
    """A fixed moment plus an offset: service calls take explicit `now=` values."""
    return T0 + timedelta(seconds=seconds, minutes=minutes, days=days)


def fresh(obj):
    """The row as the database has it now (each request runs in its own session)."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def attempt_ids(user, quiz):
    db.session.expire_all()
    return list(db.session.scalars(select(Attempt.id).where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)
                                   .order_by(Attempt.number)))


def answer_at(attempt, question):
    """The attempt's AttemptAnswer for a question."""
    return next(answer for answer in attempt.answers if answer.question_id == question.id)


def location(response) -> str:
    return response.headers.get("Location", "")


# The correct response for each kind of default question below, and a wrong one.
RIGHT = {"single": "A", "multiple": ["A", "C"], "true_false": True, "fill_blank": "2012", "short_answer": "我的回答"}
WRONG = {"single": "B", "multiple": ["B"], "true_false": False, "fill_blank": "1921", "short_answer": ""}


def parsed_question(type="single", stem=None, options=None, answer=None, partial_credit=False, explanation="",
                    tags=(), title="", weights=None) -> ParsedQuestion:
    """A ParsedQuestion as the importers produce it, with sensible defaults for each type."""
    if type == "single":
        options = options or ["选项一", "选项二", "选项三"]
        answer = "A" if answer is None else answer
    elif type == "multiple":
        options = options or ["选项一", "选项二", "选项三", "选项四"]
        answer = ["A", "C"] if answer is None else answer
    elif type == "true_false":
        answer = True if answer is None else answer
    elif type == "fill_blank":
        answer = ["2012"] if answer is None else answer
    else:
        answer = "参考答案" if answer is None else answer
    option_dicts = make_options(list(options), weights) if options else []
    return ParsedQuestion(line=1, type=type, stem=stem or f"{type} 题干", options=option_dicts, answer=answer,
                          partial_credit=partial_credit, explanation=explanation, tags=list(tags), title=title)


CHECKED_INPUT = re.compile(r"<input[^>]*>", re.S)


def inputs(html: str, name: str) -> list[str]:
    """The <input> tags named `name` on a page, in page order."""
    return [tag for tag in CHECKED_INPUT.findall(html) if f'name="{name}"' in tag]


def checked_values(html: str, name: str) -> list[str]:
    values = []
    for tag in inputs(html, name):
        if re.search(r"\schecked\b", tag):
            values.append(re.search(r'value="([^"]*)"', tag).group(1))
    return values

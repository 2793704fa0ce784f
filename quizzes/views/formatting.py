"""Showing responses and answers with the labels the member saw (A, B, C in the attempt's order)."""
from flask_babel import gettext as _

from ..grading import option_weights
from ..models import AttemptStatus, QuestionType


def response_text(question, response, display_options) -> str:
    if response in (None, "", []):
        return "—"
    labels = {key: label for label, key, _text in display_options}
    kind = question.type
    if kind == QuestionType.SINGLE:
        return labels.get(response, "?")
    if kind == QuestionType.MULTIPLE:
        return "".join(sorted(labels.get(key, "?") for key in response))
    if kind == QuestionType.TRUE_FALSE:
        return _("True") if response else _("False")
    if isinstance(response, list):
        return " / ".join(str(item) for item in response)
    return str(response)


def plain_options(question) -> list[tuple[str, str, str]]:
    """The options in the author's order, labelled by their own keys (for reviewers and practice)."""
    return [(option["key"], option["key"], option["text"]) for option in question.options]


def option_shares(question) -> dict[str, str]:
    """For partial credit: each option's share of the marks as the grader counts it ("50%", "−50%"),
    the even split when the author gave no weights; options worth nothing show no share."""
    if not question.partial_credit:
        return {}
    shares = {}
    for key, weight in option_weights(question).items():
        percent = round(weight * 100)
        if percent:
            shares[key] = f"{percent}%" if percent > 0 else f"−{-percent}%"
    return shares


def type_label(value: str) -> str:
    return QuestionType(value).label


def status_label(value: str) -> str:
    return AttemptStatus(value).label

"""Scoring one response to one question: pure functions, no database."""
import unicodedata

from .models import QuestionType


def normalise_text(text) -> str:
    """Ignore full-width/half-width differences (NFKC), case and all whitespace."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    return "".join(text.split()).casefold()


def option_weights(question) -> dict[str, float]:
    """Each option's share of the marks for partial credit: the author's weights, or an even split."""
    weights = {option["key"]: float(option.get("weight") or 0) for option in question.options}
    if any(weights.values()):
        return weights
    correct = {question.answer} if isinstance(question.answer, str) else set(question.answer or [])
    share = 1.0 / len(correct) if correct else 0.0
    return {key: (share if key in correct else -share) for key in weights}


def score_fraction(question, response) -> float | None:
    """Share of the question's points the response earns (0..1); None when a person must grade it."""
    kind = question.type
    if kind == QuestionType.SHORT_ANSWER:
        return None
    if response in (None, "", []):
        return 0.0
    if kind == QuestionType.SINGLE:
        if question.partial_credit:  # Moodle's {~wrong ~%50%half =full}: each option weighs its share
            return max(0.0, min(1.0, option_weights(question).get(response, 0.0)))
        return 1.0 if response == question.answer else 0.0
    if kind == QuestionType.TRUE_FALSE:
        return 1.0 if bool(response) == bool(question.answer) else 0.0
    if kind == QuestionType.FILL_BLANK:
        accepted = {normalise_text(answer) for answer in question.answer or []}
        return 1.0 if normalise_text(response) in accepted else 0.0
    chosen = set(response)
    if not question.partial_credit:
        return 1.0 if chosen == set(question.answer or []) else 0.0
    weights = option_weights(question)
    return max(0.0, min(1.0, sum(weights.get(key, 0.0) for key in chosen)))


def clean_response(question, response):
    """The response in a canonical form, or raise ValueError when it cannot belong to this question."""
    keys = {option["key"] for option in question.options}
    kind = question.type
    if response is None:
        return None
    if kind == QuestionType.SINGLE:
        if not isinstance(response, str) or response not in keys:
            raise ValueError("unknown option")
        return response
    if kind == QuestionType.MULTIPLE:
        if (not isinstance(response, list) or not all(isinstance(key, str) for key in response)
                or not set(response) <= keys):
            raise ValueError("unknown option")
        return sorted(set(response))
    if kind == QuestionType.TRUE_FALSE:
        if response not in (True, False, "true", "false"):
            raise ValueError("not true or false")
        return response in (True, "true")
    text = str(response)
    if len(text) > 5000:
        raise ValueError("too long")
    return text

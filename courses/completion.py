"""What a course needs before it is complete; later features add their own requirements.

A requirement is a function (user, course) -> bool. Quizzes (the final quiz) and
bases (required sessions) register theirs, so courses never imports them.
"""
from collections.abc import Callable

REQUIREMENTS: list[Callable] = []


def register_requirement(check: Callable) -> Callable:
    if check not in REQUIREMENTS:
        REQUIREMENTS.append(check)
    return check


def extra_requirements_met(user, course) -> bool:
    return all(check(user, course) for check in REQUIREMENTS)

"""Who may take, set up, grade and review what: load-and-authorise helpers
(the style: learning_app/permissions.py)."""
import functools
from datetime import datetime
from typing import NamedTuple

from flask import abort
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import joinedload

from courses.permissions import can_learn
from learning_app.extensions import db
from learning_app.models import Role
from learning_app.permissions import Need, authorise

from .models import Attempt, AttemptAnswer, Question, QuestionBank, QuestionType, Quiz


def can_take(user, quiz: Quiz) -> bool:
    if not quiz.is_published or not user.is_member:
        return False
    if quiz.course_id:
        return can_learn(user, quiz.course)
    if quiz.org_id:
        return user.org is not None and user.org.is_within(quiz.org)
    return True


def can_grade(user, quiz: Quiz) -> bool:
    return quiz.can_edit(user) or user.has_role(Role.REVIEWER)


QUIZ_NEEDS = {
    "take": Need(lambda user, quiz: can_take(user, quiz), 404),  # a quiz not open to the member does not show
    "edit": Need(lambda user, quiz: quiz.can_edit(user)),
    "grade": Need(lambda user, quiz: can_grade(user, quiz)),
}


def get_quiz_or_404(quiz_id: int, user, need: str) -> Quiz:
    return authorise(db.session.get(Quiz, quiz_id), user, need, QUIZ_NEEDS)


def get_attempt_or_404(attempt_id: int, user, need: str = "own") -> Attempt:
    """Only the member who took an attempt reaches it; anyone else gets 404. With its quiz, which every
    attempt page shows and grading reads, but not the quiz's items, which none of them needs."""
    attempt = db.session.get(Attempt, attempt_id, options=[joinedload(Attempt.quiz).lazyload(Quiz.items)])
    return authorise(attempt, user, need, {"own": Need(lambda user, attempt: attempt.user_id == user.id, 404)})


class AnswerSlot(NamedTuple):
    """What saving one answer reads: the attempt's owner, state and deadline, the answer's id, and its
    question's type and options, all that checking a response needs (answer_id and the question's
    fields are None when the attempt has no question at that position)."""
    attempt_id: int
    user_id: int
    open_slot: int | None
    deadline_at: datetime | None
    answer_id: int | None
    type: QuestionType | None
    options: list | None


def get_own_attempt_answer(attempt_id: int, position: int, user) -> AnswerSlot:
    """The member's own attempt, locked until the transaction ends, with its answer at `position` and
    that answer's question: what autosave needs, in one statement."""
    row = db.session.connection().execute(_attempt_answer_statement(),
                                          {"attempt_id": attempt_id, "position": position}).first()
    if row is None or row.user_id != user.id:
        abort(404)
    return AnswerSlot(*row)


@functools.cache
def _attempt_answer_statement():
    # Built once: an exam sends this more than any other request. Each round trip to the database
    # costs as much as the statement on PostgreSQL, so the lock and the answer come together; and
    # plain rows, not objects, which cost more than the statement to build.
    # FOR UPDATE OF the attempt alone: PostgreSQL cannot lock the nullable side of an outer join.
    attempt, answer, question = Attempt.__table__, AttemptAnswer.__table__, Question.__table__
    return (select(attempt.c.id, attempt.c.user_id, attempt.c.open_slot, attempt.c.deadline_at, answer.c.id,
                   question.c.type, question.c.options)
            .select_from(attempt.outerjoin(answer, and_(answer.c.attempt_id == attempt.c.id,
                                                        answer.c.position == bindparam("position")))
                         .outerjoin(question, question.c.id == answer.c.question_id))
            .where(attempt.c.id == bindparam("attempt_id"))
            .with_for_update(of=attempt))


def get_bank_or_404(bank_id: int, user, need: str = "edit") -> QuestionBank:
    return authorise(db.session.get(QuestionBank, bank_id), user, need,
                     {"edit": Need(lambda user, bank: bank.can_edit(user))})


def get_question_or_404(question_id: int, user, need: str = "review") -> Question:
    return authorise(db.session.get(Question, question_id), user, need, {"review": Need(
        lambda user, question: user.has_role(Role.REVIEWER) or question.bank.can_edit(user))})

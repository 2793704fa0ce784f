"""Who may take, set up, grade and review what: load-and-authorise helpers."""
from flask import abort

from courses.permissions import can_learn
from learning_app.extensions import db
from learning_app.models import Role

from .models import Attempt, Question, QuestionBank, Quiz


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


def get_quiz_for_taking(quiz_id: int, user) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or not can_take(user, quiz):
        abort(404)
    return quiz


def get_own_attempt(attempt_id: int, user, for_update: bool = False) -> Attempt:
    """Only the member who took an attempt reaches it; anyone else gets 404. `for_update` locks the
    attempt's row until the transaction ends (see attempts.save_answer)."""
    attempt = db.session.get(Attempt, attempt_id, with_for_update=for_update or None)
    if attempt is None or attempt.user_id != user.id:
        abort(404)
    return attempt


def get_quiz_for_edit(quiz_id: int, user) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        abort(404)
    if not quiz.can_edit(user):
        abort(403)
    return quiz


def get_quiz_for_grading(quiz_id: int, user) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        abort(404)
    if not can_grade(user, quiz):
        abort(403)
    return quiz


def get_bank_for_edit(bank_id: int, user) -> QuestionBank:
    bank = db.session.get(QuestionBank, bank_id)
    if bank is None:
        abort(404)
    if not bank.can_edit(user):
        abort(403)
    return bank


def get_question_for_review(question_id: int, user) -> Question:
    question = db.session.get(Question, question_id)
    if question is None:
        abort(404)
    if not (user.has_role(Role.REVIEWER) or question.bank.can_edit(user)):
        abort(403)
    return question

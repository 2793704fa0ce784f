"""Reads for quizzes: lists for members and authors, per-question statistics, grading queues."""
from collections import Counter

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from learning_app.extensions import db

from .models import Attempt, AttemptAnswer, Question, QuestionBank, QuestionStatus, QuestionType, Quiz
from .permissions import can_take


def quizzes_for_member(user) -> list[Quiz]:
    """Published quizzes the member may take (the course check runs per quiz; quizzes are few)."""
    quizzes = db.session.scalars(select(Quiz).where(Quiz.is_published.is_(True)).order_by(Quiz.id.desc())
                                 .options(selectinload(Quiz.course)))
    return [quiz for quiz in quizzes if can_take(user, quiz)]


def member_attempts(user, quiz) -> list[Attempt]:
    return list(db.session.scalars(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)
                                   .order_by(Attempt.number)))


def banks_for(user) -> list[QuestionBank]:
    query = select(QuestionBank).order_by(QuestionBank.name)
    if not user.is_admin:
        query = query.where(QuestionBank.owner_id == user.id)
    return list(db.session.scalars(query))


def bank_questions(bank, status=None):
    query = select(Question).where(Question.bank_id == bank.id, Question.status != QuestionStatus.RETIRED)
    if status:
        query = query.where(Question.status == status)
    return query.order_by(Question.id)


def status_counts(bank) -> dict:
    rows = db.session.execute(select(Question.status, func.count()).where(Question.bank_id == bank.id)
                              .group_by(Question.status))
    return {status.value: count for status, count in rows.all()}


def questions_awaiting_review(reviewer):
    return (select(Question).where(Question.status == QuestionStatus.SUBMITTED,
                                   or_(Question.author_id.is_(None), Question.author_id != reviewer.id))
            .options(selectinload(Question.bank)).order_by(Question.bank_id, Question.id))


def quizzes_owned(user) -> list[Quiz]:
    query = select(Quiz).order_by(Quiz.id.desc())
    if not user.is_admin:
        query = query.where(Quiz.owner_id == user.id)
    return list(db.session.scalars(query))


def open_expired_attempts(quiz, now):
    """Attempts still open although their deadline has passed (graded when someone looks)."""
    return list(db.session.scalars(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.open_slot == 1,
                                                         Attempt.deadline_at.is_not(None),
                                                         Attempt.deadline_at < now)))


def question_statistics(quiz) -> list[dict]:
    """Per question: times asked, correct rate, and the most chosen wrong option."""
    rows = db.session.execute(
        select(AttemptAnswer.question_id, AttemptAnswer.response, AttemptAnswer.score, AttemptAnswer.points)
        .join(Attempt, AttemptAnswer.attempt_id == Attempt.id)
        .where(Attempt.quiz_id == quiz.id, Attempt.open_slot.is_(None))).all()
    by_question: dict[int, dict] = {}
    for question_id, response, score, points in rows:
        entry = by_question.setdefault(question_id, {"asked": 0, "correct": 0, "wrong": Counter()})
        entry["asked"] += 1
        if score is not None and score >= points:
            entry["correct"] += 1
        elif isinstance(response, str) and len(response) <= 2:
            entry["wrong"][response] += 1
        elif isinstance(response, list):
            entry["wrong"]["".join(response)] += 1
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(by_question)))}
    result = []
    for question_id, entry in by_question.items():
        wrong = entry["wrong"].most_common(1)
        result.append({"question": questions[question_id], "asked": entry["asked"],
                       "correct_rate": round(100 * entry["correct"] / entry["asked"], 1),
                       "common_wrong": wrong[0][0] if wrong else None})
    return sorted(result, key=lambda row: row["correct_rate"])


def grading_queue(quiz):
    """Short answers of submitted attempts still waiting for a score."""
    return list(db.session.scalars(
        select(AttemptAnswer).join(Attempt, AttemptAnswer.attempt_id == Attempt.id)
        .join(Question, AttemptAnswer.question_id == Question.id)
        .where(Attempt.quiz_id == quiz.id, Attempt.open_slot.is_(None), AttemptAnswer.score.is_(None),
               Question.type == QuestionType.SHORT_ANSWER)
        .order_by(AttemptAnswer.id)))


def attempt_status_counts(quiz) -> dict:
    rows = db.session.execute(select(Attempt.status, func.count()).where(Attempt.quiz_id == quiz.id)
                              .group_by(Attempt.status))
    return {status.value: count for status, count in rows.all()}



"""Attempts: start (question set fixed), autosave, server-side deadline, submit once, grade.

Concurrency rules: one open attempt per member and quiz is guaranteed by a unique
constraint (open_slot), and "grade once" by a compare-and-set UPDATE that only the
first submission wins; every later submission reads the stored result.
"""
from __future__ import annotations

import functools
import random
import secrets
from datetime import datetime, timedelta, timezone

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from courses.services.learning import check_course_completion
from learning_app.extensions import db
from learning_app.models import utcnow

from ..grading import clean_response, score_fraction
from ..models import (CHOICE_TYPES, Attempt, AttemptAnswer, AttemptStatus, Question, QuestionStatus,
                      QuestionTag, Quiz, QuestionType)
from ..permissions import question_for_checking

# Answers reaching the server this long after the deadline still count (network delay, a slow phone).
GRACE = timedelta(seconds=30)


class AttemptError(ValueError):
    """The member cannot do this now; the message is for them."""


def aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def open_attempt(user, quiz: Quiz) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id,
                                                   Attempt.open_slot == 1))


def attempts_used(user, quiz: Quiz) -> int:
    return db.session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.quiz_id == quiz.id, Attempt.user_id == user.id))


def start_or_resume(user, quiz: Quiz, now=None) -> Attempt:
    """The member's open attempt, or a new one with its questions drawn, ordered and fixed."""
    now = now or utcnow()
    current = open_attempt(user, quiz)
    if current is not None:
        if not finish_if_expired(current, now):
            return current
    _check_can_start(user, quiz, now)
    number = attempts_used(user, quiz) + 1
    deadline = None
    if quiz.time_limit_minutes:
        deadline = now + timedelta(minutes=quiz.time_limit_minutes)
    if quiz.closes_at:
        deadline = min(deadline, aware(quiz.closes_at)) if deadline else aware(quiz.closes_at)
    attempt = Attempt(quiz_id=quiz.id, user_id=user.id, number=number, started_at=now, deadline_at=deadline,
                      open_slot=1)
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
            _fill_questions(attempt, quiz)
    except IntegrityError:
        # A parallel request started it first: resume that one.
        existing = open_attempt(user, quiz)
        if existing is None:
            raise AttemptError(_("The attempt could not be started; please try again."))
        return existing
    return attempt


def _check_can_start(user, quiz: Quiz, now) -> None:
    if not quiz.is_published:
        raise AttemptError(_("This quiz is not open."))
    if quiz.opens_at and now < aware(quiz.opens_at):
        raise AttemptError(_("This quiz opens at %(when)s.", when=aware(quiz.opens_at).strftime("%Y-%m-%d %H:%M")))
    if quiz.closes_at and now >= aware(quiz.closes_at):
        raise AttemptError(_("This quiz has closed."))
    if quiz.max_attempts and attempts_used(user, quiz) >= quiz.max_attempts:
        raise AttemptError(_("You have used all %(count)s attempts.", count=quiz.max_attempts))


def _fill_questions(attempt: Attempt, quiz: Quiz) -> None:
    rng = random.Random(secrets.randbits(64))
    fixed = {item.id: _current_version(item.question) for item in quiz.items if item.question_id}
    fixed_ids = {question.id for question in fixed.values() if question is not None}
    chosen: list[Question] = []
    for item in quiz.items:
        if item.question_id:
            if fixed[item.id] is not None and fixed[item.id] not in chosen:
                chosen.append(fixed[item.id])
        else:
            # A draw never repeats a question asked anyway, wherever the fixed one stands in the quiz.
            chosen.extend(_draw(item, fixed_ids | {q.id for q in chosen}, rng))
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    for position, question in enumerate(chosen):
        order = [option["key"] for option in question.options]
        if quiz.shuffle_options and question.type in CHOICE_TYPES:
            rng.shuffle(order)
        attempt.answers.append(AttemptAnswer(position=position, question_id=question.id, option_order=order,
                                             points=question.points or 1.0))
    attempt.max_score = sum(answer.points for answer in attempt.answers)
    db.session.flush()


def _current_version(question: Question | None) -> Question | None:
    """The published version of a fixed question: its approved replacement if it was edited; None for a
    draft or a question awaiting review, which members never see (it can reach a published quiz when
    added afterwards)."""
    seen = set()
    while question is not None and question.status == QuestionStatus.RETIRED and question.id not in seen:
        seen.add(question.id)
        question = db.session.scalar(select(Question).where(Question.replaces_id == question.id,
                                                            Question.status != QuestionStatus.DRAFT,
                                                            Question.status != QuestionStatus.SUBMITTED)
                                     .order_by(Question.id.desc()).limit(1))
    if question is None or question.status != QuestionStatus.PUBLISHED:
        return None
    return question


def _draw(item, exclude: set[int], rng) -> list[Question]:
    query = select(Question).where(Question.bank_id == item.bank_id, Question.status == QuestionStatus.PUBLISHED)
    if item.tag:
        query = query.where(Question.id.in_(select(QuestionTag.question_id).where(QuestionTag.name == item.tag)))
    pool = [q for q in db.session.scalars(query) if q.id not in exclude]
    return rng.sample(pool, min(item.draw_count, len(pool)))


def save_answer(user, attempt: Attempt, position: int, response, now=None) -> AttemptAnswer:
    """Store the member's current answer to one question; saving the same answer twice is harmless."""
    # Lock the attempt row: a submission running in another request finishes first, and then this
    # one sees it closed, so no answer changes after grading (FOR UPDATE is a no-op on SQLite).
    still_open = db.session.scalar(_open_slot_for_update(), {"attempt_id": attempt.id})
    if attempt.open_slot == 1 and still_open != 1:
        db.session.refresh(attempt)
    return save_locked_answer(user, attempt, _answer_at(attempt, position), response, now)


def save_locked_answer(user, attempt: Attempt, answer: AttemptAnswer | None, response, now=None) -> AttemptAnswer:
    """save_answer for a caller that loaded the attempt FOR UPDATE in this transaction, together with the
    answer (quizzes.permissions.get_own_attempt_answer, for autosave), so what it holds is current."""
    now = now or utcnow()
    if attempt.user_id != user.id:
        raise AttemptError(_("This is not your attempt."))
    if attempt.open_slot != 1:
        raise AttemptError(_("This attempt has been submitted; answers can no longer change."))
    if attempt.deadline_at and now > aware(attempt.deadline_at) + GRACE:
        finish_if_expired(attempt, now)
        raise AttemptError(_("Time is up: the attempt was submitted with the answers saved before the deadline."))
    if answer is None or answer.attempt_id != attempt.id:
        raise AttemptError(_("There is no such question in this attempt."))
    try:
        cleaned = clean_response(answer.question, response)
    except ValueError:
        raise AttemptError(_("That answer does not fit the question."))
    # One UPDATE on the connection rather than a flush: for two columns of one row the unit of work
    # costs more than the statement, and an exam sends this request more than any other.
    db.session.connection().execute(_save_answer_statement(),
                                    {"answer_id": answer.id, "new_response": cleaned, "new_saved_at": now})
    set_committed_value(answer, "response", cleaned)
    set_committed_value(answer, "saved_at", now)
    return answer


@functools.cache
def _save_answer_statement():
    table = AttemptAnswer.__table__
    return (update(table).where(table.c.id == bindparam("answer_id"))
            .values(response=bindparam("new_response", type_=table.c.response.type),
                    saved_at=bindparam("new_saved_at", type_=table.c.saved_at.type)))


@functools.cache
def _open_slot_for_update():
    # Built once, like _answer_statement: the form without JavaScript saves every answer.
    return select(Attempt.open_slot).where(Attempt.id == bindparam("attempt_id")).with_for_update()


@functools.cache
def _answer_statement():
    return (select(AttemptAnswer).where(AttemptAnswer.attempt_id == bindparam("attempt_id"),
                                        AttemptAnswer.position == bindparam("position"))
            .options(question_for_checking()))


def _answer_at(attempt: Attempt, position: int) -> AttemptAnswer | None:
    """One answer and its question. An autosave changes one answer: loading the attempt's other answers
    (and their questions' tags) would cost more than the save; the form without JavaScript has them all."""
    if "answers" not in inspect(attempt).unloaded:
        return next((a for a in attempt.answers if a.position == position), None)
    return db.session.scalar(_answer_statement(), {"attempt_id": attempt.id, "position": position})


def submit(user, attempt: Attempt, now=None) -> Attempt:
    """Grade the attempt once; a second submission (double click, other tab, retry) gets the same result."""
    if attempt.user_id != user.id:
        raise AttemptError(_("This is not your attempt."))
    now = now or utcnow()
    # Past the deadline (and its grace) the attempt ends at the deadline, not when the member returns.
    if not finish_if_expired(attempt, now):
        _close_and_grade(attempt, now)
    return attempt


def finish_if_expired(attempt: Attempt, now=None) -> bool:
    """Grade an open attempt whose time ran out, from its saved answers. True if it is (now) closed."""
    now = now or utcnow()
    if attempt.open_slot != 1:
        return True
    if attempt.deadline_at and now > aware(attempt.deadline_at) + GRACE:
        _close_and_grade(attempt, aware(attempt.deadline_at))
        return True
    return False


def _close_and_grade(attempt: Attempt, submitted_at) -> None:
    won = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.open_slot == 1)
        .values(open_slot=None, submitted_at=submitted_at).execution_options(synchronize_session=False)).rowcount
    if won != 1:
        db.session.refresh(attempt)
        return  # graded by whoever closed it first
    # This request closed it: the row holds what the UPDATE wrote, no need to read it back.
    set_committed_value(attempt, "open_slot", None)
    set_committed_value(attempt, "submitted_at", submitted_at)
    if "answers" in inspect(attempt).unloaded:
        # Grading needs each answer's question, never the questions' tags.
        set_committed_value(attempt, "answers", list(db.session.scalars(_answers_statement(),
                                                                        {"attempt_id": attempt.id})))
    for answer in attempt.answers:
        fraction = score_fraction(answer.question, answer.response)
        answer.score = None if fraction is None else round(fraction * answer.points, 2)
    _total(attempt)
    db.session.flush()


@functools.cache
def _answers_statement():
    return (select(AttemptAnswer).where(AttemptAnswer.attempt_id == bindparam("attempt_id"))
            .order_by(AttemptAnswer.position).options(joinedload(AttemptAnswer.question).lazyload(Question.tags)))


def _total(attempt: Attempt) -> None:
    """Score and pass when every answer has a score; otherwise wait for a person to grade."""
    if any(answer.score is None for answer in attempt.answers):
        attempt.status = AttemptStatus.AWAITING_GRADING
        return
    with db.session.no_autoflush:  # one UPDATE of the attempt, after everything is known
        # Without the quiz's items, which grading does not need. Held in a variable: the session
        # holds it only weakly, and attempt.quiz would then load it again, items and all.
        quiz = db.session.get(Quiz, attempt.quiz_id, options=[lazyload(Quiz.items)])
    attempt.score = round(sum(answer.score for answer in attempt.answers), 2)
    attempt.status = AttemptStatus.GRADED
    attempt.passed = attempt.max_score > 0 and 100 * attempt.score / attempt.max_score >= quiz.pass_percent
    db.session.flush()
    if attempt.passed and quiz.course_id:
        check_course_completion(attempt.user, quiz.course)


def grade_by_hand(grader, answer: AttemptAnswer, points: float, feedback: str = "") -> Attempt:
    """An author or reviewer scores a short answer; the attempt is finished when none is left."""
    attempt = db.session.get(Attempt, answer.attempt_id)
    if answer.question.type != QuestionType.SHORT_ANSWER:
        raise AttemptError(_("Only short answers are graded by hand."))
    if attempt.open_slot == 1:
        raise AttemptError(_("The attempt is still in progress."))
    answer.score = max(0.0, min(float(points), answer.points))
    answer.feedback = (feedback or "").strip()
    answer.graded_by_id = grader.id
    db.session.flush()
    _total(attempt)
    return attempt


def result_for(user, quiz: Quiz) -> Attempt | None:
    """The attempt that counts for the member by the quiz's grading method."""
    graded = list(db.session.scalars(select(Attempt).where(
        Attempt.quiz_id == quiz.id, Attempt.user_id == user.id, Attempt.status == AttemptStatus.GRADED)
        .order_by(Attempt.number)))
    if not graded:
        return None
    if quiz.grading_method.value == "last":
        return graded[-1]
    return max(graded, key=lambda a: (a.percent or 0, -a.number))


def may_see_review(attempt: Attempt, now=None) -> bool:
    now = now or utcnow()
    policy = attempt.quiz.review_policy.value
    if attempt.open_slot == 1 or policy == "never":
        return False
    if policy == "after_close":
        return bool(attempt.quiz.closes_at) and now >= aware(attempt.quiz.closes_at)
    return True

"""Attempts: start (question set fixed), autosave, server-side deadline, submit once, grade.

Concurrency rules: one open attempt per member and quiz is guaranteed by a unique
constraint (open_slot), and "grade once" by a compare-and-set UPDATE that only the
first submission wins; every later submission reads the stored result.
"""
from __future__ import annotations

import functools
import random
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import bindparam, func, insert, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from courses.services.learning import check_course_completion
from learning_app.extensions import db
from learning_app.fast_paths import signed_in_user_may_act
from learning_app.kept import keep
from learning_app.models import utcnow
from learning_app.security import sign_in_parameters
from learning_app.timezones import as_utc
from learning_app.transactions import RuleError

from ..grading import clean_response, score_fraction
from ..models import (
    CHOICE_TYPES,
    Attempt,
    AttemptAnswer,
    AttemptStatus,
    Question,
    QuestionStatus,
    QuestionTag,
    QuestionType,
    Quiz,
)
from ..permissions import AnswerSlot

# Answers reaching the server this long after the deadline still count (network delay, a slow phone).
GRACE = timedelta(seconds=30)
LAYOUTS = "quizzes.answer_layouts"


class AttemptError(RuleError):
    """The member cannot do this now; the message is for them. `closed`: the attempt is over."""

    # What was written before the refusal stands: an attempt refused because its time ran out has just
    # been graded, and the answers the form without JavaScript saved before a refused one are kept.
    keeps_changes = True

    def __init__(self, message, closed=False):
        super().__init__(message)
        self.closed = closed


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
    if current is not None and not finish_if_expired(current, now):
        return current
    _check_can_start(user, quiz, now)
    number = attempts_used(user, quiz) + 1
    deadline = None
    if quiz.time_limit_minutes:
        deadline = now + timedelta(minutes=quiz.time_limit_minutes)
    if quiz.closes_at:
        deadline = min(deadline, as_utc(quiz.closes_at)) if deadline else as_utc(quiz.closes_at)
    answers = _answers_drawn(quiz)
    attempt = Attempt(quiz_id=quiz.id, user_id=user.id, number=number, started_at=now, deadline_at=deadline,
                      open_slot=1, max_score=sum(answer["points"] for answer in answers))
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
            if answers:
                # One INSERT for all the questions, not one per question; attempt.answers loads them.
                db.session.execute(insert(AttemptAnswer), [{**answer, "attempt_id": attempt.id} for answer in answers])
    except IntegrityError:
        # A parallel request started it first: resume that one.
        existing = open_attempt(user, quiz)
        if existing is None:
            raise AttemptError(_("The attempt could not be started; please try again.")) from None
        return existing
    return attempt


def _check_can_start(user, quiz: Quiz, now) -> None:
    if not quiz.is_published:
        raise AttemptError(_("This quiz is not open."))
    if quiz.opens_at and now < as_utc(quiz.opens_at):
        raise AttemptError(_("This quiz opens at %(when)s.", when=as_utc(quiz.opens_at).strftime("%Y-%m-%d %H:%M")))
    if quiz.closes_at and now >= as_utc(quiz.closes_at):
        raise AttemptError(_("This quiz has closed."))
    if quiz.max_attempts and attempts_used(user, quiz) >= quiz.max_attempts:
        raise AttemptError(ngettext("You have used your %(num)s attempt.", "You have used all %(num)s attempts.",
                                    quiz.max_attempts))


def _answers_drawn(quiz: Quiz) -> list[dict]:
    """The attempt's questions, drawn, ordered and with their options' order fixed, as answer rows."""
    rng = random.Random(secrets.randbits(64))
    # Every fixed question in one statement, not one per item.
    loaded = {question.id: question for question in db.session.scalars(select(Question).where(
        Question.id.in_([item.question_id for item in quiz.items if item.question_id])))}
    fixed = {item.id: _current_version(loaded.get(item.question_id)) for item in quiz.items if item.question_id}
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
    answers = []
    for position, question in enumerate(chosen):
        order = [option["key"] for option in question.options]
        if quiz.shuffle_options and question.type in CHOICE_TYPES:
            rng.shuffle(order)
        answers.append({"position": position, "question_id": question.id, "option_order": order,
                        "points": question.points or 1.0})
    return answers


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
    answer = _answer_at(attempt, position)
    question = answer.question if answer is not None else None
    cleaned, saved_at = save_locked_answer(user, AnswerSlot(
        attempt.id, attempt.user_id, attempt.open_slot, attempt.deadline_at, answer and answer.id,
        question and question.type, question and question.options), response, now)
    # The loaded answer holds what was stored: submitting next (the same form) grades it.
    set_committed_value(answer, "response", cleaned)
    set_committed_value(answer, "saved_at", saved_at)
    return answer


def save_locked_answer(user, slot: AnswerSlot, response, now=None) -> tuple[object, datetime]:
    """Store one answer of an attempt locked in this transaction (slot: what
    quizzes.permissions.get_own_attempt_answer reads for autosave, in one statement); returns the
    response as stored and when. AttemptError.closed says whether the attempt is (now) closed."""
    now = now or utcnow()
    if slot.user_id != user.id:
        raise AttemptError(_("This is not your attempt."))
    if slot.open_slot != 1:
        raise AttemptError(_("This attempt has been submitted; answers can no longer change."), closed=True)
    if slot.deadline_at and now > as_utc(slot.deadline_at) + GRACE:
        finish_if_expired(db.session.get(Attempt, slot.attempt_id), now)
        raise AttemptError(_("Time is up: the attempt was submitted with the answers saved before the deadline."),
                           closed=True)
    if slot.answer_id is None:
        raise AttemptError(_("There is no such question in this attempt."))
    try:
        cleaned = clean_response(slot, response)
    except ValueError:
        raise AttemptError(_("That answer does not fit the question.")) from None
    # One UPDATE on the connection rather than a flush: for two columns of one row the unit of work
    # costs more than the statement, and an exam sends this request more than any other.
    db.session.connection().execute(_save_answer_statement(),
                                    {"answer_id": slot.answer_id, "new_response": cleaned, "new_saved_at": now})
    return cleaned, now


def save_known_answer(member, attempt_id: int, position: int, response, now=None) -> datetime | None:
    """Autosave's quick way: one UPDATE that stores the answer only if the attempt is the member's,
    still open and within its time, the member's account active with its password chosen and their
    sign-in not ended (`member` is the SessionUser: their row is not read before:
    learning_app.fast_paths.checks_user_in_statement), locking the attempt as
    save_locked_answer's caller does. The response is checked against the attempt's questions as
    this process first read them (which questions an attempt asks, and what a published question
    offers, never change). Returns when it was stored, or None: then the full way
    (get_own_attempt_answer, save_locked_answer) saves it or says why not."""
    layout = _answer_layout(attempt_id)
    if layout is None or layout[0] != member.id or position not in layout[1]:
        return None
    answer_id, question_id, kind, options = layout[1][position]
    try:
        cleaned = clean_response(_CheckedQuestion(kind, options), response)
    except ValueError:
        return None
    now = now or utcnow()
    stored = db.session.connection().execute(_save_known_answer_statement(), {
        **sign_in_parameters(member.id, member.sign_in_key), "answer_id": answer_id, "open_attempt_id": attempt_id,
        "asked_question_id": question_id, "cutoff": now - GRACE, "new_response": cleaned, "new_saved_at": now}).rowcount
    return now if stored == 1 else None


class _CheckedQuestion(NamedTuple):
    type: QuestionType
    options: list


def _answer_layout(attempt_id: int):
    """(owner, {position: (answer id, question id, type, options)}) of an attempt, read once per process."""
    layouts = current_app.extensions.setdefault(LAYOUTS, {})
    layout = layouts.get(attempt_id)
    if layout is None:
        rows = db.session.connection().execute(_answer_layout_statement(), {"attempt_id": attempt_id}).all()
        if not rows:
            return None
        layout = (rows[0].user_id, {row.position: (row.id, row.question_id, row.type, row.options) for row in rows})
        keep(layouts, attempt_id, layout, current_app.config["ANSWER_LAYOUTS_KEPT"])
    return layout


@functools.cache
def _answer_layout_statement():
    attempt, answer, question = Attempt.__table__, AttemptAnswer.__table__, Question.__table__
    return (select(attempt.c.user_id, answer.c.id, answer.c.position, answer.c.question_id, question.c.type,
                   question.c.options)
            .select_from(attempt.join(answer, answer.c.attempt_id == attempt.c.id)
                         .join(question, question.c.id == answer.c.question_id))
            .where(attempt.c.id == bindparam("attempt_id")))


@functools.cache
def _save_known_answer_statement():
    attempt, answer = Attempt.__table__, AttemptAnswer.__table__
    # The attempt row is locked as in save_answer: a submission closing it waits, or makes this match nothing.
    open_attempt = (select(attempt.c.id).where(
        attempt.c.id == bindparam("open_attempt_id"), attempt.c.user_id == bindparam("user_id"),
        attempt.c.open_slot == 1,
        or_(attempt.c.deadline_at.is_(None),
            attempt.c.deadline_at >= bindparam("cutoff", type_=attempt.c.deadline_at.type)))
        .with_for_update())
    return (update(answer).where(answer.c.id == bindparam("answer_id"),
                                 answer.c.question_id == bindparam("asked_question_id"),
                                 answer.c.attempt_id.in_(open_attempt), signed_in_user_may_act())
            .values(response=bindparam("new_response", type_=answer.c.response.type),
                    saved_at=bindparam("new_saved_at", type_=answer.c.saved_at.type)))


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
            # What checking a response needs: the stem, explanation and answer key stay unread.
            .options(joinedload(AttemptAnswer.question).load_only(Question.type, Question.options)
                     .lazyload(Question.tags)))


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


def has_ended(attempt: Attempt, now=None) -> bool:
    """Closed, or still open past its deadline and the grace (finish_if_expired closes it then). Only
    reads, so that a page shown on the way commits only when there is something to close."""
    now = now or utcnow()
    return attempt.open_slot != 1 or bool(attempt.deadline_at and now > as_utc(attempt.deadline_at) + GRACE)


def finish_if_expired(attempt: Attempt, now=None) -> bool:
    """Grade an open attempt whose time ran out, from its saved answers. True if it is (now) closed."""
    if not has_ended(attempt, now):
        return False
    if attempt.open_slot == 1:
        _close_and_grade(attempt, as_utc(attempt.deadline_at))
    return True


def _close_and_grade(attempt: Attempt, submitted_at) -> None:
    won = db.session.connection().execute(_claim_statement(), {"attempt_id": attempt.id,
                                                              "closed_at": submitted_at}).rowcount
    if won != 1:
        db.session.refresh(attempt)
        return  # graded by whoever closed it first
    # This request closed it: the row holds what the UPDATE wrote, no need to read it back.
    set_committed_value(attempt, "open_slot", None)
    set_committed_value(attempt, "submitted_at", submitted_at)
    scores = _grade_answers(attempt)
    _total(attempt, list(scores.values()))


def _grade_answers(attempt: Attempt) -> dict[int, float | None]:
    """Score every answer ({answer id: points, None for a person to grade}) and store the scores.

    Rows and one UPDATE per answer sent as one batch, not ORM objects and a flush: loading ten answers
    with their questions as objects and flushing their scores cost more than the rest of a submission,
    and an exam deadline brings every member's submission at once."""
    if "answers" in inspect(attempt).unloaded:
        # A row has what score_fraction reads of a question: type, options, answer, partial_credit.
        rows = [(row.id, row.points, row.response, row) for row in db.session.connection().execute(
            _answers_statement(), {"attempt_id": attempt.id})]
    else:  # the form without JavaScript has loaded them all already
        rows = [(answer.id, answer.points, answer.response, answer.question) for answer in attempt.answers]
    scores = {}
    for answer_id, points, response, question in rows:
        fraction = score_fraction(question, response)
        scores[answer_id] = None if fraction is None else round(fraction * points, 2)
    if scores:
        db.session.connection().execute(_answer_score_statement(), [
            {"answer_id": answer_id, "new_score": score} for answer_id, score in scores.items()])
    if "answers" not in inspect(attempt).unloaded:
        for answer in attempt.answers:
            set_committed_value(answer, "score", scores[answer.id])
    return scores


@functools.cache
def _claim_statement():
    """Closes an open attempt: only the first submission matches open_slot = 1, so it alone grades."""
    table = Attempt.__table__
    return (update(table).where(table.c.id == bindparam("attempt_id"), table.c.open_slot == 1)
            .values(open_slot=None, submitted_at=bindparam("closed_at", type_=table.c.submitted_at.type)))


@functools.cache
def _answers_statement():
    answer, question = AttemptAnswer.__table__, Question.__table__
    return (select(answer.c.id, answer.c.points, answer.c.response, question.c.type, question.c.options,
                   question.c.answer, question.c.partial_credit)
            .join_from(answer, question, question.c.id == answer.c.question_id)
            .where(answer.c.attempt_id == bindparam("attempt_id")))


@functools.cache
def _answer_score_statement():
    table = AttemptAnswer.__table__
    return (update(table).where(table.c.id == bindparam("answer_id"))
            .values(score=bindparam("new_score", type_=table.c.score.type)))


def _total(attempt: Attempt, scores: list[float | None]) -> None:
    """Score and pass when every answer has a score; otherwise wait for a person to grade."""
    if any(score is None for score in scores):
        attempt.status = AttemptStatus.AWAITING_GRADING
        db.session.flush()
        return
    with db.session.no_autoflush:  # one UPDATE of the attempt, after everything is known
        # Without the quiz's items, which grading does not need. Held in a variable: the session
        # holds it only weakly, and attempt.quiz would then load it again, items and all.
        quiz = db.session.get(Quiz, attempt.quiz_id, options=[lazyload(Quiz.items)])
    attempt.score = round(sum(scores), 2)
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
    _total(attempt, [a.score for a in attempt.answers])
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
        return bool(attempt.quiz.closes_at) and now >= as_utc(attempt.quiz.closes_at)
    return True

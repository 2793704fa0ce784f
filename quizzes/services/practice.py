"""每日一练 (daily practice): voluntary; its points and streak are shown to the member alone."""
import random
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from courses.models import set_contains
from learning_app.extensions import db
from learning_app.models import utcnow
from learning_app.timezones import local_today  # a practice day runs from local midnight to midnight

from ..grading import clean_response, score_fraction
from ..models import PracticeDay, Question, QuestionBank, QuestionStatus, QuestionType

QUESTIONS_PER_DAY = 5
POINTS_PER_CORRECT = 2
AUTO_GRADED = [QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUE_FALSE, QuestionType.FILL_BLANK]


def todays_practice(user, today: date | None = None) -> PracticeDay | None:
    """The member's five questions for today, drawn once from published banks meant for them."""
    today = today or local_today()
    day = db.session.scalar(select(PracticeDay).where(PracticeDay.user_id == user.id, PracticeDay.day == today))
    if day is not None:
        return day
    pool = list(db.session.scalars(
        select(Question.id).join(QuestionBank, Question.bank_id == QuestionBank.id)
        .where(Question.status == QuestionStatus.PUBLISHED, Question.type.in_(AUTO_GRADED),
               set_contains(QuestionBank.audience_categories, user.category.value),
               set_contains(QuestionBank.audience_positions, user.position.value))))
    if not pool:
        return None
    rng = random.Random(f"{user.id}-{today.isoformat()}")
    day = PracticeDay(user_id=user.id, day=today, question_ids=rng.sample(pool, min(QUESTIONS_PER_DAY, len(pool))))
    try:
        with db.session.begin_nested():
            db.session.add(day)
    except IntegrityError:
        day = db.session.scalar(select(PracticeDay).where(PracticeDay.user_id == user.id, PracticeDay.day == today))
    return day


def questions_of(day: PracticeDay) -> list[Question]:
    by_id = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(day.question_ids)))}
    return [by_id[i] for i in day.question_ids if i in by_id]


def answer_practice(user, day: PracticeDay, responses: dict) -> PracticeDay:
    """Grade the day's answers once; answering again changes nothing."""
    if day.user_id != user.id:
        raise PermissionError("not the member's practice")
    # Lock the day's row so that two tabs answering at once grade it once (a no-op on SQLite).
    db.session.refresh(day, with_for_update=True)
    if day.finished_at is not None:
        return day
    cleaned, correct = {}, 0
    for question in questions_of(day):
        raw = responses.get(str(question.id))
        try:
            response = clean_response(question, raw)
        except ValueError:
            response = None
        cleaned[str(question.id)] = response
        if score_fraction(question, response) == 1.0:
            correct += 1
    day.responses, day.correct, day.points = cleaned, correct, correct * POINTS_PER_CORRECT
    day.finished_at = utcnow()
    db.session.flush()
    return day


def streak(user, today: date | None = None) -> int:
    """Consecutive days of finished practice up to today (or yesterday, if today is not done yet)."""
    today = today or local_today()
    days = set(db.session.scalars(select(PracticeDay.day).where(
        PracticeDay.user_id == user.id, PracticeDay.finished_at.is_not(None),
        PracticeDay.day >= today - timedelta(days=366))))
    cursor = today if today in days else today - timedelta(days=1)
    count = 0
    while cursor in days:
        count += 1
        cursor -= timedelta(days=1)
    return count


def total_points(user) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(PracticeDay.points), 0))
                             .where(PracticeDay.user_id == user.id))


def practice_summary(user) -> dict:
    """Points and streak for the member's own home page (never shown to anyone else)."""
    return {"points": total_points(user), "streak": streak(user)}

"""A course with a published final quiz is complete only once the member has passed it."""
from sqlalchemy import select

from learning_app.extensions import db

from .models import Quiz
from .services.attempts import result_for


def final_quizzes_passed(user, course) -> bool:
    finals = db.session.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.is_published.is_(True)))
    for quiz in finals:
        result = result_for(user, quiz)
        if result is None or not result.passed:
            return False
    return True

"""Setting up quizzes: their settings and their fixed questions and random draws."""
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from learning_app.audit.services import record_audit
from learning_app.changes import changed_fields
from learning_app.extensions import db

from ..models import Question, QuestionStatus, QuestionTag, Quiz, QuizItem
from .banks import QuestionRuleError

SETTINGS = ("title", "description", "course_id", "org_id", "time_limit_minutes", "opens_at", "closes_at",
            "max_attempts", "pass_percent", "grading_method", "review_policy", "shuffle_questions",
            "shuffle_options")


def create_quiz(owner, title: str, **settings) -> Quiz:
    quiz = Quiz(title=title.strip(), owner_id=owner.id)
    db.session.add(quiz)
    update_quiz(owner, quiz, **settings)
    record_audit(owner, "quiz.create", quiz, {"title": quiz.title})
    return quiz


def update_quiz(owner, quiz: Quiz, **settings) -> None:
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise TypeError(f"unknown quiz settings {sorted(unknown)}")
    # Only what differs is written: a form saved untouched changes nothing.
    for name, value in changed_fields(quiz, settings).items():
        setattr(quiz, name, value)
    if quiz.opens_at and quiz.closes_at and quiz.closes_at <= quiz.opens_at:
        raise QuestionRuleError(_("The quiz must close after it opens."))
    db.session.flush()


def add_fixed_question(owner, quiz: Quiz, question: Question) -> QuizItem:
    if any(item.question_id == question.id for item in quiz.items):
        raise QuestionRuleError(_("The question is already in this quiz."))
    item = QuizItem(question_id=question.id, position=len(quiz.items))
    quiz.items.append(item)
    db.session.flush()
    return item


def add_random_draw(owner, quiz: Quiz, bank, tag: str | None, count: int) -> QuizItem:
    if count < 1:
        raise QuestionRuleError(_("Draw at least one question."))
    item = QuizItem(bank_id=bank.id, tag=(tag or "").strip() or None, draw_count=count, position=len(quiz.items))
    quiz.items.append(item)
    db.session.flush()
    return item


def remove_item(owner, quiz: Quiz, item_id: int) -> None:
    quiz.items = [item for item in quiz.items if item.id != item_id]
    for position, item in enumerate(quiz.items):
        item.position = position
    db.session.flush()


def available_for_draw(item: QuizItem) -> int:
    query = select(func.count(func.distinct(Question.id))).where(
        Question.bank_id == item.bank_id, Question.status == QuestionStatus.PUBLISHED)
    if item.tag:
        query = query.join(QuestionTag, QuestionTag.question_id == Question.id).where(QuestionTag.name == item.tag)
    return db.session.scalar(query)


def problems_before_publishing(quiz: Quiz) -> list[str]:
    problems = []
    if not quiz.items:
        problems.append(_("The quiz has no questions yet."))
    for item in quiz.items:
        if item.question is not None and item.question.status != QuestionStatus.PUBLISHED:
            problems.append(_("Question %(id)s has not passed review.", id=item.question_id))
        elif item.bank_id and available_for_draw(item) < item.draw_count:
            problems.append(ngettext("Bank “%(bank)s” has fewer than %(count)s published question%(tag)s.",
                                     "Bank “%(bank)s” has fewer than %(count)s published questions%(tag)s.",
                                     item.draw_count, bank=item.bank.name, count=item.draw_count,
                              tag=_(" tagged “%(tag)s”", tag=item.tag) if item.tag else ""))
    return problems


def set_published(owner, quiz: Quiz, published: bool) -> None:
    if published:
        problems = problems_before_publishing(quiz)
        if problems:
            raise QuestionRuleError(" ".join(problems))
    quiz.is_published = published
    record_audit(owner, "quiz.publish" if published else "quiz.unpublish", quiz)
    db.session.flush()

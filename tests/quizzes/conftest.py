"""Factories for the quizzes tests: banks, reviewed questions and published quizzes built through the services.
(Authors, reviewers and `make_course` are shared: tests/conftest.py.)"""
import pytest

from learning_app.extensions import db
from quizzes.models import Question
from quizzes.services import banks, quizzes
from tests.quizzes.helpers import parsed_question


@pytest.fixture
def admin(make_user):
    return make_user(roles=["admin"], real_name="管理员")


@pytest.fixture
def member(tree, make_user):
    return make_user(tree["a1"], real_name="答题党员")


@pytest.fixture
def make_bank(app):
    """make_bank(owner, name=None, **fields) -> QuestionBank."""
    counter = iter(range(1, 10_000))

    def factory(owner, name=None, **fields):
        bank = banks.create_bank(owner, name or f"题库{next(counter)}", **fields)
        db.session.commit()
        return bank
    return factory


@pytest.fixture
def make_question(reviewer):
    """make_question(bank, type="single", published=True, tags=(), author=None, points=None, **parsed) -> Question.

    Added as the bank owner's draft; when published, submitted and approved by a reviewer.
    """
    def factory(bank, type="single", published=True, tags=(), author=None, points=None, approver=None, **fields):
        writer = author or bank.owner
        question = banks.add_question(writer, bank, parsed_question(type, tags=tags, **fields))
        if points is not None:
            question.points = points
        if published:
            banks.submit_questions(writer, [question])
            banks.approve_question(approver or reviewer, question)
        db.session.commit()
        return question
    return factory


@pytest.fixture
def make_quiz(app):
    """make_quiz(owner, *items, publish=True, title=None, **settings) -> Quiz.

    An item is a Question (asked every time) or a (bank, tag, count) random draw.
    Questions are not shuffled unless the settings say so, so tests can rely on the order.
    """
    def factory(owner, *items, publish=True, title=None, **settings):
        settings.setdefault("shuffle_questions", False)
        settings.setdefault("shuffle_options", False)
        quiz = quizzes.create_quiz(owner, title or "党章测验", **settings)
        for item in items:
            if isinstance(item, Question):
                quizzes.add_fixed_question(owner, quiz, item)
            else:
                bank, tag, count = item
                quizzes.add_random_draw(owner, quiz, bank, tag, count)
        if publish:
            quizzes.set_published(owner, quiz, True)
        db.session.commit()
        return quiz
    return factory

"""Quiz windows: members of the quiz's audience hear when it opens, and, if they have not submitted it,
when it closes within a day; nobody outside the audience, nobody twice."""
from datetime import timedelta

from sqlalchemy import select

from learning_app.extensions import db
from learning_app.messages.models import Message, MessageKind
from learning_app.messages.reminders import send_due_reminders
from learning_app.timezones import utcnow
from quizzes.models import Attempt, AttemptStatus


def recipients(kind):
    db.session.expire_all()
    return sorted(db.session.scalars(select(Message.recipient_id).where(Message.kind == kind)))


def test_a_standalone_quiz_window_reminds_its_subtree(tree, make_user, author, make_quiz):
    now = utcnow()
    inside = [make_user(tree["a1"]), make_user(tree["a2"])]
    make_user(tree["b1"])  # outside general branch A
    quiz = make_quiz(author, org_id=tree["general_a"].id, opens_at=now + timedelta(hours=1),
                     closes_at=now + timedelta(days=3), publish=False)
    quiz.is_published = True  # published without questions: only its window matters here
    db.session.commit()
    assert send_due_reminders(now=now)["kinds"] == {}
    send_due_reminders(now=now + timedelta(hours=2))
    send_due_reminders(now=now + timedelta(hours=3))
    db.session.commit()
    assert recipients(MessageKind.QUIZ_OPENS) == sorted(user.id for user in inside)
    db.session.add(Attempt(quiz_id=quiz.id, user_id=inside[0].id, number=1, status=AttemptStatus.GRADED,
                           open_slot=None, submitted_at=now + timedelta(days=1)))
    db.session.commit()
    send_due_reminders(now=now + timedelta(days=2, hours=1))
    send_due_reminders(now=now + timedelta(days=2, hours=5))
    db.session.commit()
    assert recipients(MessageKind.QUIZ_CLOSES) == [inside[1].id]  # who submitted is not reminded

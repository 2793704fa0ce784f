"""What the courses send: a course assigned, its deadline 7 and 1 local days ahead, review outcomes and
reviews waiting; and send-reminders (again: nothing new; dry run: nothing written)."""
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from courses.models import Enrolment, EnrolmentSource
from courses.services import assignment, review
from learning_app.extensions import db
from learning_app.messages.models import Channel, Delivery, Message, MessageKind
from learning_app.messages.reminders import send_due_reminders
from learning_app.messages.services import settings_of
from learning_app.timezones import local_today, utcnow

SHANGHAI = ZoneInfo("Asia/Shanghai")


def messages(user=None, kind=None):
    db.session.expire_all()
    query = select(Message).order_by(Message.id)
    if user is not None:
        query = query.where(Message.recipient_id == user.id)
    if kind is not None:
        query = query.where(Message.kind == kind)
    return list(db.session.scalars(query))


def local_midnight_utc(day):
    """The instant local day `day` starts, in UTC (16:00 UTC the day before in Asia/Shanghai)."""
    return datetime.combine(day, time.min, SHANGHAI).astimezone(UTC)


@pytest.fixture
def people(tree, make_user):
    return {
        "supervisor": make_user(tree["general_a"], supervises=tree["general_a"], real_name="总支书记"),
        "a1": make_user(tree["a1"], real_name="甲一党员"),
        "a2": make_user(tree["a2"], real_name="甲二党员", locale="en"),
        "done": make_user(tree["a1"], real_name="已学完党员"),
        "b1": make_user(tree["b1"], real_name="乙一党员"),
    }


@pytest.fixture
def course(author, make_course):
    return make_course(author, lessons=["article"], title="党章学习")


def assign(people, course, tree, deadline):
    created = assignment.assign_course(people["supervisor"], course, tree["general_a"], deadline=deadline)
    db.session.commit()
    return created


def complete(user, course):
    db.session.add(Enrolment(user_id=user.id, course_id=course.id, source=EnrolmentSource.ASSIGNED,
                             completed_at=utcnow()))
    db.session.commit()


def test_assigning_a_course_messages_everyone_it_covers_once_in_their_language(people, course, tree):
    deadline = local_today() + timedelta(days=30)
    created = assign(people, course, tree, deadline)
    got = messages(kind=MessageKind.COURSE_ASSIGNED)
    assert {m.recipient_id for m in got} == {people[name].id for name in ("supervisor", "a1", "a2", "done")}
    assert messages(people["b1"]) == []  # the other general branch
    mine = messages(people["a1"])[0]
    assert mine.subject == "新指派课程：党章学习" and deadline.isoformat() in mine.body
    assert mine.link == f"/courses/{course.id}" and mine.dedupe_key == f"assigned:{created.id}"
    assert messages(people["a2"])[0].subject == "New course assigned: 党章学习"


def test_deadline_reminders_start_at_local_midnight_seven_days_ahead_and_skip_completed(people, course, tree):
    deadline = local_today() + timedelta(days=10)
    created = assign(people, course, tree, deadline)
    complete(people["done"], course)
    seven_days_before = local_midnight_utc(deadline - timedelta(days=7))  # 16:00 UTC the day before
    assert send_due_reminders(now=seven_days_before - timedelta(minutes=1))["kinds"] == {}
    counts = send_due_reminders(now=seven_days_before)
    db.session.commit()
    got = messages(kind=MessageKind.DEADLINE_AHEAD)
    assert {m.recipient_id for m in got} == {people[name].id for name in ("supervisor", "a1", "a2")}
    assert {m.dedupe_key for m in got} == {f"deadline:{created.id}:7"}
    assert counts["channels"]["message_centre"] == 3 and counts["kinds"] == {"deadline_ahead": 3}
    assert "10" not in messages(people["a1"], MessageKind.DEADLINE_AHEAD)[0].subject
    assert messages(people["a1"], MessageKind.DEADLINE_AHEAD)[0].subject == "7天后截止：党章学习"


def test_send_reminders_again_sends_nothing_new_and_at_most_two_per_deadline(people, course, tree):
    deadline = local_today() + timedelta(days=10)
    assign(people, course, tree, deadline)
    for days_before in range(9, -1, -1):
        for hour in (0, 9):  # twice a day, as a periodic job would
            moment = local_midnight_utc(deadline - timedelta(days=days_before)) + timedelta(hours=hour)
            send_due_reminders(now=moment)
            db.session.commit()
    keys = [m.dedupe_key for m in messages(people["a1"], MessageKind.DEADLINE_AHEAD)]
    assert len(keys) == 2 and keys[0].endswith(":7") and keys[1].endswith(":1")
    assert messages(people["a1"], MessageKind.DEADLINE_AHEAD)[1].subject == "明天截止：党章学习"
    assert send_due_reminders(now=local_midnight_utc(deadline - timedelta(days=1)))["kinds"] == {}


def test_a_dry_run_counts_per_channel_and_writes_nothing(app, people, course, tree):
    app.config.update(SMS_WEBHOOK_URL="http://127.0.0.1:9/sms")
    people["a1"].phone = "13800000000"
    settings_of(people["a2"]).email = "a2@example.cn"
    db.session.commit()
    deadline = local_today() + timedelta(days=7)
    assign(people, course, tree, deadline)
    before = (db.session.scalar(select(func.count()).select_from(Message)),
              db.session.scalar(select(func.count()).select_from(Delivery)))
    dry = send_due_reminders(dry_run=True)
    db.session.commit()
    after = (db.session.scalar(select(func.count()).select_from(Message)),
             db.session.scalar(select(func.count()).select_from(Delivery)))
    assert after == before
    assert dry["channels"] == {"message_centre": 4, "email": 0, "sms": 1, "wechat": 0}
    real = send_due_reminders()
    db.session.commit()
    assert real == dry
    assert db.session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.channel == Channel.SMS, Delivery.recipient_id == people["a1"].id)) == 2  # assigned + deadline


def test_the_command_prints_messages_per_channel_and_dry_run_writes_nothing(app, runner, people, course, tree):
    assign(people, course, tree, local_today() + timedelta(days=1))
    before = len(messages())
    result = runner.invoke(args=["send-reminders", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "站内信 4" in result.output and "短信 0" in result.output and "deadline_ahead: 4" in result.output
    assert len(messages()) == before
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0 and "站内信 4" in result.output
    assert len(messages()) == before + 4
    assert "站内信 0" in runner.invoke(args=["send-reminders"]).output


def test_review_outcomes_reach_the_author(author, reviewer, make_course):
    course = make_course(author, lessons=["article"], title="先审后发", publish=False)
    review.submit_for_review(course, author)
    review.return_to_author(course, reviewer, "请补充第二章")
    db.session.commit()
    got = messages(author, MessageKind.REVIEW_OUTCOME)
    assert [m.subject for m in got] == ["您的课程“先审后发”已被退回"] and got[0].body == "请补充第二章"
    review.submit_for_review(course, author)
    review.approve(course, reviewer)
    db.session.commit()
    assert len(messages(author, MessageKind.REVIEW_OUTCOME)) == 2
    assert messages(reviewer) == []


def test_a_review_waiting_more_than_three_days_reminds_the_reviewers_but_not_the_author(
        author, reviewer, make_user, make_course):
    other_reviewer = make_user(roles=["reviewer"])
    author_reviewer = make_user(roles=["reviewer", "author"])
    course = make_course(author_reviewer, lessons=["article"], title="待审课程", publish=False)
    review.submit_for_review(course, author_reviewer)
    db.session.commit()
    submitted = course.working.submitted_at
    assert send_due_reminders(now=submitted + timedelta(days=2, hours=23))["kinds"] == {}
    send_due_reminders(now=submitted + timedelta(days=3, minutes=1))
    db.session.commit()
    got = messages(kind=MessageKind.REVIEW_WAITING)
    assert {m.recipient_id for m in got} == {reviewer.id, other_reviewer.id}
    assert send_due_reminders(now=submitted + timedelta(days=5))["kinds"] == {}

"""What sites and bases send: a published notice to the site's members, a session tomorrow, changed or
cancelled to those signed up; notices waiting for review to the reviewers."""
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from courses.bases import services
from courses.bases.services import BaseRuleError
from learning_app.extensions import db
from learning_app.messages.models import Message, MessageKind
from learning_app.messages.reminders import send_due_reminders
from learning_app.timezones import utcnow


def messages(kind):
    db.session.expire_all()
    return list(db.session.scalars(select(Message).where(Message.kind == kind).order_by(Message.id)))


def recipients(kind):
    return sorted(m.recipient_id for m in messages(kind))


def test_a_published_notice_reaches_the_sites_members_and_its_outcome_the_author(
        world, make_site, make_user, reviewer):
    staff = make_user(world["a1"], real_name="站点管理员")
    site = make_site(world["manager"], world["general_a"], staff=[staff])
    notice = services.write_notice(staff, site, "本周学习安排", "周五下午集中学习")
    services.submit_notice(staff, notice)
    services.review_notice(reviewer, notice, False, "请写明地点")
    db.session.commit()
    assert recipients(MessageKind.NOTICE) == []
    assert [m.body for m in messages(MessageKind.REVIEW_OUTCOME)] == ["请写明地点"]
    services.submit_notice(staff, notice)
    services.review_notice(reviewer, notice, True)
    db.session.commit()
    inside = {world[name].id for name in ("manager", "member_a1", "member_a1_bis", "member_a2")} | {staff.id}
    assert set(recipients(MessageKind.NOTICE)) == inside  # not B1's member, not the other supervisor
    assert messages(MessageKind.NOTICE)[0].subject.endswith("本周学习安排")
    assert len(messages(MessageKind.REVIEW_OUTCOME)) == 2


def test_a_notice_waiting_more_than_three_days_reminds_the_reviewers_but_not_its_author(
        world, make_site, make_user, reviewer):
    staff = make_user(world["a1"], roles=["reviewer"], real_name="站点管理员")
    site = make_site(world["manager"], world["general_a"], staff=[staff])
    notice = services.write_notice(staff, site, "待审通知", "周五学习")
    services.submit_notice(staff, notice)
    db.session.commit()
    submitted = notice.submitted_at
    assert send_due_reminders(now=submitted + timedelta(days=2, hours=23))["kinds"] == {}
    send_due_reminders(now=submitted + timedelta(days=3, minutes=1))
    db.session.commit()
    assert recipients(MessageKind.REVIEW_WAITING) == [reviewer.id]  # the author, a reviewer too, is left out
    assert messages(MessageKind.REVIEW_WAITING)[0].link == "/sites/notices/review"
    assert send_due_reminders(now=submitted + timedelta(days=5))["kinds"] == {}


@pytest.fixture
def signed_session(world, make_base, make_session):
    base = make_base(world["manager"], world["general_a"])
    tomorrow_local = (utcnow().astimezone(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date()
    starts = datetime.combine(tomorrow_local, time(9), ZoneInfo("Asia/Shanghai")).astimezone(UTC)
    session = make_session(base, world["manager"], [world["general_a"]], now=starts, starts_in=timedelta(0),
                           walk_ins=False)
    for name in ("member_a1", "member_a2"):
        services.sign_up(world[name], session)
    db.session.commit()
    return session


def test_a_session_tomorrow_reminds_those_signed_up_once(world, signed_session):
    send_due_reminders()
    send_due_reminders()
    db.session.commit()
    assert recipients(MessageKind.SESSION_TOMORROW) == sorted([world["member_a1"].id, world["member_a2"].id])
    assert messages(MessageKind.SESSION_TOMORROW)[0].link == f"/bases/sessions/{signed_session.id}"


def test_a_change_and_a_cancellation_reach_those_signed_up(world, signed_session):
    signed = sorted([world["member_a1"].id, world["member_a2"].id])
    later = signed_session.starts_at + timedelta(hours=2)
    services.reschedule_session(world["manager"], signed_session, later, later + timedelta(hours=2))
    db.session.commit()
    assert recipients(MessageKind.SESSION_CHANGED) == signed
    services.reschedule_session(world["manager"], signed_session, later, later + timedelta(hours=2))  # no change
    services.reschedule_session(world["manager"], signed_session, later + timedelta(hours=1),
                                later + timedelta(hours=3))
    db.session.commit()
    assert len(messages(MessageKind.SESSION_CHANGED)) == 4  # two changes, two members
    with pytest.raises(BaseRuleError):
        services.cancel_session(world["other_supervisor"], signed_session)
    db.session.rollback()
    services.cancel_session(world["manager"], signed_session)
    db.session.commit()
    assert recipients(MessageKind.SESSION_CANCELLED) == signed
    send_due_reminders()
    assert messages(MessageKind.SESSION_TOMORROW) == []  # a cancelled session is not reminded
    with pytest.raises(BaseRuleError):
        services.sign_up(world["member_a1_bis"], signed_session)


def test_the_session_page_changes_the_time_and_cancels_for_its_managers_only(world, signed_session, login):
    page = f"/bases/sessions/{signed_session.id}"
    outsider = login(world["other_supervisor"])
    assert outsider.post(f"{page}/cancel").status_code in (403, 404)
    manager = login(world["manager"])
    assert "取消活动" in manager.get(page).get_data(as_text=True)
    starts = signed_session.starts_at.astimezone(ZoneInfo("Asia/Shanghai")) + timedelta(hours=1)
    response = manager.post(f"{page}/reschedule", data={
        "reschedule-starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "reschedule-ends_at": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    assert len(messages(MessageKind.SESSION_CHANGED)) == 2
    assert manager.post(f"{page}/cancel").status_code == 302
    assert len(messages(MessageKind.SESSION_CANCELLED)) == 2
    assert "此活动已取消" in login(world["member_a1"]).get(page).get_data(as_text=True)

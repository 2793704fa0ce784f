"""Walk-ins: a member who did not sign up is checked in and credited only at a session that accepts
walk-ins, a setting the base's staff choose when scheduling and change on the session page.

In the field test a member who never signed up was checked in and credited."""
import re
from datetime import timedelta

import pytest
from flask_babel import gettext
from sqlalchemy import select

from courses.bases import checkin, services
from courses.bases.models import Attendance, BaseSession
from courses.bases.services import BaseRuleError
from learning_app.extensions import db
from learning_app.models import utcnow
from tests.conftest import PASSWORD
from tests.courses.bases.helpers import NOW, audits, ledger, refused_with

NOT_SIGNED_UP = "This session admits only members who signed up. Sign up first (while places are left), then check in."
STAFF_NOT_SIGNED_UP = ("%(name)s did not sign up, and this session does not accept walk-ins. "
                       "Accept walk-ins on the session page to admit them.")


@pytest.fixture
def base(world, make_base):
    return make_base(world["manager"], world["general_a"], name="红色教育基地")


def schedule(world, base, now=NOW, **options):
    """A session scheduled as the staff would, without the test factory's defaults."""
    session = services.schedule_session(world["manager"], base, "现场教学", now - timedelta(minutes=10),
                                        now + timedelta(hours=2), 2, 50, [world["general_a"]], **options)
    db.session.commit()
    return session


def attended(user, session):
    db.session.expire_all()
    return db.session.scalar(select(Attendance.id).where(Attendance.user_id == user.id,
                                                         Attendance.session_id == session.id)) is not None


def code(session, now=NOW):
    return checkin.current_code(session.id, now)[0]


# --- the rule ----------------------------------------------------------------------------------------

def test_sessions_do_not_accept_walk_ins_unless_the_staff_say_so(world, base):
    assert schedule(world, base).accepts_walk_ins is False
    assert schedule(world, base, accepts_walk_ins=True).accepts_walk_ins is True


def test_a_member_who_did_not_sign_up_is_refused_and_not_credited(world, base):
    session, member = schedule(world, base), world["member_a1"]
    with pytest.raises(BaseRuleError) as error:
        services.check_in(member, session, code(session), now=NOW)
    assert refused_with(error, NOT_SIGNED_UP)
    db.session.rollback()
    assert not attended(member, session) and ledger(member) == []


def test_a_member_who_signed_up_checks_in_without_walk_ins(world, base):
    session, member = schedule(world, base), world["member_a1"]
    services.sign_up(member, session, now=NOW)
    services.check_in(member, session, code(session), now=NOW)
    db.session.commit()
    assert attended(member, session) and len(ledger(member, "base_session")) == 1


def test_a_walk_in_checks_in_and_is_credited_when_the_session_accepts_walk_ins(world, base):
    session, member = schedule(world, base, accepts_walk_ins=True), world["member_a1"]
    services.check_in(member, session, code(session), now=NOW)
    db.session.commit()
    assert attended(member, session) and len(ledger(member, "base_session")) == 1


def test_staff_mark_a_member_who_did_not_sign_up_only_when_walk_ins_are_accepted(world, base):
    manager, member = world["manager"], world["member_a2"]
    session = schedule(world, base)
    with pytest.raises(BaseRuleError) as error:
        services.mark_attendance(manager, session, member, "忘带手机", now=NOW)
    assert refused_with(error, STAFF_NOT_SIGNED_UP, name=member.real_name)
    db.session.rollback()
    assert not attended(member, session) and ledger(member) == []

    services.set_walk_ins(manager, session, True)
    services.mark_attendance(manager, session, member, "忘带手机", now=NOW)
    db.session.commit()
    assert attended(member, session)


def test_only_the_base_managers_change_the_setting_and_it_is_audited(world, base):
    session = schedule(world, base)
    for actor in (world["member_a1"], world["other_supervisor"]):
        with pytest.raises(BaseRuleError):
            services.set_walk_ins(actor, session, True)
        db.session.rollback()
    services.set_walk_ins(world["manager"], session, True)
    db.session.commit()
    services.set_walk_ins(world["manager"], session, True)  # unchanged: nothing to audit
    db.session.commit()
    [entry] = audits("base.session_walk_ins")
    assert (entry.actor_id, entry.target_id, entry.detail) == (world["manager"].id, session.id,
                                                                {"accepts_walk_ins": True})


# --- over HTTP ---------------------------------------------------------------------------------------

def session_page(client, session):
    return client.get(f"/bases/sessions/{session.id}").get_data(as_text=True)


def walk_in_box(page):
    [box] = re.findall(r'<input[^>]*name="walkin-accepts_walk_ins"[^>]*>', page)
    return box


def test_the_schedule_form_offers_walk_ins_and_stores_the_choice(world, base, login):
    client = login(world["manager"])
    page = client.get(f"/bases/{base.id}").get_data(as_text=True)
    assert 'name="accepts_walk_ins"' in page and "接受未报名的党员现场签到" in page
    form = {"topic": "现场教学", "starts_at": "2030-06-01T09:00", "ends_at": "2030-06-01T11:00", "hours": "2",
            "capacity": "30", "course_id": "0", "invited": [str(world["general_a"].id)]}
    for ticked, expected in ((False, False), (True, True)):
        data = {**form, "topic": f"现场教学{expected}", **({"accepts_walk_ins": "y"} if ticked else {})}
        assert client.post(f"/bases/{base.id}", data=data).status_code == 302
        db.session.expire_all()
        session = db.session.scalar(select(BaseSession).where(BaseSession.topic == f"现场教学{expected}"))
        assert session.accepts_walk_ins is expected


def test_the_session_page_shows_the_setting_and_the_staff_change_it(world, base, login):
    session = schedule(world, base, now=utcnow())
    manager, member = login(world["manager"]), login(world["member_a1"])
    assert "本场活动仅限已报名的党员签到" in session_page(member, session)
    staff_page = session_page(manager, session)
    assert "本场活动仅限已报名的党员签到" in staff_page
    assert f'action="/bases/sessions/{session.id}/walk-ins"' in staff_page
    assert "checked" not in walk_in_box(staff_page)

    assert member.post(f"/bases/sessions/{session.id}/walk-ins",
                       data={"walkin-accepts_walk_ins": "y"}).status_code == 403
    assert login(world["other_supervisor"]).post(f"/bases/sessions/{session.id}/walk-ins",
                                                 data={"walkin-accepts_walk_ins": "y"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(BaseSession, session.id).accepts_walk_ins is False

    response = manager.post(f"/bases/sessions/{session.id}/walk-ins", data={"walkin-accepts_walk_ins": "y"})
    assert response.status_code == 302 and response.location.endswith(f"/bases/sessions/{session.id}")
    db.session.expire_all()
    assert db.session.get(BaseSession, session.id).accepts_walk_ins is True
    assert "接受未报名的党员现场签到" in session_page(member, session)
    assert "checked" in walk_in_box(session_page(manager, session))
    manager.post(f"/bases/sessions/{session.id}/walk-ins", data={})
    db.session.expire_all()
    assert db.session.get(BaseSession, session.id).accepts_walk_ins is False


def test_a_member_who_did_not_sign_up_is_told_so_by_the_typed_code_and_the_qr_link(world, base, login):
    session = schedule(world, base, now=utcnow())
    member = world["member_a1"]
    client = login(member)
    page = session_page(client, session)
    assert 'name="code"' not in page and "报名" in page  # no code box; the sign-up button instead
    page = client.post(f"/bases/sessions/{session.id}/check-in", data={"code": code(session, utcnow())},
                       follow_redirects=True).get_data(as_text=True)
    assert "本场活动仅限已报名的党员签到。请先报名（尚有名额时），再签到。" in page
    link = login(world["manager"]).get(f"/bases/sessions/{session.id}/code.json").get_json()["link"]
    assert client.get(link).status_code == 200
    page = client.post(link, data={"code": code(session, utcnow())}, follow_redirects=True).get_data(as_text=True)
    assert "本场活动仅限已报名的党员签到" in page
    assert not attended(member, session) and ledger(member) == []

    client.post("/language", data={"language": "en", "next": "/"})
    page = client.post(link, data={"code": code(session, utcnow())}, follow_redirects=True).get_data(as_text=True)
    assert gettext(NOT_SIGNED_UP) != NOT_SIGNED_UP  # the Chinese catalogue has it
    assert NOT_SIGNED_UP in page

    client.post(f"/bases/sessions/{session.id}/sign-up")
    client.post(link, data={"code": code(session, utcnow())})
    assert attended(member, session)


def test_staff_marking_a_member_who_did_not_sign_up_is_told_why(world, base, login):
    session = schedule(world, base, now=utcnow())
    member = world["member_a2"]
    page = login(world["manager"]).post(f"/bases/sessions/{session.id}/mark",
                                        data={"mark-login_id": member.login_id, "mark-reason": "忘带手机"},
                                        follow_redirects=True).get_data(as_text=True)
    assert f"{member.real_name}未报名，且本场活动不接受现场签到" in page
    assert not attended(member, session)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_changing_the_setting_needs_the_forms_csrf_token(world, base, app):
    session = schedule(world, base, now=utcnow())
    client = app.test_client()
    login_page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/auth/login", data={"login_id": world["manager"].login_id, "password": PASSWORD,
                                     "csrf_token": token})
    url = f"/bases/sessions/{session.id}/walk-ins"
    assert client.post(url, data={"walkin-accepts_walk_ins": "y"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(BaseSession, session.id).accepts_walk_ins is False
    token = re.search(r'name="walkin-csrf_token" type="hidden" value="([^"]+)"',
                      session_page(client, session)).group(1)
    assert client.post(url, data={"walkin-accepts_walk_ins": "y", "walkin-csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(BaseSession, session.id).accepts_walk_ins is True

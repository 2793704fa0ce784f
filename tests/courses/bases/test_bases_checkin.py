"""Check-in at base sessions: rotating codes, the session window, invited subtrees only, credited once;
staff marking by hand with a reason."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from courses.bases import checkin, services
from courses.bases.models import Attendance
from courses.bases.services import BaseRuleError
from learning_app.extensions import db
from learning_app.models import utcnow
from tests.courses.bases.helpers import NOW, audits, count, ledger, refused_with


@pytest.fixture
def base(world, make_base):
    return make_base(world["manager"], world["general_a"], name="红色教育基地")


@pytest.fixture
def session(world, base, make_session):
    """Invites general branch A (so A1 and A2); started ten minutes before NOW, lasts two hours."""
    return make_session(base, world["manager"], invited=[world["general_a"]], hours=2.5)


def window(moment):
    return int(moment.timestamp()) // checkin.WINDOW_SECONDS


def code_at(session, moment, windows_ago=0):
    return checkin.code_for(session.id, window(moment) - windows_ago)


def attendance_of(user, session):
    db.session.expire_all()
    return db.session.scalar(select(Attendance).where(Attendance.user_id == user.id,
                                                      Attendance.session_id == session.id))


def check_in(user, session, code, now=NOW):
    attendance = services.check_in(user, session, code, now=now)
    db.session.commit()
    return attendance


# --- the code ----------------------------------------------------------------------------------------

def test_codes_are_six_digits_and_bound_to_session_and_window(world, session, make_session, base):
    other = make_session(base, world["manager"], invited=[world["general_a"]])
    code, seconds_left = checkin.current_code(session.id, NOW)
    assert len(code) == 6 and code.isdigit()
    assert 0 < seconds_left <= checkin.WINDOW_SECONDS
    assert code == code_at(session, NOW)
    assert code != checkin.current_code(other.id, NOW)[0]
    assert code != code_at(session, NOW + timedelta(seconds=checkin.WINDOW_SECONDS))


def test_current_code_checks_in_and_credits_session_hours_once(world, session):
    member = world["member_a1"]
    attendance = check_in(member, session, checkin.current_code(session.id, NOW)[0])
    assert attendance.method == "code" and attendance.marked_by_id is None
    entries = ledger(member)
    assert [(e.source_type, e.source_id, e.hours) for e in entries] == [("base_session", session.id, Decimal("2.5"))]


def test_previous_window_code_still_works(world, session):
    member = world["member_a1"]
    check_in(member, session, code_at(session, NOW, windows_ago=1))
    assert attendance_of(member, session) is not None
    assert len(ledger(member, "base_session")) == 1


def test_code_two_or_more_windows_old_is_refused(world, session):
    member = world["member_a1"]
    for windows_ago in (2, 3, 20):
        with pytest.raises(BaseRuleError) as error:
            services.check_in(member, session, code_at(session, NOW, windows_ago), now=NOW)
        assert refused_with(
            error, "The code is wrong or has expired. Enter the code shown now (tries left: %(count)s).", count=4)
        db.session.rollback()
    assert attendance_of(member, session) is None
    assert ledger(member) == []


def test_a_code_from_the_next_window_is_refused(world, session):
    member = world["member_a1"]
    with pytest.raises(BaseRuleError):
        services.check_in(member, session, code_at(session, NOW, windows_ago=-1), now=NOW)


def test_another_sessions_code_is_refused(world, base, session, make_session):
    other = make_session(base, world["manager"], invited=[world["general_a"]])
    member = world["member_a1"]
    for other_code in (checkin.current_code(other.id, NOW)[0], code_at(other, NOW, 1)):
        with pytest.raises(BaseRuleError):
            services.check_in(member, session, other_code, now=NOW)
        db.session.rollback()
    assert attendance_of(member, session) is None
    assert ledger(member) == []


@pytest.mark.parametrize("code", ["", "   ", "12345", "1234567", "abcdef", "１２３４５６", "١٢٣٤٥٦"])
def test_malformed_codes_are_refused_not_crashing(world, session, code):
    with pytest.raises(BaseRuleError):
        services.check_in(world["member_a1"], session, code, now=NOW)
    assert checkin.code_is_valid(session.id, code, NOW) is False


def test_replayed_check_in_is_refused_with_no_second_ledger_row(world, session):
    member = world["member_a1"]
    code = checkin.current_code(session.id, NOW)[0]
    check_in(member, session, code)
    with pytest.raises(BaseRuleError) as error:
        services.check_in(member, session, code, now=NOW + timedelta(seconds=5))
    assert refused_with(error, "Already checked in for this session.")
    db.session.rollback()
    # a fresh code later on does not help either
    later = NOW + timedelta(minutes=20)
    with pytest.raises(BaseRuleError):
        services.check_in(member, session, checkin.current_code(session.id, later)[0], now=later)
    db.session.rollback()
    assert count(Attendance, Attendance.user_id == member.id) == 1
    assert len(ledger(member)) == 1


def test_check_in_window_opens_thirty_minutes_before_start_and_closes_at_the_end(world, base, make_session):
    session = make_session(base, world["manager"], invited=[world["general_a"]], starts_in=timedelta(hours=1),
                           duration=timedelta(hours=1))
    starts, ends = NOW + timedelta(hours=1), NOW + timedelta(hours=2)
    member, early_bird = world["member_a1"], world["member_a2"]

    for moment in (starts - timedelta(minutes=31), starts - timedelta(hours=5), ends + timedelta(seconds=1),
                   ends + timedelta(days=1)):
        with pytest.raises(BaseRuleError) as error:
            services.check_in(member, session, checkin.current_code(session.id, moment)[0], now=moment)
        assert refused_with(error, "Check-in is open only during the session.")
        db.session.rollback()
    assert attendance_of(member, session) is None

    moment = starts - timedelta(minutes=29)
    check_in(early_bird, session, checkin.current_code(session.id, moment)[0], now=moment)
    check_in(member, session, checkin.current_code(session.id, ends)[0], now=ends)
    assert attendance_of(early_bird, session) is not None and attendance_of(member, session) is not None


def test_member_outside_invited_subtree_is_refused_by_the_service(world, session):
    outsider = world["member_b1"]
    with pytest.raises(BaseRuleError) as error:
        services.check_in(outsider, session, checkin.current_code(session.id, NOW)[0], now=NOW)
    assert refused_with(error, "Your organisation is not invited to this session.")
    db.session.rollback()
    assert ledger(outsider) == []


def test_invitation_covers_the_subtree_only(world, base, make_session):
    """Inviting branch A1 does not invite its sibling A2 nor its parent's supervisor without a branch."""
    session = make_session(base, world["manager"], invited=[world["a1"]])
    assert session.invites(world["member_a1"])
    assert not session.invites(world["member_a2"])
    assert not session.invites(world["member_b1"])
    assert not session.invites(world["other_supervisor"])


# --- over HTTP ---------------------------------------------------------------------------------------

@pytest.fixture
def live_session(world, base, make_session):
    """A session running now by the real clock (the views use it)."""
    return make_session(base, world["manager"], invited=[world["general_a"]], now=utcnow())


def test_outsider_gets_404_on_session_and_check_in_pages(world, live_session, login):
    client = login(world["member_b1"])
    sid = live_session.id
    code = checkin.current_code(sid, utcnow())[0]
    assert client.get(f"/bases/sessions/{sid}").status_code == 404
    assert client.get(f"/bases/sessions/{sid}/check-in?code={code}").status_code == 404
    assert client.post(f"/bases/sessions/{sid}/check-in", data={"code": code}).status_code == 404
    assert client.post(f"/bases/sessions/{sid}/sign-up").status_code == 404
    assert client.get("/bases/sessions/999999").status_code == 404
    assert attendance_of(world["member_b1"], live_session) is None


def test_invited_member_sees_the_session_and_checks_in_over_http(world, live_session, login):
    member = world["member_a1"]
    client = login(member)
    sid = live_session.id
    page = client.get(f"/bases/sessions/{sid}")
    assert page.status_code == 200 and live_session.topic in page.get_data(as_text=True)
    code = checkin.current_code(sid, utcnow())[0]
    response = client.post(f"/bases/sessions/{sid}/check-in", data={"code": code})
    assert response.status_code == 302 and response.location.endswith(f"/bases/sessions/{sid}")
    assert attendance_of(member, live_session).method == "code"
    assert len(ledger(member, "base_session")) == 1
    # posting again is refused and credits nothing more
    client.post(f"/bases/sessions/{sid}/check-in", data={"code": checkin.current_code(sid, utcnow())[0]})
    assert len(ledger(member, "base_session")) == 1


def test_check_in_route_records_only_the_signed_in_member(world, live_session, login):
    member, other = world["member_a1"], world["member_a1_bis"]
    client = login(member)
    sid = live_session.id
    code = checkin.current_code(sid, utcnow())[0]
    response = client.post(f"/bases/sessions/{sid}/check-in",
                           data={"code": code, "user_id": other.id, "login_id": other.login_id,
                                 "user": other.login_id})
    assert response.status_code == 302
    assert attendance_of(member, live_session) is not None
    assert attendance_of(other, live_session) is None
    assert ledger(other) == []
    response = client.post(f"/bases/sessions/{sid}/check-in?user_id={other.id}", data={"code": code})
    assert attendance_of(other, live_session) is None


def test_wrong_or_non_ascii_code_over_http_is_refused_without_error(world, live_session, login):
    member = world["member_a1"]
    client = login(member)
    sid = live_session.id
    good = checkin.current_code(sid, utcnow())[0]
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    for code in (wrong, "１２３４５６", "abcdef", ""):
        response = client.post(f"/bases/sessions/{sid}/check-in", data={"code": code})
        assert response.status_code in (200, 302)
    assert attendance_of(member, live_session) is None


def test_code_endpoint_is_for_the_base_managers_only_and_never_cached(world, live_session, login):
    sid = live_session.id
    manager = login(world["manager"])
    response = manager.get(f"/bases/sessions/{sid}/code.json")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    data = response.get_json()
    now = utcnow()
    assert data["code"] in {code_at(live_session, now), code_at(live_session, now, 1)}
    assert 0 < data["seconds_left"] <= checkin.WINDOW_SECONDS
    assert f"/bases/sessions/{sid}/check-in?code={data['code']}" in data["link"]
    assert data["qr_svg"].lstrip().startswith("<svg")
    assert manager.get(f"/bases/sessions/{sid}/code").status_code == 200

    member = login(world["member_a1"])
    assert member.get(f"/bases/sessions/{sid}/code.json").status_code == 403
    assert member.get(f"/bases/sessions/{sid}/code").status_code == 403
    for outsider in (world["member_b1"], world["other_supervisor"]):
        client = login(outsider)
        assert client.get(f"/bases/sessions/{sid}/code.json").status_code in (403, 404)
        assert client.get(f"/bases/sessions/{sid}/code").status_code in (403, 404)
    assert manager.get("/bases/sessions/999999/code.json").status_code == 404


def test_code_endpoint_requires_login(live_session, client):
    response = client.get(f"/bases/sessions/{live_session.id}/code.json")
    assert response.status_code == 302 and "/auth/login" in response.location


def test_qr_link_opens_the_check_in_page_with_the_code(world, live_session, login):
    data = login(world["manager"]).get(f"/bases/sessions/{live_session.id}/code.json").get_json()
    member = world["member_a1"]
    client = login(member)
    page = client.get(data["link"])
    assert page.status_code == 200
    assert f'value="{data["code"]}"' in page.get_data(as_text=True)
    assert client.post(data["link"], data={"code": data["code"]}).status_code == 302
    assert attendance_of(member, live_session) is not None


# --- staff marking by hand ---------------------------------------------------------------------------

@pytest.mark.parametrize("reason", ["", "   ", None])
def test_marking_by_hand_requires_a_reason(world, session, reason):
    with pytest.raises(BaseRuleError) as error:
        services.mark_attendance(world["manager"], session, world["member_a1"], reason, now=NOW)
    assert refused_with(error, "Give the reason for marking attendance by hand.")
    db.session.rollback()
    assert attendance_of(world["member_a1"], session) is None
    assert audits("base.mark_attendance") == []


def test_marking_by_hand_records_manual_attendance_and_audit(world, session):
    manager, member = world["manager"], world["member_a1"]
    services.mark_attendance(manager, session, member, "  手机没电  ", now=NOW)
    db.session.commit()
    attendance = attendance_of(member, session)
    assert (attendance.method, attendance.marked_by_id, attendance.reason) == ("manual", manager.id, "手机没电")
    [entry] = audits("base.mark_attendance")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (manager.id, "base_session", session.id)
    assert entry.detail["user_id"] == member.id and entry.detail["reason"] == "手机没电"
    assert [(e.source_type, e.source_id) for e in ledger(member)] == [("base_session", session.id)]

    with pytest.raises(BaseRuleError):
        services.mark_attendance(manager, session, member, "again", now=NOW)
    db.session.rollback()
    with pytest.raises(BaseRuleError):
        services.check_in(member, session, checkin.current_code(session.id, NOW)[0], now=NOW)
    db.session.rollback()
    assert len(ledger(member)) == 1
    assert len(audits("base.mark_attendance")) == 1


def test_marking_by_hand_is_refused_for_non_managers_and_uninvited_members(world, session, make_user):
    for actor in (world["member_a1"], world["other_supervisor"], make_user(world["a1"], roles=["reviewer"])):
        with pytest.raises(BaseRuleError):
            services.mark_attendance(actor, session, world["member_a2"], "reason", now=NOW)
        db.session.rollback()
    with pytest.raises(BaseRuleError):
        services.mark_attendance(world["manager"], session, world["member_b1"], "reason", now=NOW)
    db.session.rollback()
    assert count(Attendance) == 0


def test_an_admin_may_mark_attendance(world, session, make_user):
    admin = make_user(roles=["admin"])
    services.mark_attendance(admin, session, world["member_a2"], "签到机故障", now=NOW)
    db.session.commit()
    assert attendance_of(world["member_a2"], session).method == "manual"


def test_marking_over_http(world, live_session, login):
    sid = live_session.id
    target = world["member_a2"]
    data = {"mark-login_id": target.login_id, "mark-reason": "忘带手机"}
    assert login(world["member_a1"]).post(f"/bases/sessions/{sid}/mark", data=data).status_code == 403
    assert login(world["other_supervisor"]).post(f"/bases/sessions/{sid}/mark", data=data).status_code == 403
    assert attendance_of(target, live_session) is None

    manager = login(world["manager"])
    response = manager.post(f"/bases/sessions/{sid}/mark", data={"mark-login_id": target.login_id,
                                                                  "mark-reason": ""})
    assert response.status_code == 400 and f'value="{target.login_id}"' in response.get_data(as_text=True)
    assert attendance_of(target, live_session) is None

    response = manager.post(f"/bases/sessions/{sid}/mark", data=data)
    assert response.status_code == 302 and response.location.endswith(f"/bases/sessions/{sid}")
    attendance = attendance_of(target, live_session)
    assert (attendance.method, attendance.reason, attendance.marked_by_id) == ("manual", "忘带手机",
                                                                               world["manager"].id)
    assert len(audits("base.mark_attendance")) == 1
    page = manager.get(f"/bases/sessions/{sid}").get_data(as_text=True)
    assert target.login_id in page and "忘带手机" in page


def test_marking_an_unknown_or_uninvited_number_names_it_and_keeps_what_was_typed(world, live_session, login):
    sid = live_session.id
    manager = login(world["manager"])
    response = manager.post(f"/bases/sessions/{sid}/mark", data={"mark-login_id": " no-such-member ",
                                                                  "mark-reason": "忘带手机"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "没有编号为 no-such-member 的党员。" in page
    assert 'value=" no-such-member "' in page and 'value="忘带手机"' in page

    outsider = world["member_b1"]
    response = manager.post(f"/bases/sessions/{sid}/mark", data={"mark-login_id": outsider.login_id,
                                                                  "mark-reason": "忘带手机"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"编号为 {outsider.login_id} 的党员所在组织未受邀参加本场活动。" in page
    assert 'value="忘带手机"' in page
    assert count(Attendance) == 0 and audits("base.mark_attendance") == []

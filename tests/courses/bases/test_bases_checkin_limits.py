"""Guessing check-in codes: a few wrong codes per member and a ceiling per session, counted in the
database (so every worker and process sees the same count), every refusal audited.

In the field test 300 wrong codes in 20 s met no limit and the right code then worked."""
from datetime import timedelta

import pytest
from flask import current_app, get_flashed_messages
from flask_babel import gettext
from sqlalchemy import select

from courses.bases import checkin, services
from courses.bases.models import Attendance, BaseSession, CheckInTries
from learning_app import create_app
from learning_app.extensions import db
from learning_app.models import User, utcnow
from learning_app.transactions import write_and_redirect
from tests.concurrency import on_postgres, run_at_once
from tests.conftest import PASSWORD
from tests.courses.bases.helpers import NOW, audits, count, ledger

WRONG = "The code is wrong or has expired. Enter the code shown now (tries left: %(count)s)."
LAST_TRY = ("The code is wrong or has expired, and that was your last try. "
            "Ask the session's staff to check you in by hand.")
MEMBER_LIMIT = "Too many wrong codes. Ask the session's staff to check you in by hand."
SESSION_LIMIT = ("Too many wrong codes were entered for this session, so check-in by code is closed. "
                 "Ask the session's staff to check you in by hand.")


@pytest.fixture
def base(world, make_base):
    return make_base(world["manager"], world["general_a"], name="红色教育基地")


@pytest.fixture
def session(world, base, make_session):
    return make_session(base, world["manager"], invited=[world["general_a"]])


@pytest.fixture
def per_member(app):
    return app.config["CHECKIN_WRONG_CODES_PER_MEMBER"]


def right_code(session, now=NOW):
    return checkin.current_code(session.id, now)[0]


def wrong_code(session, now=NOW, offset=1):
    """A code that is neither this window's nor the previous one's."""
    window = int(now.timestamp()) // checkin.WINDOW_SECONDS
    valid = {checkin.code_for(session.id, window - back) for back in (0, 1)}
    candidate = int(right_code(session, now)) + offset
    while f"{candidate % 1_000_000:06d}" in valid:
        candidate += 1
    return f"{candidate % 1_000_000:06d}"


def attempt(user, session, code, now=NOW):
    """One check-in as the view runs it (learning_app.transactions.write_and_redirect); the message the member sees."""
    with current_app.test_request_context():
        write_and_redirect(lambda: services.check_in(user, session, code, now=now), "checked in", "/")
        [(_category, message)] = get_flashed_messages(with_categories=True)
    return message


def attended(user, session):
    db.session.expire_all()
    return db.session.scalar(select(Attendance.id).where(Attendance.user_id == user.id,
                                                         Attendance.session_id == session.id)) is not None


def wrong_codes_of(user, session):
    db.session.expire_all()
    return db.session.scalar(select(CheckInTries.wrong_codes).where(CheckInTries.user_id == user.id,
                                                                    CheckInTries.session_id == session.id)) or 0


def session_wrong_codes(session):
    db.session.expire_all()
    return db.session.get(BaseSession, session.id).wrong_codes


# --- per member ------------------------------------------------------------------------------------

def test_the_configured_limits_are_small(app):
    assert app.config["CHECKIN_WRONG_CODES_PER_MEMBER"] == 5
    assert app.config["CHECKIN_WRONG_CODES_PER_SESSION"] == 100


def test_a_member_has_a_few_wrong_tries_then_even_the_right_code_is_refused(world, session, per_member):
    member = world["member_a1"]
    messages = [attempt(member, session, wrong_code(session)) for _ in range(per_member)]
    assert messages == [gettext(WRONG, count=left) for left in range(per_member - 1, 0, -1)] + [gettext(LAST_TRY)]
    assert attempt(member, session, right_code(session)) == gettext(MEMBER_LIMIT)
    assert not attended(member, session) and ledger(member) == []
    assert wrong_codes_of(member, session) == per_member
    # a later window's code does not reopen it either: the count is per session, not per window
    later = NOW + timedelta(minutes=30)
    assert attempt(member, session, right_code(session, later), later) == gettext(MEMBER_LIMIT)
    # the staff can still check the member in by hand
    services.mark_attendance(world["manager"], session, member, "签到码输错次数过多", now=later)
    db.session.commit()
    assert attended(member, session)


def test_three_hundred_wrong_codes_in_a_row_meet_the_limit(world, session, per_member):
    """The field test: 300 wrong codes, then the right one."""
    member = world["member_a1"]
    for offset in range(300):
        attempt(member, session, wrong_code(session, offset=offset + 1))
    assert attempt(member, session, right_code(session)) == gettext(MEMBER_LIMIT)
    assert not attended(member, session)
    assert wrong_codes_of(member, session) == per_member
    assert session_wrong_codes(session) == per_member


def test_the_right_code_within_the_limit_checks_in_and_is_not_counted(world, session, per_member):
    member = world["member_a1"]
    for _ in range(per_member - 1):
        attempt(member, session, wrong_code(session))
    assert attempt(member, session, right_code(session)) == "checked in"
    assert attended(member, session) and len(ledger(member, "base_session")) == 1
    assert wrong_codes_of(member, session) == per_member - 1
    assert session_wrong_codes(session) == per_member - 1


def test_one_members_wrong_codes_do_not_count_against_another_or_another_session(
        world, base, session, make_session, per_member):
    member, neighbour = world["member_a1"], world["member_a1_bis"]
    other_session = make_session(base, world["manager"], invited=[world["general_a"]])
    for _ in range(per_member):
        attempt(member, session, wrong_code(session))
    assert attempt(neighbour, session, right_code(session)) == "checked in"
    assert attempt(member, other_session, right_code(other_session)) == "checked in"
    assert wrong_codes_of(member, other_session) == 0


def test_refusals_that_are_not_about_the_code_do_not_count(world, session):
    member, outsider = world["member_a1"], world["member_b1"]
    too_late = NOW + timedelta(hours=3)
    assert attempt(member, session, wrong_code(session, too_late), too_late) == gettext(
        "Check-in is open only during the session.")
    assert attempt(outsider, session, wrong_code(session)) == gettext(
        "Your organisation is not invited to this session.")
    assert wrong_codes_of(member, session) == 0 and wrong_codes_of(outsider, session) == 0
    assert session_wrong_codes(session) == 0


# --- per session -----------------------------------------------------------------------------------

@pytest.mark.app_config(CHECKIN_WRONG_CODES_PER_SESSION=6)
def test_a_crowd_of_accounts_meets_the_session_ceiling(world, session, make_user):
    crowd = [make_user(world["a1"]) for _ in range(3)]
    for member in crowd:
        for _ in range(2):
            attempt(member, session, wrong_code(session))
    assert session_wrong_codes(session) == 6
    newcomer = make_user(world["a2"])
    assert attempt(newcomer, session, right_code(session)) == gettext(SESSION_LIMIT)
    assert attempt(crowd[0], session, wrong_code(session)) == gettext(SESSION_LIMIT)
    assert not attended(newcomer, session) and ledger(newcomer) == []
    assert session_wrong_codes(session) == 6
    assert wrong_codes_of(crowd[0], session) == 2 and wrong_codes_of(newcomer, session) == 0


# --- audit -----------------------------------------------------------------------------------------

def test_every_refused_code_is_audited_with_the_reason(world, session, per_member):
    member = world["member_a1"]
    for _ in range(per_member):
        attempt(member, session, wrong_code(session))
    attempt(member, session, right_code(session))
    entries = audits("base.check_in_refused")
    assert len(entries) == per_member + 1
    assert {(e.actor_id, e.target_type, e.target_id) for e in entries} == {(member.id, "base_session", session.id)}
    assert [e.detail["reason"] for e in entries] == ["wrong_code"] * per_member + ["member_limit"]
    assert [e.detail["wrong_codes"] for e in entries] == list(range(1, per_member + 1)) + [per_member]
    assert all(right_code(session) not in str(e.detail) for e in entries)


@pytest.mark.app_config(CHECKIN_WRONG_CODES_PER_SESSION=2)
def test_the_session_ceiling_refusal_is_audited(world, session):
    for member in (world["member_a1"], world["member_a1_bis"]):
        attempt(member, session, wrong_code(session))
    attempt(world["member_a2"], session, right_code(session))
    last = audits("base.check_in_refused")[-1]
    assert (last.actor_id, last.detail["reason"]) == (world["member_a2"].id, "session_limit")


# --- over HTTP, in both languages, by the typed code and by the QR link ---------------------------------

@pytest.fixture
def live_session(world, base, make_session):
    return make_session(base, world["manager"], invited=[world["general_a"]], now=utcnow())


def post_code(client, session, code, follow=True):
    return client.post(f"/bases/sessions/{session.id}/check-in", data={"code": code}, follow_redirects=follow)


def test_wrong_codes_over_http_meet_the_limit_with_chinese_messages(world, live_session, login, per_member):
    member = world["member_a1"]
    client = login(member)
    page = post_code(client, live_session, wrong_code(live_session, utcnow())).get_data(as_text=True)
    assert "签到码错误或已过期" in page and f"剩余次数：{per_member - 1}" in page
    for _ in range(per_member - 1):
        post_code(client, live_session, wrong_code(live_session, utcnow()))
    page = post_code(client, live_session, right_code(live_session, utcnow())).get_data(as_text=True)
    assert "输错签到码的次数过多" in page and "请工作人员为您手工签到" in page
    assert not attended(member, live_session)


def test_the_limit_message_in_english(world, live_session, login, per_member):
    client = login(world["member_a1"])
    client.post("/language", data={"language": "en", "next": "/"})
    for _ in range(per_member):
        post_code(client, live_session, wrong_code(live_session, utcnow()))
    page = post_code(client, live_session, right_code(live_session, utcnow())).get_data(as_text=True)
    assert "Too many wrong codes. Ask the session&#39;s staff to check you in by hand." in page


def test_the_qr_link_is_held_to_the_same_limit(world, live_session, login, per_member):
    member = world["member_a1"]
    client = login(member)
    for _ in range(per_member):
        client.get(f"/bases/sessions/{live_session.id}/check-in?code={wrong_code(live_session, utcnow())}")
        post_code(client, live_session, wrong_code(live_session, utcnow()))
    link = login(world["manager"]).get(f"/bases/sessions/{live_session.id}/code.json").get_json()["link"]
    assert client.get(link).status_code == 200
    page = client.post(link, data={"code": right_code(live_session, utcnow())},
                       follow_redirects=True).get_data(as_text=True)
    assert "输错签到码的次数过多" in page
    assert not attended(member, live_session)


def test_staff_see_how_many_wrong_codes_were_entered(world, live_session, login):
    client = login(world["member_a1"])
    for _ in range(3):
        post_code(client, live_session, wrong_code(live_session, utcnow()))
    page = login(world["manager"]).get(f"/bases/sessions/{live_session.id}").get_data(as_text=True)
    assert "错误签到码：3 / 100" in page


# --- the count is shared by every worker: it lives in the database --------------------------------------

@pytest.fixture
def shared_database_url(app, tmp_path):
    """A database that separate app instances (separate engines, pools and rate-limit storage) share."""
    url = str(db.engine.url.render_as_string(hide_password=False))
    if db.engine.url.get_backend_name() == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    return url


def test_wrong_codes_are_counted_across_app_instances(shared_database_url, tmp_path):
    """Two app instances on one database, as two gunicorn workers: the limit holds across them."""
    instances = [create_app("testing", SQLALCHEMY_DATABASE_URI=shared_database_url,
                            CREDENTIALS_DIR=str(tmp_path / f"credentials{i}")) for i in range(2)]
    try:
        with instances[0].app_context():
            if db.engine.url.get_backend_name() == "sqlite":
                db.create_all()
            session_id, member_login, per_member = _session_with_member(instances[0])
        clients = []
        for instance in instances:
            client = instance.test_client()
            assert client.post("/auth/login", data={"login_id": member_login, "password": PASSWORD}).status_code == 302
            clients.append(client)
        for turn in range(per_member):
            with instances[turn % 2].app_context():
                code = wrong_code(db.session.get(BaseSession, session_id), utcnow())
            clients[turn % 2].post(f"/bases/sessions/{session_id}/check-in", data={"code": code})
        for client, instance in zip(clients, instances, strict=True):
            with instance.app_context():
                code = right_code(db.session.get(BaseSession, session_id), utcnow())
            page = client.post(f"/bases/sessions/{session_id}/check-in", data={"code": code},
                               follow_redirects=True).get_data(as_text=True)
            assert "输错签到码的次数过多" in page
        with instances[1].app_context():
            assert db.session.scalar(select(Attendance.id)) is None
            assert db.session.scalar(select(CheckInTries.wrong_codes)) == per_member
    finally:
        for instance in instances:
            with instance.app_context():
                db.session.remove()
                db.engine.dispose()


def _session_with_member(instance):
    from learning_app.models import MemberCategory, OrgKind, PositionLevel, Role
    from learning_app.orgs.services import create_org
    from learning_app.people.services import create_account, grant_role
    committee = create_org(None, "共享党委", OrgKind.COMMITTEE, None)
    general = create_org(None, "共享总支", OrgKind.GENERAL_BRANCH, committee)
    branch = create_org(None, "共享支部", OrgKind.BRANCH, general)
    manager = create_account(None, "shared-manager", "督学", password=PASSWORD, org_id=branch.id,
                             category=MemberCategory.FULL, position=PositionLevel.MEMBER)
    grant_role(None, manager, Role.SUPERVISOR, general)
    member = create_account(None, "shared-member", "党员", password=PASSWORD, org_id=branch.id,
                            category=MemberCategory.FULL, position=PositionLevel.MEMBER)
    base = services.register_base(manager, general, name="共享基地")
    now = utcnow()
    session = services.schedule_session(manager, base, "共享现场学习", now - timedelta(minutes=5),
                                        now + timedelta(hours=1), 1, 50, [general])
    services.sign_up(member, session, now=now)
    db.session.commit()
    return session.id, member.login_id, instance.config["CHECKIN_WRONG_CODES_PER_MEMBER"]


# --- at once, on a real database server --------------------------------------------------------------

def _race(app, attempts):
    """Run (session id, user id, code) attempts at once (tests/concurrency.py); the messages shown."""
    def work(session_id, user_id, code):
        return lambda: attempt(db.session.get(User, user_id), db.session.get(BaseSession, session_id), code)
    return run_at_once(app, [work(*item) for item in attempts])


@on_postgres
def test_wrong_codes_sent_at_once_never_exceed_the_member_limit(app, world, session, per_member):
    member = world["member_a1"]
    codes = [wrong_code(session, offset=i + 1) for i in range(11)] + [right_code(session)]  # 12: within the pool
    messages = _race(app, [(session.id, member.id, code) for code in codes])
    # at most per_member codes are tried, and one more if the right one gave its try back
    assert messages.count(gettext(MEMBER_LIMIT)) >= len(codes) - per_member - 1
    assert wrong_codes_of(member, session) <= per_member
    assert count(Attendance) <= 1
    if attended(member, session):  # the right code got in before the limit was used up
        assert messages.count("checked in") == 1


@on_postgres
@pytest.mark.app_config(CHECKIN_WRONG_CODES_PER_SESSION=4)
def test_a_crowd_at_once_never_exceeds_the_session_ceiling(app, world, session, make_user):
    crowd = [make_user(world["a1"]) for _ in range(12)]
    messages = _race(app, [(session.id, member.id, wrong_code(session, offset=i + 1))
                           for i, member in enumerate(crowd)])
    assert messages.count(gettext(SESSION_LIMIT)) == 8
    assert session_wrong_codes(session) == 4

"""One-time passwords expire when unused (ONE_TIME_PASSWORD_DAYS, 14 by default): whoever issued one
(roster import, an admin's reset, the demo) records when, the member is told at login that it expired
and whom to ask, an admin issues a new one from the member's page, and a chosen password never expires."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from learning_app.extensions import db
from learning_app.models import User, utcnow
from learning_app.people import roster, services
from tests.conftest import PASSWORD, Auth

NEW_PASSWORD = "NewPassw0rd"
EXPIRED_ZH = "一次性密码已于"
ASK_ZH = "请向支部书记或管理员申请新的一次性密码"
WRONG_ZH = "编号或密码错误"


@pytest.fixture
def admin(make_user):
    return make_user(roles=["admin"])


@pytest.fixture
def member(tree, make_user):
    return make_user(tree["a1"])


def issue(app, admin, member, monkeypatch) -> str:
    """An admin resets the member's password from the member's page; the one-time password they are shown."""
    issued = []
    original = services.new_one_time_password
    monkeypatch.setattr(services, "new_one_time_password",
                        lambda: issued.append(original()) or issued[-1])
    client = app.test_client()
    Auth(client).login(admin)
    assert client.post(f"/members/{member.id}/reset-password").status_code == 302
    return issued[-1][0]


def issued_days_ago(member, days):
    db.session.execute(update(User).where(User.id == member.id)
                       .values(one_time_password_issued_at=utcnow() - timedelta(days=days)))
    db.session.commit()


def log_in(app, member, password):
    client = app.test_client()
    return client, client.post("/auth/login", data={"login_id": member.login_id, "password": password})


def test_an_unused_one_time_password_expires_after_fourteen_days(app, admin, member, monkeypatch):
    password = issue(app, admin, member, monkeypatch)
    issued_days_ago(member, 15)
    client, response = log_in(app, member, password)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert EXPIRED_ZH in page and ASK_ZH in page
    assert client.get("/auth/password").status_code == 302  # not signed in


def test_a_one_time_password_not_yet_expired_still_works(app, admin, member, monkeypatch):
    password = issue(app, admin, member, monkeypatch)
    issued_days_ago(member, 13)
    client, response = log_in(app, member, password)
    assert response.location == "/"
    assert client.get("/").location == "/auth/password"  # and must now be replaced


@pytest.mark.app_config(ONE_TIME_PASSWORD_DAYS=3)
def test_the_period_is_a_setting(app, admin, member, monkeypatch):
    password = issue(app, admin, member, monkeypatch)
    issued_days_ago(member, 4)
    _client, response = log_in(app, member, password)
    assert EXPIRED_ZH in response.get_data(as_text=True)


def test_the_expiry_is_explained_in_english_too(app, admin, member, monkeypatch):
    password = issue(app, admin, member, monkeypatch)
    issued_days_ago(member, 15)
    client = app.test_client()
    client.post("/language", data={"language": "en", "next": "/auth/login"})
    page = client.post("/auth/login", data={"login_id": member.login_id, "password": password}).get_data(as_text=True)
    assert "Your one-time password expired on" in page
    assert "Ask your branch secretary or administrator for a new one." in page


def test_a_wrong_password_reveals_nothing_about_an_expired_one(app, admin, member, monkeypatch):
    issue(app, admin, member, monkeypatch)
    issued_days_ago(member, 15)
    _client, expired = log_in(app, member, "wrong-guess")
    _client, unknown = log_in(app, User(login_id="nobody-here"), "wrong-guess")
    for response in (expired, unknown):
        page = response.get_data(as_text=True)
        assert WRONG_ZH in page and EXPIRED_ZH not in page and ASK_ZH not in page


def test_an_admin_reissues_an_expired_one_from_the_members_page(app, admin, member, monkeypatch):
    old = issue(app, admin, member, monkeypatch)
    issued_days_ago(member, 15)
    admin_client = app.test_client()
    Auth(admin_client).login(admin)
    page = admin_client.get(f"/members/{member.id}").get_data(as_text=True)
    assert "一次性密码已过期" in page and "重新签发一次性密码" in page
    new = issue(app, admin, member, monkeypatch)
    assert log_in(app, member, new)[1].location == "/"
    assert WRONG_ZH in log_in(app, member, old)[1].get_data(as_text=True)


def test_the_members_page_says_until_when_a_one_time_password_is_valid(app, admin, member, monkeypatch):
    issue(app, admin, member, monkeypatch)
    admin_client = app.test_client()
    Auth(admin_client).login(admin)
    page = admin_client.get(f"/members/{member.id}").get_data(as_text=True)
    assert "一次性密码，有效期至" in page


def test_a_chosen_password_never_expires(app, admin, member, monkeypatch):
    password = issue(app, admin, member, monkeypatch)
    client, _response = log_in(app, member, password)
    client.post("/auth/password", data={"current_password": password, "new_password": NEW_PASSWORD,
                                        "confirm_password": NEW_PASSWORD})
    db.session.expire_all()
    assert db.session.get(User, member.id).one_time_password_issued_at is None
    issued_days_ago(member, 400)  # even a stale issue date does not touch a chosen password
    assert log_in(app, member, NEW_PASSWORD)[1].location == "/"


def test_a_password_chosen_from_the_start_never_expires(app, member):
    db.session.execute(update(User).where(User.id == member.id).values(created_at=utcnow() - timedelta(days=400)))
    db.session.commit()
    assert log_in(app, member, PASSWORD)[1].location == "/"


def test_a_roster_import_records_when_its_one_time_passwords_were_issued(app, tree, admin):
    data = f"登录号,姓名,所在支部,人员类别\nR1001,张三,{tree['a1'].name},正式党员\n".encode()
    before = utcnow()
    result, errors = roster.import_roster(admin, data, "roster.csv", 100)
    db.session.commit()
    assert not errors and result.credentials
    imported = db.session.scalar(select(User).where(User.login_id == "R1001"))
    assert before - timedelta(seconds=1) <= imported.one_time_password_issued_at.replace(
        tzinfo=before.tzinfo) <= utcnow()
    issued_days_ago(imported, 15)
    assert EXPIRED_ZH in log_in(app, imported, result.credentials[0][2])[1].get_data(as_text=True)


def test_the_demo_records_when_its_one_time_passwords_were_issued(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    pending = db.session.scalars(select(User).where(User.must_change_password.is_(True))).all()
    assert pending and all(user.one_time_password_issued_at is not None for user in pending)

"""Sign-in sessions end on the server: logout, a password change, an admin's reset, "sign out everywhere"
and deactivation each end the right ones, whether the browser brings a session cookie or a remember-me
cookie alone, and a cookie kept from before is refused."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from learning_app.extensions import db
from learning_app.models import SignInSession, User, utcnow
from tests.conftest import PASSWORD, Auth

NEW_PASSWORD = "NewPassw0rd"


@pytest.fixture
def member(tree, make_user):
    return make_user(tree["a1"])


@pytest.fixture
def admin(make_user):
    return make_user(roles=["admin"])


def signed_in(app, user, remember=False):
    client = app.test_client()
    response = client.post("/auth/login", data={"login_id": user.login_id, "password": PASSWORD,
                                                "remember": "y" if remember else ""})
    assert response.location == "/", response.status_code
    return client


def is_signed_in(client) -> bool:
    """The account page answers even a member who must still choose a password (after a reset);
    anyone else is sent to the login page."""
    response = client.get("/auth/password")
    assert response.status_code == 200 or response.location.startswith("/auth/login"), response.location
    return response.status_code == 200


def cookie(client, name):
    found = client.get_cookie(name)
    assert found is not None, f"no {name} cookie"
    return found.value


def with_cookie(app, name, value):
    """A new browser that brings only this cookie (copied, say, from a stolen or shared device)."""
    client = app.test_client()
    client.set_cookie(name, value)
    return client


def remember_cookie_alone(app, client):
    return with_cookie(app, "remember_token", cookie(client, "remember_token"))


def test_two_browsers_of_one_member_are_signed_in_independently(app, member):
    first, second = signed_in(app, member), signed_in(app, member, remember=True)
    Auth(first).logout()
    assert not is_signed_in(first)
    assert is_signed_in(second)
    assert is_signed_in(remember_cookie_alone(app, second))


def test_a_session_cookie_replayed_after_logout_is_refused(app, member):
    client = signed_in(app, member)
    kept = cookie(client, "session")
    Auth(client).logout()
    assert not is_signed_in(with_cookie(app, "session", kept))


@pytest.mark.parametrize("url", ["/", "/courses/my", "/auth/password"],
                         ids=["the full row", "the row alone with page counters", "a first-login page"])
def test_every_way_of_loading_the_user_refuses_an_ended_sign_in(app, member, url):
    # The learning page reads the member's row alone with its counters (fast_paths.serves_kept_page); quiz
    # autosave checks the sign-in in its own UPDATE (tests/quizzes/test_taking_views.py).
    client = signed_in(app, member)
    assert client.get(url).status_code == 200
    kept = cookie(client, "session")
    Auth(client).logout()
    response = with_cookie(app, "session", kept).get(url)
    assert response.status_code == 302 and response.location.startswith("/auth/login")


def test_a_remember_me_cookie_alone_is_refused_after_logout(app, member):
    client = signed_in(app, member, remember=True)
    assert is_signed_in(remember_cookie_alone(app, client))
    kept = cookie(client, "remember_token")
    Auth(client).logout()
    assert not is_signed_in(with_cookie(app, "remember_token", kept))


def change_password(client):
    return client.post("/auth/password", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})


def test_changing_the_password_ends_every_other_session_and_keeps_this_one(app, member):
    here, elsewhere, remembered = signed_in(app, member), signed_in(app, member), signed_in(app, member, True)
    remember_only = remember_cookie_alone(app, remembered)
    assert change_password(here).location == "/"
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    assert not is_signed_in(remembered)
    assert not is_signed_in(remember_only)


def test_a_remember_me_cookie_of_the_browser_that_changed_the_password_keeps_working(app, member):
    here = signed_in(app, member, remember=True)
    change_password(here)
    assert is_signed_in(remember_cookie_alone(app, here))


def test_an_admins_reset_ends_every_session_of_the_member(app, member, admin):
    browsers = [signed_in(app, member), signed_in(app, member, remember=True)]
    remember_only = remember_cookie_alone(app, browsers[1])
    admin_client = signed_in(app, admin)
    assert admin_client.post(f"/members/{member.id}/reset-password").status_code == 302
    assert not any(is_signed_in(browser) for browser in [*browsers, remember_only])
    assert is_signed_in(admin_client)


def test_deactivation_ends_every_session_even_after_reactivation(app, member, admin):
    browser = signed_in(app, member, remember=True)
    remember_only = remember_cookie_alone(app, browser)
    admin_client = signed_in(app, admin)
    admin_client.post(f"/members/{member.id}/deactivate")
    admin_client.post(f"/members/{member.id}/reactivate")
    db.session.expire_all()
    assert db.session.get(User, member.id).is_active
    assert not is_signed_in(browser)
    assert not is_signed_in(remember_only)
    assert is_signed_in(signed_in(app, member))  # signing in again works


def test_sign_out_everywhere_ends_every_session_including_this_one(app, member):
    here, elsewhere, remembered = signed_in(app, member), signed_in(app, member), signed_in(app, member, True)
    remember_only = remember_cookie_alone(app, remembered)
    response = here.post("/auth/sign-out-everywhere")
    assert response.status_code == 302 and response.location == "/auth/login"
    assert not any(is_signed_in(c) for c in (here, elsewhere, remembered, remember_only))
    assert is_signed_in(signed_in(app, member))


def test_the_account_page_offers_sign_out_everywhere(app, member):
    page = signed_in(app, member).get("/auth/password").get_data(as_text=True)
    assert 'action="/auth/sign-out-everywhere"' in page
    assert "退出所有设备" in page


def test_sign_out_everywhere_is_open_to_a_member_who_must_still_choose_a_password(app, member):
    member.must_change_password = True
    db.session.commit()
    here, elsewhere = signed_in(app, member), signed_in(app, member)
    assert here.post("/auth/sign-out-everywhere").location == "/auth/login"
    assert not is_signed_in(elsewhere)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_sign_out_everywhere_needs_the_csrf_token(app, member):
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/auth/login", data={"login_id": member.login_id, "password": PASSWORD, "csrf_token": token})
    assert client.post("/auth/sign-out-everywhere").status_code == 400
    assert is_signed_in(client)
    assert client.post("/auth/sign-out-everywhere", data={"csrf_token": token}).location == "/auth/login"
    assert not is_signed_in(client)


def test_sign_out_everywhere_needs_a_signed_in_user(client):
    response = client.post("/auth/sign-out-everywhere")
    assert response.status_code == 302 and response.location.startswith("/auth/login")


def test_a_cookie_naming_only_the_user_id_is_refused(app, member):
    """A session signed with the application's key but made before sessions were kept on the server."""
    client = signed_in(app, member)
    with client.session_transaction() as session:
        session["_user_id"] = str(member.id)
    assert not is_signed_in(client)


def test_create_admin_setting_a_new_password_ends_the_accounts_sign_ins(app, runner, member):
    browser = signed_in(app, member)
    result = runner.invoke(args=["create-admin", member.login_id, "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output
    assert not is_signed_in(browser)


def test_a_sign_in_ends_after_the_remember_me_lifetime_and_is_cleared_at_the_next_login(app, member):
    old, recent = signed_in(app, member, remember=True), signed_in(app, member, remember=True)
    lifetime = app.config["REMEMBER_COOKIE_DURATION"]
    oldest = db.session.scalar(select(func.min(SignInSession.id)))
    db.session.execute(update(SignInSession).where(SignInSession.id == oldest)
                       .values(created_at=utcnow() - lifetime - timedelta(minutes=1)))
    db.session.commit()
    assert not is_signed_in(remember_cookie_alone(app, old))
    assert is_signed_in(remember_cookie_alone(app, recent))
    signed_in(app, member)
    assert db.session.scalar(select(func.count()).select_from(SignInSession)) == 2

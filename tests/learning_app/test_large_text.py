"""大字模式: chosen once, kept on the account for every device; larger text and a simpler home page."""
import re

import pytest

from tests.conftest import PASSWORD, Auth
from tests.html_forms import post_forms

LARGE = 'class="large-text"'


@pytest.fixture
def member(tree, make_user):
    return make_user(tree["a1"], real_name="老党员")


def signed_in(app, user):
    client = app.test_client()
    Auth(client).login(user)
    return client


def toggle_form(page: str):
    """The quick toggle in the footer (the account page has another)."""
    return [form for form in post_forms(page, "") if form.action == "/large-text"][-1]


def test_turned_on_in_one_client_it_shows_in_another_of_the_same_member_only(app, member, tree, make_user):
    phone, computer = signed_in(app, member), signed_in(app, member)
    other = signed_in(app, make_user(tree["a1"]))
    assert LARGE not in phone.get("/").get_data(as_text=True)

    # The quick toggle in the footer of every page: a plain POST form, back to the page it was on.
    page = phone.get("/courses/my").get_data(as_text=True)
    form = toggle_form(page)
    assert form.submitter == ("large_text", "on")
    response = phone.post("/large-text", data=dict(form.data()))
    assert response.status_code == 302 and response.location.rstrip("?") == "/courses/my"

    for client, path in ((computer, "/"), (computer, "/courses/my"), (phone, "/courses/")):
        assert LARGE in client.get(path).get_data(as_text=True), path
    assert LARGE not in other.get("/").get_data(as_text=True)

    assert toggle_form(computer.get("/auth/password").get_data(as_text=True)).submitter == ("large_text", "off")
    computer.post("/large-text", data={"large_text": "off", "next": "/"})
    assert LARGE not in phone.get("/courses/my").get_data(as_text=True)  # the kept page too


def test_the_toggle_is_on_every_page_and_needs_a_signed_in_user(client, auth, member):
    auth.login(member)
    for path in ("/", "/courses/", "/courses/hours", "/auth/password", "/quizzes/"):
        assert toggle_form(client.get(path).get_data(as_text=True)).submitter == ("large_text", "on"), path
    account = client.get("/auth/password").get_data(as_text=True)
    assert account.count('action="/large-text"') == 2 and "大字模式" in account
    auth.logout()
    assert "/auth/login" in client.post("/large-text", data={"large_text": "on"}).location


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_the_toggle_needs_the_csrf_token(app, member):
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/auth/login").get_data(as_text=True)).group(1)
    client.post("/auth/login", data={"login_id": member.login_id, "password": PASSWORD, "csrf_token": token})
    assert client.post("/large-text", data={"large_text": "on"}).status_code == 400
    assert LARGE not in client.get("/").get_data(as_text=True)
    client.post("/large-text", data={"large_text": "on", "csrf_token": token})
    assert LARGE in client.get("/").get_data(as_text=True)

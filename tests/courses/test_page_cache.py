"""A member's learning page is rendered again exactly when something it shows has changed."""
import re
from decimal import Decimal

import pytest
from sqlalchemy import delete, event, select

from courses import page_cache
from courses.models import EnrolmentSource, PageVersion, StudyHoursEntry
from courses.services import assignment, authoring, learning
from courses.services.ledger import credit_study_hours
from learning_app.extensions import db
from learning_app.models import Role
from learning_app.people.services import grant_role
from tests.conftest import PASSWORD, Auth
from tests.courses.helpers import fresh

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def member(tree, make_user):
    return make_user(tree["a1"], real_name="缓存党员")


@pytest.fixture
def supervisor(tree, make_user):
    return make_user(tree["committee"], supervises=tree["committee"])


@pytest.fixture
def assigned(author, make_course, supervisor, tree):
    course = fresh(make_course(author, title="缓存课程一", hours=2))
    assignment.assign_course(supervisor, course, tree["a1"])
    db.session.commit()
    return course


def page(client) -> str:
    response = client.get("/courses/my")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def without_token(html: str) -> str:
    return TOKEN.sub("", html)


@pytest.mark.query_budget
def test_an_unchanged_page_is_served_again_in_one_statement(client, auth, member, assigned, count_queries):
    auth.login(member)
    first = page(client)
    with count_queries() as counted:
        second = page(client)
    assert counted["n"] == 1  # the member's row with the two counters
    assert without_token(second) == without_token(first) and "缓存课程一" in second


def test_the_members_own_learning_renews_their_page(client, auth, member, assigned, author, make_course):
    auth.login(member)
    assert "缓存课程二" not in page(client) and "已完成 0 / 应修 32" in page(client)
    elective = fresh(make_course(author, title="缓存课程二"))
    learning.ensure_enrolment(member, elective, EnrolmentSource.ELECTIVE)
    db.session.commit()
    assert "缓存课程二" in page(client)

    credit_study_hours(member, "base_session", 7, Decimal("3.5"), "基地学习")
    db.session.commit()
    assert "已完成 3.5 / 应修 32" in page(client)


def others_learn(other, course):
    credit_study_hours(other, "base_session", 8, Decimal("2"), "基地学习")
    learning.ensure_enrolment(other, course, EnrolmentSource.ASSIGNED)
    db.session.commit()


def test_one_members_learning_leaves_the_others_pages_kept(client, auth, member, assigned, make_user, tree):
    other = make_user(tree["a1"], real_name="另一党员")
    auth.login(member)
    before = page(client)
    others_learn(other, assigned)
    assert without_token(page(client)) == without_token(before)
    versions = dict(db.session.execute(select(PageVersion.scope, PageVersion.version)).all())
    assert versions.get(other.id, 0) > 0 and member.id not in versions


@pytest.mark.query_budget
def test_a_page_kept_through_another_members_learning_is_served_in_one_statement(
        client, auth, member, assigned, make_user, tree, count_queries):
    other = make_user(tree["a1"], real_name="另一党员")
    auth.login(member)
    page(client)
    others_learn(other, assigned)
    with count_queries() as counted:
        page(client)
    assert counted["n"] == 1  # kept: only the member's row with the counters


def test_assignments_and_new_revisions_renew_every_page(client, auth, member, assigned, author, make_course,
                                                        supervisor, tree, publish):
    auth.login(member)
    assert "缓存课程三" not in page(client)
    later = fresh(make_course(author, title="缓存课程三"))
    assignment.assign_course(supervisor, later, tree["general_a"])
    db.session.commit()
    assert "缓存课程三" in page(client)

    authoring.update_course(fresh(assigned), author, title="缓存课程一（修订）")
    db.session.commit()
    assert "缓存课程一（修订）" not in page(client)  # a draft: members still see the published revision
    publish(fresh(assigned))
    assert "缓存课程一（修订）" in page(client)


def test_bulk_statements_renew_every_page(client, auth, member, assigned):
    credit_study_hours(member, "base_session", 9, Decimal("4"), "基地学习")
    db.session.commit()
    auth.login(member)
    assert "已完成 4 / 应修 32" in page(client)
    db.session.execute(delete(StudyHoursEntry).where(StudyHoursEntry.user_id == member.id))
    db.session.commit()
    assert "已完成 0 / 应修 32" in page(client)


def test_a_rolled_back_change_bumps_nothing_then_or_later(member, assigned, make_user, tree):
    other = make_user(tree["a1"], real_name="另一党员")
    credit_study_hours(member, "base_session", 10, Decimal("1"), "基地学习")
    db.session.rollback()
    credit_study_hours(other, "base_session", 11, Decimal("1"), "基地学习")  # the next transaction
    db.session.commit()
    versions = dict(db.session.execute(select(PageVersion.scope, PageVersion.version)).all())
    assert versions.get(other.id, 0) > 0 and member.id not in versions


def test_new_roles_and_a_new_name_show_at_once(client, auth, member, assigned):
    auth.login(member)
    assert "/courses/authoring" not in page(client)
    grant_role(None, member, Role.AUTHOR)
    db.session.commit()
    assert "/courses/authoring" in page(client)

    fresh(member).real_name = "改名党员"
    db.session.commit()
    assert "改名党员" in page(client)


def test_the_chosen_language_is_never_mixed_up(client, auth, member, assigned):
    auth.login(member)
    assert "我的学习" in page(client)
    client.post("/language", data={"language": "en", "next": "/courses/my"})
    english = page(client)
    assert "My learning" in english and "我的学习" not in english
    client.post("/language", data={"language": "zh_Hans", "next": "/courses/my"})
    assert "我的学习" in page(client)


def test_a_flashed_message_is_shown_once_and_not_kept(client, auth, member, assigned):
    auth.login(member)
    page(client)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "一次性的提示")]
    assert "一次性的提示" in page(client)
    assert "一次性的提示" not in page(client)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_each_session_gets_its_own_csrf_token_in_a_kept_page(app, member, assigned):
    first, second = app.test_client(), app.test_client()
    tokens = []
    for client in (first, second):
        login_page = client.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
        client.post("/auth/login", data={"login_id": member.login_id, "password": PASSWORD,
                                         "csrf_token": token})
    for client in (first, second):
        html = page(client)  # the second client's page is the first one's, kept
        assert page_cache._TOKEN_MARK not in html
        tokens.append(TOKEN.search(html).group(1))
    # Each token works in its own session only: the language form posts with it.
    assert first.post("/language", data={"language": "en", "csrf_token": tokens[0]}).status_code == 302
    assert second.post("/language", data={"language": "en", "csrf_token": tokens[0]}).status_code == 400
    assert second.post("/language", data={"language": "en", "csrf_token": tokens[1]}).status_code == 302


@pytest.mark.app_config(LEARNING_PAGES_KEPT=1)
def test_the_store_keeps_at_most_the_configured_pages(app, member, assigned, make_user, tree):
    other = make_user(tree["a1"], real_name="另一党员")
    for user in (member, other):
        client = app.test_client()
        Auth(client).login(user)
        page(client)
    assert list(app.extensions[page_cache.STORE]) == [other.id]


@pytest.mark.query_budget
@pytest.mark.postgresql_only  # SQLite starts no transaction for reads anyway
def test_on_postgresql_the_page_reads_outside_a_transaction(client, auth, member, assigned):
    auth.login(member)
    autocommit = []

    def record(conn, cursor, statement, parameters, context, executemany):
        autocommit.append(conn.connection.dbapi_connection.autocommit)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page(client)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert autocommit and all(autocommit)  # no BEGIN, no ROLLBACK: two round trips fewer


@pytest.mark.postgresql_only
def test_on_postgresql_the_page_hands_back_a_connection_in_transaction_mode(client, auth, member, assigned):
    auth.login(member)
    page(client)
    db.session.remove()
    with db.engine.connect() as connection:  # whatever the page did, the pooled connection is back to transactions
        assert connection.connection.dbapi_connection.autocommit is False

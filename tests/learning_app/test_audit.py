"""The audit log page /admin/audit/: admins only, newest first, filtered by action and by actor."""
from urllib.parse import urlparse

import pytest

from learning_app.audit.services import record_audit
from learning_app.extensions import db
from learning_app.orgs.services import rename_org


@pytest.fixture
def admin(make_user, auth):
    user = make_user(None, roles=["admin"], login_id="audit-admin")
    auth.login(user)
    return user


def page_of(client, **query):
    response = client.get("/admin/audit/", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/admin/audit/")
    assert response.status_code == 302
    assert urlparse(response.headers["Location"]).path == "/auth/login"


@pytest.mark.parametrize("kind", ["member", "supervisor", "author", "reviewer"])
def test_non_admin_gets_403(client, tree, make_user, auth, kind):
    if kind == "member":
        user = make_user(tree["a1"])
    elif kind == "supervisor":
        user = make_user(tree["a1"], supervises=tree["committee"])
    else:
        user = make_user(tree["a1"], roles=[kind])
    auth.login(user)
    assert client.get("/admin/audit/").status_code == 403


def test_admin_sees_entries_with_their_details(client, tree, admin):
    rename_org(admin, tree["a1"], "改名后的甲一")
    db.session.commit()
    page = page_of(client)
    assert "改名后的甲一" in page
    assert "audit-admin" in page


def test_filter_by_action_shows_only_that_action(client, tree, admin):
    rename_org(admin, tree["a1"], "改名后的甲一")
    db.session.commit()
    page = page_of(client, action="org.rename")
    assert "改名后的甲一" in page
    assert "乙一党支部" not in page  # only in the org.create entries


def test_filter_by_another_action_hides_the_first(client, tree, admin):
    rename_org(admin, tree["a1"], "改名后的甲一")
    db.session.commit()
    page = page_of(client, action="org.create")
    assert "乙一党支部" in page
    # The creation rows name the branch by its name of today; the rename's own row (before → after) is absent.
    assert "改名后的甲一" in page and "原为：甲一党支部" not in page


def test_filter_by_unknown_action_shows_no_entries(client, tree, admin):
    rename_org(admin, tree["a1"], "改名后的甲一")
    db.session.commit()
    page = page_of(client, action="no.such.action")
    assert "改名后的甲一" not in page and "乙一党支部" not in page


def test_filter_by_actor_shows_only_their_entries(client, tree, make_user, admin):
    other = make_user(None, roles=["admin"], login_id="other-admin")
    rename_org(admin, tree["a1"], "甲一被甲改名")
    rename_org(other, tree["a2"], "甲二被乙改名")
    db.session.commit()
    page = page_of(client, actor="other-admin")
    assert "甲二被乙改名" in page
    assert "甲一被甲改名" not in page


def test_filters_by_action_and_actor_combine(client, make_user, admin):
    other = make_user(None, roles=["admin"], login_id="other-admin")
    record_audit(admin, "test.a", None, {"n": "a-by-admin"})
    record_audit(other, "test.a", None, {"n": "a-by-other"})
    record_audit(admin, "test.b", None, {"n": "b-by-admin"})
    db.session.commit()
    page = page_of(client, action="test.a", actor="audit-admin")
    assert "a-by-admin" in page
    assert "a-by-other" not in page and "b-by-admin" not in page


def test_entries_are_listed_newest_first(client, admin):
    for label in ("older-entry", "newer-entry"):
        record_audit(admin, "test.entry", None, {"n": label})
        db.session.commit()
    page = page_of(client, action="test.entry")
    assert page.index("newer-entry") < page.index("older-entry")


def test_audit_log_is_paginated(client, admin):
    for number in range(55):
        record_audit(admin, "test.entry", None, {"n": f"entry-{number:03d}"})
    db.session.commit()
    first, second = page_of(client, action="test.entry"), page_of(client, action="test.entry", page=2)
    assert "entry-054" in first and "entry-005" in first
    assert "entry-004" not in first and "entry-000" not in first
    assert "entry-004" in second and "entry-000" in second
    assert "entry-005" not in second


def test_page_beyond_the_end_is_empty_not_an_error(client, admin):
    record_audit(admin, "test.entry", None, {"n": "entry-only"})
    db.session.commit()
    assert "entry-only" not in page_of(client, page=99)


def test_very_long_actor_filter_is_harmless(client, admin):
    assert client.get("/admin/audit/", query_string={"actor": "x" * 500}).status_code == 200

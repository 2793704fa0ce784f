"""Members: the list and its filters, who may see whom, and the admin's changes to a member."""
import re
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.models import AuditLog, MemberCategory, PositionLevel, Role, RoleGrant, User
from learning_app.orgs.services import set_org_active
from learning_app.people import services
from learning_app.people.services import PeopleRuleError
from tests.conftest import PASSWORD

NEW_PASSWORD = "N3wPassword"


def fresh(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


def grants_of(user):
    db.session.expire_all()
    return [(g.role, g.org_id) for g in db.session.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id))]


def audit_rows(action, target=None):
    query = select(AuditLog).where(AuditLog.action == action)
    if target is not None:
        query = query.where(AuditLog.target_type == "user_account", AuditLog.target_id == target.id)
    return list(db.session.scalars(query))


def location_path(response):
    return urlparse(response.headers["Location"]).path


@pytest.fixture
def people(tree, make_user):
    """Members with distinctive login ids in A1, A2 (general branch A) and B1 (general branch B)."""
    return {
        "a1": make_user(tree["a1"], login_id="zhang-a1", real_name="张三", phone="13800000001"),
        "a2": make_user(tree["a2"], login_id="li-a2", real_name="李四", category=MemberCategory.PROBATIONARY,
                        phone="13900000002"),
        "b1": make_user(tree["b1"], login_id="wang-b1", real_name="王五", category=MemberCategory.ACTIVIST),
    }


@pytest.fixture
def admin(make_user, auth):
    user = make_user(None, roles=["admin"], login_id="the-admin", real_name="管理员甲")
    auth.login(user)
    return user


@pytest.fixture
def supervisor_a(tree, make_user):
    return make_user(tree["a1"], supervises=tree["general_a"], login_id="sup-a", real_name="督学甲")


def capture_one_time_passwords(monkeypatch, module):
    issued = []
    original = module.new_one_time_password

    def recording():
        password, password_hash = original()
        issued.append(password)
        return password, password_hash
    monkeypatch.setattr(module, "new_one_time_password", recording)
    return issued


# --- Who may open the member pages --------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login_from_member_list(client):
    response = client.get("/members/")
    assert response.status_code == 302
    assert location_path(response) == "/auth/login"


def test_plain_member_gets_403_on_member_list(client, people, auth):
    auth.login(people["a1"])
    assert client.get("/members/").status_code == 403


@pytest.mark.parametrize("role", ["author", "reviewer"])
def test_author_or_reviewer_without_supervision_gets_403_on_member_list(client, tree, make_user, auth, role):
    auth.login(make_user(tree["a1"], roles=[role]))
    assert client.get("/members/").status_code == 403


def test_plain_member_gets_403_on_member_detail_even_their_own(client, people, auth):
    auth.login(people["a1"])
    assert client.get(f"/members/{people['a1'].id}").status_code == 403


def test_admin_sees_members_of_every_branch(client, people, admin):
    page = client.get("/members/").get_data(as_text=True)
    assert all(login in page for login in ("zhang-a1", "li-a2", "wang-b1"))


def test_supervisor_of_general_branch_sees_its_members(client, people, supervisor_a, auth):
    auth.login(supervisor_a)
    response = client.get("/members/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "zhang-a1" in page and "li-a2" in page


def test_supervisor_cannot_see_member_of_other_general_branch_in_list(client, people, supervisor_a, auth):
    auth.login(supervisor_a)
    assert "wang-b1" not in client.get("/members/").get_data(as_text=True)


def test_supervisor_of_a_branch_sees_only_that_branch(client, tree, people, make_user, auth):
    auth.login(make_user(tree["a1"], supervises=tree["a1"]))
    page = client.get("/members/").get_data(as_text=True)
    assert "zhang-a1" in page
    assert "li-a2" not in page and "wang-b1" not in page


def test_supervisor_opens_detail_of_member_in_own_general_branch(client, people, supervisor_a, auth):
    auth.login(supervisor_a)
    response = client.get(f"/members/{people['a2'].id}")
    assert response.status_code == 200
    assert "li-a2" in response.get_data(as_text=True)


def test_supervisor_cannot_see_member_of_other_general_branch(client, people, supervisor_a, auth):
    auth.login(supervisor_a)
    assert client.get(f"/members/{people['b1'].id}").status_code == 404


def test_supervisor_gets_404_for_account_without_branch(client, people, supervisor_a, make_user, auth):
    outsider = make_user(None, login_id="no-branch")
    auth.login(supervisor_a)
    assert client.get(f"/members/{outsider.id}").status_code == 404


def test_unknown_member_id_gives_404(client, people, admin):
    missing = db.session.scalar(select(func.max(User.id))) + 1000
    assert client.get(f"/members/{missing}").status_code == 404


def test_admin_opens_any_member_detail(client, people, admin):
    response = client.get(f"/members/{people['b1'].id}")
    assert response.status_code == 200
    assert "wang-b1" in response.get_data(as_text=True)


ADMIN_POSTS = ["edit", "deactivate", "reactivate", "reset-password", "roles"]


@pytest.mark.parametrize("action", ADMIN_POSTS)
@pytest.mark.parametrize("whose", ["a1", "b1"])
def test_supervisor_gets_403_on_admin_member_actions(client, people, supervisor_a, auth, action, whose):
    member = people[whose]
    auth.login(supervisor_a)
    response = client.post(f"/members/{member.id}/{action}",
                           data={"edit-real_name": "改名", "role-role": "admin", "role-org_id": 0})
    assert response.status_code == 403
    member = fresh(member)
    assert member.real_name != "改名" and member.is_active and not member.must_change_password
    assert grants_of(member) == []


def test_supervisor_gets_403_on_role_revoke(client, tree, people, supervisor_a, auth):
    services.grant_role(None, people["a2"], Role.AUTHOR)
    db.session.commit()
    grant_id = fresh(people["a2"]).role_grants[0].id
    auth.login(supervisor_a)
    assert client.post(f"/members/{people['a2'].id}/roles/{grant_id}/revoke").status_code == 403
    assert grants_of(people["a2"]) == [(Role.AUTHOR, None)]


@pytest.mark.parametrize("action", ADMIN_POSTS)
def test_plain_member_gets_403_on_admin_member_actions(client, people, auth, action):
    auth.login(people["a1"])
    assert client.post(f"/members/{people['a2'].id}/{action}").status_code == 403


@pytest.mark.parametrize("action", ADMIN_POSTS)
def test_anonymous_visitor_is_sent_to_login_from_admin_member_actions(client, people, action):
    response = client.post(f"/members/{people['a2'].id}/{action}")
    assert response.status_code == 302
    assert location_path(response) == "/auth/login"


# --- Search, filters and pagination ---------------------------------------------------------------


@pytest.mark.parametrize("q,found", [("张", "zhang-a1"), ("li-a", "li-a2"), ("13900000002", "li-a2"),
                                     ("139000", "li-a2")])
def test_search_finds_by_name_login_id_or_phone(client, people, admin, q, found):
    page = client.get("/members/", query_string={"q": q}).get_data(as_text=True)
    assert found in page
    others = {"zhang-a1", "li-a2", "wang-b1"} - {found}
    assert not any(login in page for login in others)


def test_search_with_no_match_lists_nobody(client, people, admin):
    response = client.get("/members/", query_string={"q": "nobody-has-this"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert not any(login in page for login in ("zhang-a1", "li-a2", "wang-b1"))


@pytest.mark.parametrize("q", ["%", "_"])
def test_search_treats_wildcards_literally(client, people, admin, q):
    page = client.get("/members/", query_string={"q": q}).get_data(as_text=True)
    assert not any(login in page for login in ("zhang-a1", "li-a2", "wang-b1"))


def test_search_underscore_matches_a_literal_underscore(client, tree, people, make_user, admin):
    make_user(tree["a1"], login_id="with_underscore")
    page = client.get("/members/", query_string={"q": "_"}).get_data(as_text=True)
    assert "with_underscore" in page
    assert "zhang-a1" not in page


def test_supervisor_search_does_not_reach_other_general_branch(client, people, supervisor_a, auth):
    auth.login(supervisor_a)
    page = client.get("/members/", query_string={"q": "王五"}).get_data(as_text=True)
    assert "wang-b1" not in page


def test_org_filter_includes_the_whole_subtree(client, tree, people, admin):
    page = client.get("/members/", query_string={"org": tree["general_a"].id}).get_data(as_text=True)
    assert "zhang-a1" in page and "li-a2" in page
    assert "wang-b1" not in page


def test_org_filter_on_a_branch_lists_only_that_branch(client, tree, people, admin):
    page = client.get("/members/", query_string={"org": tree["a2"].id}).get_data(as_text=True)
    assert "li-a2" in page
    assert "zhang-a1" not in page and "wang-b1" not in page


def test_supervisor_filtering_on_other_general_branch_sees_nothing_of_it(client, tree, people, supervisor_a, auth):
    auth.login(supervisor_a)
    response = client.get("/members/", query_string={"org": tree["general_b"].id})
    assert response.status_code == 200
    assert "wang-b1" not in response.get_data(as_text=True)


def test_non_numeric_org_filter_is_ignored(client, people, admin):
    response = client.get("/members/", query_string={"org": "abc"})
    assert response.status_code == 200
    assert "wang-b1" in response.get_data(as_text=True)


@pytest.mark.parametrize("category,found", [("full", "zhang-a1"), ("probationary", "li-a2"),
                                            ("activist", "wang-b1")])
def test_category_filter_lists_only_that_category(client, people, admin, category, found):
    page = client.get("/members/", query_string={"category": category}).get_data(as_text=True)
    assert found in page
    assert not any(login in page for login in {"zhang-a1", "li-a2", "wang-b1"} - {found})


def test_unknown_category_filter_is_ignored(client, people, admin):
    response = client.get("/members/", query_string={"category": "nonsense"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert all(login in page for login in ("zhang-a1", "li-a2", "wang-b1"))


def test_status_filter_inactive_lists_only_deactivated_members(client, people, admin):
    services.set_member_active(admin, people["b1"], False)
    db.session.commit()
    page = client.get("/members/", query_string={"status": "inactive"}).get_data(as_text=True)
    assert "wang-b1" in page
    assert "zhang-a1" not in page and "li-a2" not in page


def test_status_filter_active_hides_deactivated_members(client, people, admin):
    services.set_member_active(admin, people["b1"], False)
    db.session.commit()
    page = client.get("/members/", query_string={"status": "active"}).get_data(as_text=True)
    assert "wang-b1" not in page
    assert "zhang-a1" in page and "li-a2" in page


def test_without_status_filter_deactivated_members_are_listed_too(client, people, admin):
    services.set_member_active(admin, people["b1"], False)
    db.session.commit()
    assert "wang-b1" in client.get("/members/").get_data(as_text=True)


def test_filters_combine(client, tree, people, make_user, admin):
    make_user(tree["a1"], login_id="zhao-a1-prob", category=MemberCategory.PROBATIONARY)
    page = client.get("/members/", query_string={"org": tree["general_a"].id, "category": "probationary",
                                                 "q": "a1"}).get_data(as_text=True)
    assert "zhao-a1-prob" in page
    assert not any(login in page for login in ("zhang-a1", "li-a2", "wang-b1"))


@pytest.mark.app_config(MEMBERS_PER_PAGE=2)
def test_member_list_is_paginated(client, tree, make_user, admin):
    logins = [f"page-member-{n}" for n in range(5)]
    for number, login in enumerate(logins):
        make_user(tree["a1"], login_id=login, real_name=f"成员{number}")
    pages = [client.get("/members/", query_string={"page": n}).get_data(as_text=True) for n in (1, 2, 3)]
    shown = [[login for login in logins if login in page] for page in pages]
    assert [len(on_page) for on_page in shown] == [2, 2, 1]
    assert sorted(sum(shown, [])) == logins


@pytest.mark.app_config(MEMBERS_PER_PAGE=2)
def test_page_beyond_the_end_is_empty_not_an_error(client, tree, people, admin):
    response = client.get("/members/", query_string={"page": 99})
    assert response.status_code == 200
    assert not any(login in response.get_data(as_text=True) for login in ("zhang-a1", "li-a2", "wang-b1"))


@pytest.mark.app_config(MEMBERS_PER_PAGE=1)
def test_later_pages_keep_applying_the_filters(client, tree, make_user, admin):
    for login in ("keep-1", "keep-2"):
        make_user(tree["a1"], login_id=login, category=MemberCategory.ACTIVIST)
    make_user(tree["a1"], login_id="drop-full")
    page = client.get("/members/", query_string={"category": "activist", "page": 2}).get_data(as_text=True)
    assert "keep-2" in page
    assert "keep-1" not in page and "drop-full" not in page


@pytest.mark.app_config(MEMBERS_PER_PAGE=1)
def test_page_links_carry_the_filters(client, tree, make_user, admin):
    for login in ("keep-1", "keep-2"):
        make_user(tree["a1"], login_id=login, category=MemberCategory.ACTIVIST)
    page = client.get("/members/", query_string={"category": "activist"}).get_data(as_text=True)
    links = [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]*page=2[^"]*)"', page)]
    assert links
    assert all(parse_qs(urlparse(link).query)["category"] == ["activist"] for link in links)


# --- Editing a member ----------------------------------------------------------------------------


def edit_data(member, **changes):
    data = {"edit-real_name": member.real_name, "edit-org_id": member.org_id,
            "edit-category": member.category.value, "edit-position": member.position.value,
            "edit-phone": member.phone or ""}
    data.update({f"edit-{key}": value for key, value in changes.items()})
    return data


def test_admin_edits_a_member(client, tree, people, admin):
    member = people["a1"]
    response = client.post(f"/members/{member.id}/edit", data=edit_data(
        member, real_name="张三丰", org_id=tree["b1"].id, category="probationary", position="secretary",
        phone="13700000003"))
    assert response.status_code == 302
    assert location_path(response) == f"/members/{member.id}"
    member = fresh(member)
    assert (member.real_name, member.org_id, member.category, member.position, member.phone) == (
        "张三丰", tree["b1"].id, MemberCategory.PROBATIONARY, PositionLevel.SECRETARY, "13700000003")


def test_edit_audit_row_records_old_and_new_values(client, tree, people, admin):
    member = people["a1"]
    client.post(f"/members/{member.id}/edit", data=edit_data(member, real_name="张三丰", org_id=tree["b1"].id))
    rows = audit_rows("user.update", member)
    assert len(rows) == 1
    assert rows[0].actor_id == admin.id
    assert rows[0].detail["real_name"] == ["张三", "张三丰"]
    assert rows[0].detail["org"] == [tree["a1"].id, tree["b1"].id]


def test_edit_without_changes_writes_no_audit_row(client, people, admin):
    member = people["a1"]
    response = client.post(f"/members/{member.id}/edit", data=edit_data(member))
    assert response.status_code == 302
    assert audit_rows("user.update", member) == []


def test_edit_clearing_the_phone_stores_no_phone(client, people, admin):
    member = people["a1"]
    client.post(f"/members/{member.id}/edit", data=edit_data(member, phone=""))
    assert fresh(member).phone is None


@pytest.mark.parametrize("changes", [{"phone": "12345"}, {"real_name": ""}, {"real_name": "长" * 61},
                                     {"category": "nonsense"}, {"position": "boss"}])
def test_invalid_edit_is_refused_and_changes_nothing(client, people, admin, changes):
    member = people["a1"]
    response = client.post(f"/members/{member.id}/edit", data=edit_data(member, **changes))
    assert response.status_code == 400
    member = fresh(member)
    assert (member.real_name, member.phone, member.category) == ("张三", "13800000001", MemberCategory.FULL)


@pytest.mark.parametrize("target", ["general_a", "committee"])
def test_member_cannot_be_moved_to_a_non_branch(client, tree, people, admin, target):
    member = people["a1"]
    response = client.post(f"/members/{member.id}/edit", data=edit_data(member, org_id=tree[target].id))
    assert response.status_code == 400
    assert fresh(member).org_id == tree["a1"].id


def test_member_cannot_be_moved_to_a_deactivated_branch(client, tree, people, admin):
    services.set_member_active(None, people["b1"], False)
    set_org_active(None, tree["b1"], False)
    db.session.commit()
    member = fresh(people["a1"])
    response = client.post(f"/members/{member.id}/edit", data=edit_data(member, org_id=tree["b1"].id))
    assert response.status_code == 400
    assert fresh(member).org_id == tree["a1"].id


def test_update_member_service_refuses_a_general_branch(tree, people):
    with pytest.raises(PeopleRuleError):
        services.update_member(None, people["a1"], org=tree["general_a"])


def test_editing_a_member_out_of_admin_sight_gives_404(client, people, admin):
    missing = db.session.scalar(select(func.max(User.id))) + 1000
    assert client.post(f"/members/{missing}/edit", data={}).status_code == 404


# --- Deactivating and reactivating ---------------------------------------------------------------


def test_deactivated_member_can_no_longer_log_in(client, people, admin, auth):
    member = people["a1"]
    response = client.post(f"/members/{member.id}/deactivate")
    assert response.status_code == 302
    assert not fresh(member).is_active
    auth.logout()
    assert auth.login(member).status_code == 200  # the form again, not a redirect into the site
    assert location_path(client.get("/")) == "/auth/login"


def test_deactivated_member_already_logged_in_is_logged_out(client, people, auth):
    member = people["a1"]
    auth.login(member)
    assert client.get("/").status_code == 200
    services.set_member_active(None, member, False)
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302
    assert location_path(response) == "/auth/login"


def test_reactivated_member_can_log_in_again(client, people, admin, auth):
    member = people["a1"]
    client.post(f"/members/{member.id}/deactivate")
    response = client.post(f"/members/{member.id}/reactivate")
    assert response.status_code == 302
    assert fresh(member).is_active
    auth.logout()
    assert auth.login(member).status_code == 302
    assert client.get("/").status_code == 200


def test_admin_cannot_deactivate_self(client, people, admin):
    response = client.post(f"/members/{admin.id}/deactivate")
    assert response.status_code == 302
    assert fresh(admin).is_active
    assert audit_rows("user.deactivate") == []


def test_deactivate_and_reactivate_are_audited(client, people, admin):
    member = people["a1"]
    client.post(f"/members/{member.id}/deactivate")
    client.post(f"/members/{member.id}/reactivate")
    assert [len(audit_rows(a, member)) for a in ("user.deactivate", "user.reactivate")] == [1, 1]


def test_service_deactivation_without_actor_works(people):
    services.set_member_active(None, people["a1"], False)
    assert not people["a1"].is_active


# --- Resetting a password ------------------------------------------------------------------------


def test_reset_password_gives_a_working_one_time_password(client, people, admin, auth, monkeypatch):
    issued = capture_one_time_passwords(monkeypatch, services)
    member = people["a1"]
    response = client.post(f"/members/{member.id}/reset-password")
    assert response.status_code == 302
    assert len(issued) == 1
    auth.logout()
    assert auth.login(member, issued[0]).status_code == 302
    assert fresh(member).must_change_password


def test_reset_password_shows_the_new_password_to_the_admin_once(client, people, admin, monkeypatch):
    issued = capture_one_time_passwords(monkeypatch, services)
    client.post(f"/members/{people['a1'].id}/reset-password")
    assert issued[0] in client.get(f"/members/{people['a1'].id}").get_data(as_text=True)
    assert issued[0] not in client.get(f"/members/{people['a1'].id}").get_data(as_text=True)


def test_old_password_stops_working_after_reset(client, people, admin, auth):
    member = people["a1"]
    client.post(f"/members/{member.id}/reset-password")
    auth.logout()
    auth.login(member, PASSWORD)
    assert location_path(client.get("/")) == "/auth/login"


def test_reset_password_is_audited_without_the_password(client, people, admin, monkeypatch):
    issued = capture_one_time_passwords(monkeypatch, services)
    client.post(f"/members/{people['a1'].id}/reset-password")
    rows = audit_rows("user.reset_password", people["a1"])
    assert len(rows) == 1
    assert issued[0] not in str(rows[0].detail)


@pytest.mark.parametrize("page", ["/", "/members/", "/admin/orgs/", "/admin/audit/"])
def test_member_with_one_time_password_is_sent_to_change_it_on_every_page(
        client, people, admin, auth, monkeypatch, page):
    issued = capture_one_time_passwords(monkeypatch, services)
    client.post(f"/members/{people['a1'].id}/reset-password")
    auth.logout()
    auth.login(people["a1"], issued[0])
    response = client.get(page)
    assert response.status_code == 302
    assert location_path(response) == "/auth/password"


def test_after_changing_the_one_time_password_pages_open_again(client, people, admin, auth, monkeypatch):
    issued = capture_one_time_passwords(monkeypatch, services)
    member = people["a1"]
    client.post(f"/members/{member.id}/reset-password")
    auth.logout()
    auth.login(member, issued[0])
    response = client.post("/auth/password", data={"current_password": issued[0], "new_password": NEW_PASSWORD,
                                                    "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert not fresh(member).must_change_password


def test_admin_resetting_own_password_must_change_it_too(client, admin, monkeypatch):
    client.post(f"/members/{admin.id}/reset-password")
    assert location_path(client.get("/members/")) == "/auth/password"


# --- Roles ----------------------------------------------------------------------------------------


def grant(client, member, role, org_id=0):
    return client.post(f"/members/{member.id}/roles", data={"role-role": role, "role-org_id": org_id})


@pytest.mark.parametrize("role", ["author", "reviewer", "admin"])
def test_admin_grants_a_platform_wide_role(client, people, admin, role):
    response = grant(client, people["a1"], role)
    assert response.status_code == 302
    assert grants_of(people["a1"]) == [(Role(role), None)]


def test_platform_wide_role_ignores_a_chosen_org(client, tree, people, admin):
    grant(client, people["a1"], "author", tree["general_a"].id)
    assert grants_of(people["a1"]) == [(Role.AUTHOR, None)]


def test_supervisor_role_requires_an_org(client, people, admin):
    grant(client, people["a1"], "supervisor", 0)
    assert grants_of(people["a1"]) == []
    assert audit_rows("role.grant", people["a1"]) == []


def test_supervisor_role_over_an_org_lets_the_member_see_that_subtree(client, tree, people, admin, auth):
    grant(client, people["a1"], "supervisor", tree["general_b"].id)
    assert grants_of(people["a1"]) == [(Role.SUPERVISOR, tree["general_b"].id)]
    auth.logout()
    auth.login(people["a1"])
    assert client.get(f"/members/{people['b1'].id}").status_code == 200
    assert client.get(f"/members/{people['a2'].id}").status_code == 404


def test_supervisor_role_over_a_deactivated_org_is_refused(client, tree, people, admin):
    services.set_member_active(None, people["b1"], False)
    set_org_active(None, tree["general_b"], False)
    db.session.commit()
    grant(client, people["a1"], "supervisor", tree["general_b"].id)
    assert grants_of(people["a1"]) == []


def test_granting_a_role_twice_keeps_one_grant(client, people, admin):
    grant(client, people["a1"], "author")
    grant(client, people["a1"], "author")
    assert grants_of(people["a1"]) == [(Role.AUTHOR, None)]


def test_supervisor_of_two_orgs_holds_two_grants(client, tree, people, admin):
    grant(client, people["a1"], "supervisor", tree["a2"].id)
    grant(client, people["a1"], "supervisor", tree["b1"].id)
    assert sorted(grants_of(people["a1"])) == sorted([(Role.SUPERVISOR, tree["a2"].id),
                                                      (Role.SUPERVISOR, tree["b1"].id)])


def test_unknown_role_is_refused(client, people, admin):
    grant(client, people["a1"], "emperor")
    assert grants_of(people["a1"]) == []


def test_grant_is_audited(client, tree, people, admin):
    grant(client, people["a1"], "supervisor", tree["a2"].id)
    rows = audit_rows("role.grant", people["a1"])
    assert len(rows) == 1
    assert rows[0].detail == {"role": "supervisor", "org_id": tree["a2"].id}
    assert rows[0].actor_id == admin.id


def test_admin_revokes_a_role(client, people, admin):
    grant(client, people["a1"], "reviewer")
    grant_id = fresh(people["a1"]).role_grants[0].id
    response = client.post(f"/members/{people['a1'].id}/roles/{grant_id}/revoke")
    assert response.status_code == 302
    assert grants_of(people["a1"]) == []
    assert len(audit_rows("role.revoke", people["a1"])) == 1


def test_revoked_supervisor_loses_the_member_list(client, tree, people, admin, auth):
    grant(client, people["a1"], "supervisor", tree["general_a"].id)
    grant_id = fresh(people["a1"]).role_grants[0].id
    client.post(f"/members/{people['a1'].id}/roles/{grant_id}/revoke")
    auth.logout()
    auth.login(people["a1"])
    assert client.get("/members/").status_code == 403


def test_admin_cannot_remove_own_admin_role(client, admin):
    grant_id = fresh(admin).role_grants[0].id
    response = client.post(f"/members/{admin.id}/roles/{grant_id}/revoke")
    assert response.status_code == 302
    assert grants_of(admin) == [(Role.ADMIN, None)]
    assert client.get("/admin/orgs/").status_code == 200


def test_admin_can_remove_another_admins_admin_role(client, people, admin):
    grant(client, people["a1"], "admin")
    grant_id = fresh(people["a1"]).role_grants[0].id
    client.post(f"/members/{people['a1'].id}/roles/{grant_id}/revoke")
    assert grants_of(people["a1"]) == []


def test_revoking_a_grant_of_another_member_gives_404(client, people, admin):
    grant(client, people["a1"], "author")
    grant_id = fresh(people["a1"]).role_grants[0].id
    response = client.post(f"/members/{people['a2'].id}/roles/{grant_id}/revoke")
    assert response.status_code == 404
    assert grants_of(people["a1"]) == [(Role.AUTHOR, None)]


def test_grant_role_service_refuses_supervisor_without_org(people):
    with pytest.raises(PeopleRuleError):
        services.grant_role(None, people["a1"], Role.SUPERVISOR)


def test_revoke_role_service_without_actor_works(people):
    admin_grant = services.grant_role(None, people["a1"], Role.ADMIN)
    services.revoke_role(None, admin_grant)
    db.session.commit()
    assert grants_of(people["a1"]) == []

"""The organisation tree: kind rules, rename, move, (de)activation, deletion, via services and /admin/orgs/."""
from urllib.parse import urlparse

import pytest
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.models import AuditLog, Organization, OrgKind, Role, User
from learning_app.orgs import services
from learning_app.orgs.services import OrgRuleError
from learning_app.people.queries import members_query
from learning_app.people.services import grant_role, set_member_active


def reload(org):
    db.session.expire_all()
    return db.session.get(Organization, org.id)


def org_exists(org):
    return db.session.scalar(select(func.count()).where(Organization.id == org.id)) == 1


def org_count():
    return db.session.scalar(select(func.count()).select_from(Organization))


def audit_actions(action=None, actor=None):
    query = select(AuditLog)
    if action:
        query = query.where(AuditLog.action == action)
    if actor is not None:
        query = query.where(AuditLog.actor_id == actor.id)
    return list(db.session.scalars(query.order_by(AuditLog.id)))


def unknown_org_id():
    return (db.session.scalar(select(func.max(Organization.id))) or 0) + 1000


@pytest.fixture
def admin(make_user, auth):
    user = make_user(None, roles=["admin"], login_id="org-admin")
    auth.login(user)
    return user


# --- Creating: the kind rules -------------------------------------------------------------


def test_committee_can_stand_at_the_root(app):
    org = services.create_org(None, "党委", OrgKind.COMMITTEE, None)
    db.session.commit()
    assert reload(org).parent_id is None
    assert org.depth == 0
    assert org.path == f"/{org.id}/"


@pytest.mark.parametrize("kind", [OrgKind.GENERAL_BRANCH, OrgKind.BRANCH])
def test_only_a_committee_can_stand_at_the_root(app, kind):
    with pytest.raises(OrgRuleError):
        services.create_org(None, "顶层", kind, None)
    assert org_count() == 0


@pytest.mark.parametrize("kind", [OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH])
def test_committee_can_hold_any_kind(make_org, kind):
    committee = make_org("committee")
    child = services.create_org(None, "下级", kind, committee)
    assert child.parent_id == committee.id


def test_general_branch_can_hold_a_branch(tree):
    branch = services.create_org(None, "甲三党支部", OrgKind.BRANCH, tree["general_a"])
    assert branch.parent_id == tree["general_a"].id


@pytest.mark.parametrize("kind", [OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH])
def test_general_branch_cannot_hold_committee_or_general_branch(tree, kind):
    before = org_count()
    with pytest.raises(OrgRuleError):
        services.create_org(None, "不允许", kind, tree["general_a"])
    assert org_count() == before


@pytest.mark.parametrize("kind", list(OrgKind))
def test_nothing_can_be_created_under_a_branch(tree, kind):
    before = org_count()
    with pytest.raises(OrgRuleError):
        services.create_org(None, "不允许", kind, tree["a1"])
    assert org_count() == before


def test_nothing_can_be_created_under_a_deactivated_parent(tree):
    services.set_org_active(None, tree["general_b"], False)
    db.session.commit()
    with pytest.raises(OrgRuleError):
        services.create_org(None, "乙二党支部", OrgKind.BRANCH, reload(tree["general_b"]))


def test_created_org_path_and_depth_extend_its_parent(tree):
    branch = services.create_org(None, "甲三党支部", OrgKind.BRANCH, tree["general_a"])
    db.session.commit()
    branch = reload(branch)
    assert branch.path == f"/{tree['committee'].id}/{tree['general_a'].id}/{branch.id}/"
    assert branch.depth == 2


def test_created_org_name_is_stripped(tree):
    branch = services.create_org(None, "  甲三党支部  ", OrgKind.BRANCH, tree["general_a"])
    assert branch.name == "甲三党支部"


# --- Renaming ------------------------------------------------------------------------------


def test_rename_changes_only_the_name(tree):
    old_path = tree["a1"].path
    services.rename_org(None, tree["a1"], " 甲一支部（新） ")
    db.session.commit()
    a1 = reload(tree["a1"])
    assert a1.name == "甲一支部（新）"
    assert a1.path == old_path


# --- Moving --------------------------------------------------------------------------------


@pytest.fixture
def deep_tree(tree, make_org):
    """tree plus: committee > sub-committee, and a1 left in general A."""
    tree["sub_committee"] = make_org("committee", tree["committee"], "二级党委")
    return tree


def test_move_rewrites_path_and_depth_of_the_moved_node(deep_tree):
    t = deep_tree
    services.move_org(None, t["general_a"], t["sub_committee"])
    db.session.commit()
    general_a = reload(t["general_a"])
    assert general_a.parent_id == t["sub_committee"].id
    assert general_a.path == f"{t['sub_committee'].path}{general_a.id}/"
    assert general_a.depth == 2


def test_move_rewrites_paths_and_depths_of_the_whole_subtree(deep_tree):
    t = deep_tree
    services.move_org(None, t["general_a"], t["sub_committee"])
    db.session.commit()
    general_a = reload(t["general_a"])
    for key in ("a1", "a2"):
        branch = db.session.get(Organization, t[key].id)
        assert branch.path == f"{general_a.path}{branch.id}/"
        assert branch.depth == 3
        assert branch.parent_id == general_a.id


def test_move_up_the_tree_decreases_depths(deep_tree, make_org):
    t = deep_tree
    inner = make_org("general_branch", t["sub_committee"], "二级党委下的总支")
    leaf = make_org("branch", inner, "二级党委下的支部")
    services.move_org(None, inner, t["committee"])
    db.session.commit()
    inner, leaf = reload(inner), db.session.get(Organization, leaf.id)
    assert (inner.depth, leaf.depth) == (1, 2)
    assert leaf.path == f"/{t['committee'].id}/{inner.id}/{leaf.id}/"


def test_move_leaves_nodes_outside_the_subtree_alone(deep_tree):
    t = deep_tree
    before = {node.id: (node.path, node.depth) for node in db.session.scalars(select(Organization))
              if not node.is_within(t["general_a"])}
    services.move_org(None, t["general_a"], t["sub_committee"])
    db.session.commit()
    db.session.expire_all()
    after = {node.id: (node.path, node.depth) for node in db.session.scalars(select(Organization))
             if node.id in before}
    assert after == before


def test_move_leaves_alone_a_node_whose_id_starts_with_the_moved_id(tree, make_org):
    # Path "/1/2/" must not be taken to contain "/1/20/": create general branches until one's id
    # begins with the digits of general A's id.
    prefix = str(tree["general_a"].id)
    lookalike = make_org("general_branch", tree["committee"])
    while not (str(lookalike.id).startswith(prefix) and lookalike.id != tree["general_a"].id):
        lookalike = make_org("general_branch", tree["committee"])
    lookalike_branch = make_org("branch", lookalike)
    old = (lookalike.path, lookalike_branch.path)
    target = make_org("committee", tree["committee"])
    services.move_org(None, tree["general_a"], target)
    db.session.commit()
    assert (reload(lookalike).path, db.session.get(Organization, lookalike_branch.id).path) == old


def test_cannot_move_org_under_itself(tree):
    with pytest.raises(OrgRuleError):
        services.move_org(None, tree["general_a"], tree["general_a"])


def test_cannot_move_org_under_its_own_subtree(deep_tree, make_org):
    t = deep_tree
    inner = make_org("committee", t["sub_committee"], "三级党委")
    old_path = t["sub_committee"].path
    with pytest.raises(OrgRuleError):
        services.move_org(None, t["sub_committee"], inner)
    db.session.rollback()
    assert reload(t["sub_committee"]).path == old_path


@pytest.mark.parametrize("source,target", [("general_a", "general_b"), ("a1", "b1"), ("general_a", "b1")])
def test_move_obeys_the_kind_rules(tree, source, target):
    with pytest.raises(OrgRuleError):
        services.move_org(None, tree[source], tree[target])


def test_cannot_move_under_a_deactivated_parent(tree):
    services.set_org_active(None, tree["general_b"], False)
    db.session.commit()
    with pytest.raises(OrgRuleError):
        services.move_org(None, reload(tree["a1"]), db.session.get(Organization, tree["general_b"].id))


def test_members_of_moved_branch_are_visible_to_supervisor_of_new_parent(tree, make_user):
    member = make_user(tree["a1"], login_id="moving-member")
    supervisor_b = make_user(tree["b1"], supervises=tree["general_b"])
    services.move_org(None, tree["a1"], tree["general_b"])
    db.session.commit()
    supervisor_b = db.session.get(User, supervisor_b.id)
    visible = db.session.scalars(members_query(supervisor_b)).all()
    assert member.id in [user.id for user in visible]
    assert supervisor_b.can_see_member(db.session.get(User, member.id))


def test_members_of_moved_branch_are_hidden_from_supervisor_of_old_parent(tree, make_user):
    member = make_user(tree["a1"], login_id="moving-member")
    supervisor_a = make_user(tree["a2"], supervises=tree["general_a"])
    services.move_org(None, tree["a1"], tree["general_b"])
    db.session.commit()
    supervisor_a = db.session.get(User, supervisor_a.id)
    visible = db.session.scalars(members_query(supervisor_a)).all()
    assert member.id not in [user.id for user in visible]
    assert not supervisor_a.can_see_member(db.session.get(User, member.id))


# --- Deactivating and reactivating ---------------------------------------------------------------


def test_deactivating_an_org_deactivates_its_whole_subtree(tree):
    services.set_org_active(None, tree["general_a"], False)
    db.session.commit()
    assert [reload(tree[k]).is_active for k in ("general_a", "a1", "a2")] == [False, False, False]


def test_deactivating_an_org_leaves_other_orgs_active(tree):
    services.set_org_active(None, tree["general_a"], False)
    db.session.commit()
    assert [reload(tree[k]).is_active for k in ("committee", "general_b", "b1")] == [True, True, True]


def test_deactivation_is_refused_while_active_members_are_inside(tree, make_user):
    make_user(tree["a2"])
    with pytest.raises(OrgRuleError):
        services.set_org_active(None, tree["general_a"], False)
    db.session.rollback()
    assert reload(tree["general_a"]).is_active


def test_deactivation_is_allowed_when_only_deactivated_members_are_inside(tree, make_user):
    member = make_user(tree["a2"])
    set_member_active(None, member, False)
    db.session.commit()
    services.set_org_active(None, tree["general_a"], False)
    db.session.commit()
    assert not reload(tree["general_a"]).is_active


def test_reactivating_an_org_reactivates_its_subtree(tree):
    services.set_org_active(None, tree["general_a"], False)
    db.session.commit()
    services.set_org_active(None, reload(tree["general_a"]), True)
    db.session.commit()
    assert [reload(tree[k]).is_active for k in ("general_a", "a1", "a2")] == [True, True, True]


def test_reactivation_is_refused_while_the_parent_is_deactivated(tree):
    services.set_org_active(None, tree["general_a"], False)
    db.session.commit()
    with pytest.raises(OrgRuleError):
        services.set_org_active(None, reload(tree["a1"]), True)
    db.session.rollback()
    assert not reload(tree["a1"]).is_active


# --- Deleting --------------------------------------------------------------------------------


def test_an_empty_leaf_can_be_deleted(tree):
    services.delete_org(None, tree["a2"])
    db.session.commit()
    assert not org_exists(tree["a2"])


def test_deleting_an_org_with_members_is_refused(tree, make_user):
    make_user(tree["a2"])
    with pytest.raises(OrgRuleError):
        services.delete_org(None, tree["a2"])


def test_deleting_an_org_with_only_deactivated_members_is_refused(tree, make_user):
    member = make_user(tree["a2"])
    set_member_active(None, member, False)
    db.session.commit()
    with pytest.raises(OrgRuleError):
        services.delete_org(None, tree["a2"])


def test_deleting_an_org_with_children_is_refused(tree):
    with pytest.raises(OrgRuleError):
        services.delete_org(None, tree["general_b"])
    db.session.rollback()
    assert org_exists(tree["general_b"])


def test_deleting_an_org_someone_supervises_is_refused_not_a_crash(tree, make_user):
    supervisor = make_user(tree["a1"])
    grant_role(None, supervisor, Role.SUPERVISOR, tree["a2"])
    db.session.commit()
    with pytest.raises(OrgRuleError):
        services.delete_org(None, tree["a2"])
    db.session.rollback()
    assert org_exists(tree["a2"])


# --- Audit rows from the services ----------------------------------------------------------------


@pytest.mark.parametrize("action,change", [
    ("org.create", lambda actor, t: services.create_org(actor, "新支部", OrgKind.BRANCH, t["general_a"])),
    ("org.rename", lambda actor, t: services.rename_org(actor, t["a1"], "新名字")),
    ("org.move", lambda actor, t: services.move_org(actor, t["a1"], t["general_b"])),
    ("org.deactivate", lambda actor, t: services.set_org_active(actor, t["a1"], False)),
    ("org.delete", lambda actor, t: services.delete_org(actor, t["a2"])),
])
def test_each_org_change_writes_an_audit_row_naming_the_actor(tree, make_user, action, change):
    actor = make_user(None, roles=["admin"])
    change(actor, tree)
    db.session.commit()
    entries = audit_actions(action, actor)
    assert len(entries) == 1
    assert entries[0].actor_id == actor.id
    assert entries[0].target_type == "organization"


def test_reactivation_writes_an_audit_row(tree):
    services.set_org_active(None, tree["a1"], False)
    services.set_org_active(None, reload(tree["a1"]), True)
    db.session.commit()
    assert len(audit_actions("org.reactivate")) == 1


def test_move_audit_row_records_old_and_new_parent(tree):
    services.move_org(None, tree["a1"], tree["general_b"])
    db.session.commit()
    detail = audit_actions("org.move")[0].detail
    assert detail["from_parent_id"] == tree["general_a"].id
    assert detail["to_parent_id"] == tree["general_b"].id


# --- HTTP: who may use /admin/orgs/ ------------------------------------------------------------

GET_PAGES = ["/admin/orgs/", "/admin/orgs/new", "/admin/orgs/{a1}"]
POST_ACTIONS = ["/admin/orgs/new", "/admin/orgs/{a1}/rename", "/admin/orgs/{a1}/move",
                "/admin/orgs/{a1}/deactivate", "/admin/orgs/{a1}/reactivate", "/admin/orgs/{a2}/delete"]


@pytest.mark.parametrize("url", GET_PAGES)
def test_anonymous_visitor_is_sent_to_login_from_org_pages(client, tree, url):
    response = client.get(url.format(a1=tree["a1"].id))
    assert response.status_code == 302
    assert urlparse(response.headers["Location"]).path == "/auth/login"


@pytest.mark.parametrize("url", POST_ACTIONS)
def test_anonymous_visitor_cannot_change_orgs(client, tree, url):
    response = client.post(url.format(a1=tree["a1"].id, a2=tree["a2"].id), data={"rename-name": "x"})
    assert response.status_code == 302
    assert urlparse(response.headers["Location"]).path == "/auth/login"
    assert org_exists(tree["a2"]) and reload(tree["a1"]).name == "甲一党支部"


@pytest.mark.parametrize("role", ["member", "supervisor", "author", "reviewer"])
@pytest.mark.parametrize("url", GET_PAGES)
def test_non_admin_gets_403_on_org_pages(client, tree, make_user, auth, role, url):
    if role == "member":
        user = make_user(tree["a1"])
    elif role == "supervisor":
        user = make_user(tree["a1"], supervises=tree["committee"])
    else:
        user = make_user(tree["a1"], roles=[role])
    auth.login(user)
    assert client.get(url.format(a1=tree["a1"].id)).status_code == 403


@pytest.mark.parametrize("url", POST_ACTIONS)
def test_supervisor_gets_403_on_org_changes(client, tree, make_user, auth, url):
    supervisor = make_user(tree["a1"], supervises=tree["committee"])
    auth.login(supervisor)
    response = client.post(url.format(a1=tree["a1"].id, a2=tree["a2"].id),
                           data={"name": "x", "kind": "branch", "parent_id": tree["general_a"].id,
                                 "rename-name": "x", "move-parent_id": tree["general_b"].id})
    assert response.status_code == 403
    assert org_exists(tree["a2"])
    assert reload(tree["a1"]).name == "甲一党支部"
    assert audit_actions(actor=supervisor) == []


@pytest.mark.parametrize("method,url", [
    ("GET", "/admin/orgs/{id}"), ("POST", "/admin/orgs/{id}/rename"), ("POST", "/admin/orgs/{id}/move"),
    ("POST", "/admin/orgs/{id}/deactivate"), ("POST", "/admin/orgs/{id}/reactivate"),
    ("POST", "/admin/orgs/{id}/delete")])
def test_unknown_org_gives_404(client, tree, admin, method, url):
    response = client.open(url.format(id=unknown_org_id()), method=method, data={"rename-name": "x"})
    assert response.status_code == 404


# --- HTTP: admin pages and actions --------------------------------------------------------------


def test_admin_sees_every_org_in_the_tree(client, tree, admin):
    page = client.get("/admin/orgs/").get_data(as_text=True)
    for org in tree.values():
        assert org.name in page


def test_admin_sees_the_edit_page_of_an_org(client, tree, admin):
    response = client.get(f"/admin/orgs/{tree['a1'].id}")
    assert response.status_code == 200
    assert "甲一党支部" in response.get_data(as_text=True)


def test_admin_creates_a_branch_through_the_form(client, tree, admin):
    response = client.post("/admin/orgs/new", data={"name": "甲三党支部", "kind": "branch",
                                                    "parent_id": tree["general_a"].id})
    assert response.status_code == 302
    assert urlparse(response.headers["Location"]).path == "/admin/orgs/"
    created = db.session.scalar(select(Organization).where(Organization.name == "甲三党支部"))
    assert created.parent_id == tree["general_a"].id
    assert created.path == f"{tree['general_a'].path}{created.id}/"


def test_admin_creates_a_root_committee_through_the_form(client, admin):
    response = client.post("/admin/orgs/new", data={"name": "新党委", "kind": "committee", "parent_id": 0})
    assert response.status_code == 302
    created = db.session.scalar(select(Organization).where(Organization.name == "新党委"))
    assert created.parent_id is None and created.depth == 0


def test_form_refuses_a_branch_at_the_root(client, tree, admin):
    before = org_count()
    response = client.post("/admin/orgs/new", data={"name": "孤立支部", "kind": "branch", "parent_id": 0})
    assert response.status_code == 200
    assert org_count() == before


def test_form_refuses_a_general_branch_under_a_general_branch(client, tree, admin):
    before = org_count()
    response = client.post("/admin/orgs/new", data={"name": "嵌套总支", "kind": "general_branch",
                                                    "parent_id": tree["general_a"].id})
    assert response.status_code == 200
    assert org_count() == before


def test_form_refuses_a_branch_as_parent(client, tree, admin):
    before = org_count()
    client.post("/admin/orgs/new", data={"name": "支部下的支部", "kind": "branch", "parent_id": tree["a1"].id})
    assert org_count() == before


def test_form_refuses_a_deactivated_parent(client, tree, admin):
    services.set_org_active(None, tree["general_b"], False)
    db.session.commit()
    before = org_count()
    client.post("/admin/orgs/new", data={"name": "乙二党支部", "kind": "branch", "parent_id": tree["general_b"].id})
    assert org_count() == before


def test_form_refuses_a_blank_name(client, tree, admin):
    before = org_count()
    client.post("/admin/orgs/new", data={"name": "   ", "kind": "branch", "parent_id": tree["general_a"].id})
    assert org_count() == before


def test_admin_renames_an_org(client, tree, admin):
    response = client.post(f"/admin/orgs/{tree['a1'].id}/rename", data={"rename-name": "甲一支部改名"})
    assert response.status_code == 302
    assert urlparse(response.headers["Location"]).path == f"/admin/orgs/{tree['a1'].id}"
    assert reload(tree["a1"]).name == "甲一支部改名"


@pytest.mark.parametrize("name", ["", "   ", "长" * 121])
def test_rename_refuses_a_blank_or_too_long_name(client, tree, admin, name):
    response = client.post(f"/admin/orgs/{tree['a1'].id}/rename", data={"rename-name": name})
    assert response.status_code == 302
    assert reload(tree["a1"]).name == "甲一党支部"
    assert audit_actions("org.rename") == []


def test_admin_moves_a_subtree(client, deep_tree, admin):
    t = deep_tree
    response = client.post(f"/admin/orgs/{t['general_a'].id}/move",
                           data={"move-parent_id": t["sub_committee"].id})
    assert response.status_code == 302
    a1 = reload(t["a1"])
    assert a1.path == f"{t['sub_committee'].path}{t['general_a'].id}/{a1.id}/"
    assert a1.depth == 3


def test_admin_cannot_move_an_org_under_its_own_subtree(client, deep_tree, make_org, admin):
    t = deep_tree
    inner = make_org("committee", t["sub_committee"], "三级党委")
    old_path = t["sub_committee"].path
    response = client.post(f"/admin/orgs/{t['sub_committee'].id}/move", data={"move-parent_id": inner.id})
    assert response.status_code == 302
    assert reload(t["sub_committee"]).path == old_path
    assert audit_actions("org.move") == []


def test_admin_cannot_move_a_general_branch_under_another_general_branch(client, tree, admin):
    old_path = tree["general_a"].path
    client.post(f"/admin/orgs/{tree['general_a'].id}/move", data={"move-parent_id": tree["general_b"].id})
    assert reload(tree["general_a"]).path == old_path


def test_admin_cannot_move_an_org_under_a_branch(client, tree, admin):
    old_path = tree["a1"].path
    client.post(f"/admin/orgs/{tree['a1'].id}/move", data={"move-parent_id": tree["b1"].id})
    assert reload(tree["a1"]).path == old_path


def test_supervisor_of_new_parent_sees_moved_members_and_old_supervisor_does_not(
        client, tree, make_user, auth, admin):
    member = make_user(tree["a1"], login_id="moved-member")
    supervisor_a = make_user(tree["a2"], supervises=tree["general_a"], login_id="sup-a")
    supervisor_b = make_user(tree["b1"], supervises=tree["general_b"], login_id="sup-b")
    client.post(f"/admin/orgs/{tree['a1'].id}/move", data={"move-parent_id": tree["general_b"].id})
    auth.logout()
    auth.login(supervisor_b)
    assert client.get(f"/members/{member.id}").status_code == 200
    assert "moved-member" in client.get("/members/").get_data(as_text=True)
    auth.logout()
    auth.login(supervisor_a)
    assert client.get(f"/members/{member.id}").status_code == 404
    assert "moved-member" not in client.get("/members/").get_data(as_text=True)


def test_admin_deactivates_an_empty_org(client, tree, admin):
    response = client.post(f"/admin/orgs/{tree['general_b'].id}/deactivate")
    assert response.status_code == 302
    assert not reload(tree["general_b"]).is_active
    assert not reload(tree["b1"]).is_active


def test_deactivation_through_the_form_is_refused_with_active_members(client, tree, make_user, admin):
    make_user(tree["b1"])
    response = client.post(f"/admin/orgs/{tree['general_b'].id}/deactivate")
    assert response.status_code == 302
    assert reload(tree["general_b"]).is_active
    assert reload(tree["b1"]).is_active
    assert audit_actions("org.deactivate") == []


def test_admin_reactivates_an_org(client, tree, admin):
    client.post(f"/admin/orgs/{tree['general_b'].id}/deactivate")
    response = client.post(f"/admin/orgs/{tree['general_b'].id}/reactivate")
    assert response.status_code == 302
    assert reload(tree["b1"]).is_active


def test_reactivation_through_the_form_is_refused_under_a_deactivated_parent(client, tree, admin):
    client.post(f"/admin/orgs/{tree['general_b'].id}/deactivate")
    client.post(f"/admin/orgs/{tree['b1'].id}/reactivate")
    assert not reload(tree["b1"]).is_active


def test_admin_deletes_an_empty_leaf(client, tree, admin):
    response = client.post(f"/admin/orgs/{tree['a2'].id}/delete")
    assert response.status_code == 302
    assert urlparse(response.headers["Location"]).path == "/admin/orgs/"
    assert not org_exists(tree["a2"])


def test_delete_through_the_form_is_refused_with_members(client, tree, make_user, admin):
    make_user(tree["a2"])
    response = client.post(f"/admin/orgs/{tree['a2'].id}/delete")
    assert response.status_code == 302
    assert urlparse(response.headers["Location"]).path == f"/admin/orgs/{tree['a2'].id}"
    assert org_exists(tree["a2"])


def test_delete_through_the_form_is_refused_with_children(client, tree, admin):
    client.post(f"/admin/orgs/{tree['general_b'].id}/delete")
    assert org_exists(tree["general_b"])
    assert audit_actions("org.delete") == []


def test_delete_through_the_form_is_refused_while_someone_supervises_the_org(client, tree, make_user, admin):
    make_user(tree["a1"], supervises=tree["a2"])
    response = client.post(f"/admin/orgs/{tree['a2'].id}/delete")
    assert response.status_code == 302
    assert org_exists(tree["a2"])


@pytest.mark.parametrize("action,url,data", [
    ("org.create", "/admin/orgs/new", {"name": "新支部", "kind": "branch", "parent_id": "{general_a}"}),
    ("org.rename", "/admin/orgs/{a1}/rename", {"rename-name": "新名字"}),
    ("org.move", "/admin/orgs/{a1}/move", {"move-parent_id": "{general_b}"}),
    ("org.deactivate", "/admin/orgs/{a1}/deactivate", {}),
    ("org.delete", "/admin/orgs/{a2}/delete", {}),
])
def test_each_admin_org_action_writes_an_audit_row(client, tree, admin, action, url, data):
    ids = {key: org.id for key, org in tree.items()}
    client.post(url.format(**ids), data={key: value.format(**ids) for key, value in data.items()})
    entries = audit_actions(action, admin)
    assert len(entries) == 1
    assert entries[0].actor_id == admin.id
    assert entries[0].ip_address


def test_admin_reactivation_writes_an_audit_row(client, tree, admin):
    client.post(f"/admin/orgs/{tree['a1'].id}/deactivate")
    client.post(f"/admin/orgs/{tree['a1'].id}/reactivate")
    assert len(audit_actions("org.reactivate", admin)) == 1

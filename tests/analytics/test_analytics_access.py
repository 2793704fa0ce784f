"""Who sees which dashboard: a supervisor only their subtree, on every page and in every export."""
import pytest

from learning_app.extensions import db
from tests.analytics.conftest import YEAR, add_assignment, add_course
from tests.analytics.helpers import XLSX, response_text

PAGES = ["/dashboard/", "/dashboard/lists/not_started", "/dashboard/lists/overdue", "/dashboard/lists/below_hours",
         "/dashboard/lists/not_started?sort=name&page=2", "/dashboard/report", "/dashboard/report?quarter=1",
         "/dashboard/sites", f"/dashboard/sites?view=year&year={YEAR}", "/dashboard/sites?quarter=2"]
EXPORTS = [f"/dashboard/lists/{kind}.{fmt}" for kind in ("not_started", "overdue", "below_hours")
           for fmt in ("xlsx", "csv")] + ["/dashboard/branches.xlsx", "/dashboard/branches.csv"]
ROUTES = PAGES + EXPORTS


def with_org(url, org_id):
    return f"{url}{'&' if '?' in url else '?'}org={org_id}"


@pytest.fixture
def scene(make_dataset, make_user):
    """The seeded dataset; a supervisor of its first general branch (A); a course assigned only in B."""
    data = make_dataset(seed=11)
    general_a, general_b = data.generals[0], data.generals[1]
    only_b = add_course(data.author, "只在乙总支指派的课程")
    add_assignment(only_b, general_b)
    db.session.commit()
    supervisor = make_user(general_a, supervises=general_a, real_name="甲总支督学", login_id="sup-a")
    admin = make_user(roles=["admin"], real_name="平台管理员", login_id="admin-1")
    member = make_user(data.branches[0], real_name="普通党员", login_id="plain-1")
    outsiders = [m for m in data.members if not m.org.is_within(general_a)]
    insiders = [m for m in data.members if m.org.is_within(general_a) and m.is_active_account]
    return {"data": data, "a": general_a, "b": general_b, "supervisor": supervisor, "admin": admin,
            "member": member, "outsiders": outsiders, "insiders": insiders,
            "outside_nodes": [n for n in data.orgs if not n.is_within(general_a)]}


def forbidden_strings(scene):
    strings = {m.real_name for m in scene["outsiders"]} | {m.login_id for m in scene["outsiders"]}
    strings |= {node.name for node in scene["outside_nodes"]}
    strings |= {site.name for site in scene["data"].sites if not site.org.is_within(scene["a"])}
    return strings


def test_supervisor_sees_nothing_of_the_other_general_branch(client, auth, scene):
    auth.login(scene["supervisor"])
    forbidden = forbidden_strings(scene)
    assert len(forbidden) > 100
    for url in ROUTES:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response_text(response)
        leaked = sorted(s for s in forbidden if s in text)
        assert not leaked, f"{url} shows {leaked[:5]}"
    # The pages are not vacuously clean: A's own people and branches are there.
    export = response_text(client.get("/dashboard/lists/below_hours.csv"))
    below = [m for m in scene["insiders"] if m.login_id in export]
    assert below and all(m.real_name in export for m in below)
    assert scene["a"].name in response_text(client.get("/dashboard/"))
    table = response_text(client.get("/dashboard/branches.xlsx"))
    assert all(node.name in table for node in scene["data"].within(scene["a"]))


def test_course_filter_lists_only_courses_assigned_in_reach(client, auth, scene):
    auth.login(scene["supervisor"])
    assert "只在乙总支指派的课程" not in client.get("/dashboard/").get_data(as_text=True)
    assert scene["data"].courses[0].published.title in client.get("/dashboard/").get_data(as_text=True)
    auth.logout()
    auth.login(scene["admin"])
    assert "只在乙总支指派的课程" in client.get("/dashboard/").get_data(as_text=True)
    assert "只在乙总支指派的课程" in client.get(f"/dashboard/?org={scene['b'].id}").get_data(as_text=True)


@pytest.mark.parametrize("target", ["b", "b_branch", "committee", "missing"])
def test_asking_for_a_node_out_of_reach_is_not_found(client, auth, scene, target):
    data = scene["data"]
    org_id = {"b": scene["b"].id, "b_branch": data.within(scene["b"])[-1].id, "committee": data.committee.id,
              "missing": 999_999}[target]
    auth.login(scene["supervisor"])
    for url in ROUTES:
        assert client.get(with_org(url, org_id)).status_code == 404, url


def test_supervisor_can_open_nodes_within_reach(client, auth, scene):
    auth.login(scene["supervisor"])
    branch = scene["data"].within(scene["a"])[-1]
    for url in ROUTES:
        assert client.get(with_org(url, branch.id)).status_code == 200, url


def test_a_plain_member_is_forbidden(client, auth, scene):
    auth.login(scene["member"])
    for url in ROUTES + [with_org("/dashboard/", scene["data"].branches[0].id)]:
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_log_in(client, scene):
    for url in ROUTES:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/auth/login" in response.headers["Location"], url


def test_unknown_list_kind_is_not_found(client, auth, scene):
    auth.login(scene["supervisor"])
    assert client.get("/dashboard/lists/everyone").status_code == 404
    assert client.get("/dashboard/lists/everyone.csv").status_code == 404
    assert client.get("/dashboard/lists/not_started.pdf").status_code == 404


def test_admin_sees_everything(client, auth, scene):
    data = scene["data"]
    auth.login(scene["admin"])
    page = client.get("/dashboard/").get_data(as_text=True)
    assert all(general.name in page for general in data.generals)
    table = response_text(client.get("/dashboard/branches.csv"))
    assert all(node.name in table for node in data.orgs)
    below = response_text(client.get("/dashboard/lists/below_hours.xlsx"))
    assert any(m.login_id in below for m in scene["outsiders"])
    assert any(m.login_id in below for m in scene["insiders"])
    sites = client.get("/dashboard/sites").get_data(as_text=True)
    assert all(site.name in sites for site in data.sites)
    for url in ROUTES:
        assert client.get(with_org(url, scene["b"].id)).status_code == 200, url


def test_exports_are_attachments_that_are_not_cached(client, auth, scene):
    auth.login(scene["supervisor"])
    for url in EXPORTS:
        response = client.get(url)
        assert response.headers["Content-Disposition"].startswith("attachment;"), url
        assert response.headers["Cache-Control"] == "no-store", url
        assert response.mimetype in (XLSX, "text/csv"), url

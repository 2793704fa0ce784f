"""The dashboard page: drill-down, figure JSON that cannot break out of its script tag, empty states,
exports (headers, organisation path, formula-safe cells) and a fixed SQL budget."""
import io
import re
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
from openpyxl import load_workbook

from analytics import queries
from analytics.filters import Filters
from learning_app.extensions import db
from tests.analytics.conftest import add_assignment, add_course, add_hours, add_member, build_dataset
from tests.analytics.helpers import CHARTS, breadcrumb, chart_json, csv_rows, drawn_charts, empty_charts, xlsx_rows

LIST_HEADER = ["组织", "姓名", "登录号", "手机号", "课程", "截止日期", "本年学时", "应修学时"]
BRANCH_HEADER = ["组织", "党员人数", "指派人次", "已开始", "已完成",
                 "完成率(%)", "逾期", "学时达标人数", "学时达标率(%)"]


# --- drill-down ---------------------------------------------------------------------------------------

def test_completion_chart_carries_child_ids_for_drill_down(client, auth, make_dataset, make_user):
    data = make_dataset(seed=21)
    supervisor = make_user(data.committee, supervises=data.committee)
    auth.login(supervisor)
    html = client.get("/dashboard/").get_data(as_text=True)
    figure = chart_json(html, "completion")
    bar = figure["data"][0]
    tree = queries.tree_figures(data.committee, Filters())
    children = [node for node in tree.nodes if node.parent_id == data.committee.id]
    shown = [node for node in children if tree.total[node.id].assigned]
    assert len(shown) >= 3
    assert sorted(bar["customdata"]) == sorted(node.id for node in shown)
    by_id = {node.id: node for node in shown}
    assert bar["y"] == [by_id[i].name for i in bar["customdata"]]
    assert bar["x"] == [tree.total[i].completion_rate for i in bar["customdata"]]
    assert bar["x"] == sorted(bar["x"])  # weakest first
    # The hours chart drills down too.
    hours = chart_json(html, "hours_share")["data"][0]
    assert set(hours["customdata"]) == {node.id for node in children if tree.total[node.id].members}


def test_figures_travel_without_a_template_or_long_floats(client, auth, make_dataset, make_user):
    """No Plotly template in the page (6.5 KB it used to carry), numbers to one decimal place, Chinese as
    UTF-8 rather than \\u escapes: the figure JSON is what a slow link pays for."""
    data = make_dataset(seed=22)
    auth.login(make_user(data.committee, supervises=data.committee))
    html = client.get("/dashboard/").get_data(as_text=True)
    assert 'id="plotly-template"' not in html
    drawn = drawn_charts(html)
    assert len(drawn) >= 5
    for chart in drawn:
        text = re.search(rf'id="{chart}-data">(.*?)</script>', html, re.S).group(1)
        assert "template" not in chart_json(html, chart)["layout"], chart
        assert not re.search(r"\d\.\d{2,}", text), (chart, re.findall(r"[\d.]*\d\.\d{2,}", text)[:5])
        assert not re.search(r"\\u[0-9a-f]{4}", text.replace("\\u003c", "").replace("\\u003e", "")
                             .replace("\\u0026", "")), chart


def test_drilling_down_shows_the_child_with_a_breadcrumb_back(client, auth, make_dataset, make_user):
    data = make_dataset(seed=22)
    supervisor = make_user(data.committee, supervises=data.committee)
    auth.login(supervisor)
    general = data.generals[0]
    branch = data.within(general)[1]
    html = client.get(f"/dashboard/?org={general.id}").get_data(as_text=True)
    assert re.search(rf"<h1[^>]*>{general.name}</h1>", html)
    crumbs = breadcrumb(html)
    links = dict((name, href) for href, name in re.findall(r'<a href="([^"]+)">([^<]+)</a>', crumbs))
    assert parse_qs(urlparse(links[data.committee.name].replace("&amp;", "&")).query)["org"] == [
        str(data.committee.id)]
    assert general.name not in links  # the current node is not a link
    assert f'active">{general.name}' in crumbs

    html = client.get(f"/dashboard/?org={branch.id}").get_data(as_text=True)
    crumbs = breadcrumb(html)
    names = re.findall(r'<a href="[^"]+">([^<]+)</a>', crumbs)
    assert names == [data.committee.name, general.name]
    # The branch has no children: no drill-down bars, and no 500.
    assert "completion" not in drawn_charts(html)


def test_breadcrumb_stops_at_the_supervisors_own_node(client, auth, make_dataset, make_user):
    data = make_dataset(seed=23)
    general = data.generals[0]
    supervisor = make_user(general, supervises=general)
    auth.login(supervisor)
    branch = data.within(general)[1]
    crumbs = breadcrumb(client.get(f"/dashboard/?org={branch.id}").get_data(as_text=True))
    assert data.committee.name not in crumbs
    assert re.findall(r'<a href="[^"]+">([^<]+)</a>', crumbs) == [general.name]


def test_drill_down_keeps_the_filters(client, auth, make_dataset, make_user):
    data = make_dataset(seed=24)
    supervisor = make_user(data.committee, supervises=data.committee)
    auth.login(supervisor)
    course = data.courses[0]
    html = client.get(f"/dashboard/?course={course.id}&category=full&from=2020-01-01").get_data(as_text=True)
    url = re.search(r'<div id="drilldown" data-url="([^"]+)"', html).group(1).replace("&amp;", "&")
    args = parse_qs(urlparse(url).query)
    assert args["course"] == [str(course.id)] and args["category"] == ["full"] and args["from"] == ["2020-01-01"]


def test_figure_json_cannot_close_its_script_tag(client, auth, make_dataset, make_user):
    data = make_dataset(seed=25)
    hostile = "</script><script>alert(1)</script>"
    general = data.generals[0]
    branch = data.within(general)[1]
    branch.name = hostile
    db.session.commit()
    supervisor = make_user(data.committee, supervises=data.committee)
    auth.login(supervisor)
    pages = {url: client.get(url) for url in (
        f"/dashboard/?org={general.id}", f"/dashboard/?org={branch.id}", f"/dashboard/report?org={general.id}",
        f"/dashboard/lists/below_hours?org={general.id}", f"/dashboard/sites?org={general.id}")}
    for url, response in pages.items():
        assert response.status_code == 200, url
        assert "</script><script>alert(1)" not in response.get_data(as_text=True), url
    html = pages[f"/dashboard/?org={general.id}"].get_data(as_text=True)
    assert hostile in chart_json(html, "completion")["data"][0]["y"]
    assert hostile in chart_json(html, "treemap")["data"][0]["labels"]
    # Every figure is valid JSON, and no script block closes early.
    for chart in drawn_charts(html):
        chart_json(html, chart)
    assert html.count("<script") == html.count("</script>")


# --- empty states -------------------------------------------------------------------------------------

def test_subtree_with_members_but_no_learning_shows_empty_states(client, auth, tree, make_user):
    # Elsewhere in the database there is plenty going on.
    build_dataset(seed=26, members=40, tag="E")
    for i in range(3):
        add_member(tree["b1"], f"乙一党员{i}")
    db.session.commit()
    supervisor = make_user(tree["general_b"], supervises=tree["general_b"])
    auth.login(supervisor)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert drawn_charts(html) == {"treemap", "hours", "hours_share"}
    assert empty_charts(html) == len(CHARTS) - 3


def test_node_without_members_or_children_shows_only_empty_states(client, auth, tree, make_user):
    supervisor = make_user(None, supervises=tree["general_a"])  # not a member of the subtree itself
    add_course(supervisor, "党章学习")
    db.session.commit()
    auth.login(supervisor)
    for org in (tree["a2"], tree["general_a"]):
        response = client.get(f"/dashboard/?org={org.id}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert drawn_charts(html) == set()
        assert empty_charts(html) == len(CHARTS)
    for url in ("/dashboard/report", "/dashboard/sites", "/dashboard/lists/overdue", "/dashboard/branches.xlsx",
                "/dashboard/lists/below_hours.csv"):
        assert client.get(url).status_code == 200, url


def test_filters_matching_nothing_and_odd_arguments_do_not_fail(client, auth, make_dataset, make_user):
    data = make_dataset(seed=27)
    supervisor = make_user(data.committee, supervises=data.committee)
    auth.login(supervisor)
    for query in ("course=999999", "category=nobody", "from=not-a-date&to=2020-13-45", "year=1900",
                  "from=2030-01-01&to=2020-01-01", "year=99999", "to=9999-12-31", "page=-3", "org=abc"):
        assert client.get(f"/dashboard/?{query}").status_code == 200, query
        assert client.get(f"/dashboard/lists/overdue?{query}").status_code == 200, query
        assert client.get(f"/dashboard/lists/overdue.csv?{query}").status_code == 200, query
    html = client.get("/dashboard/?course=999999").get_data(as_text=True)
    assert {"completion", "funnel", "timeline"}.isdisjoint(drawn_charts(html))


# --- exports ------------------------------------------------------------------------------------------

@pytest.fixture
def export_scene(tree, make_user):
    supervisor = make_user(tree["committee"], supervises=tree["committee"], real_name="党委督学")
    course = add_course(supervisor, "党章学习")
    add_assignment(course, tree["a1"], deadline=date(2020, 1, 1))
    hyperlink = add_member(tree["a1"], '=HYPERLINK("http://x")', login_id="formula-1", phone="13900000001")
    plus = add_member(tree["a1"], "+1", login_id="formula-2")
    minus = add_member(tree["a2"], "-2+3", login_id="@sum")
    add_hours(plus, "3.5")
    tree["b1"].name = "=1+1"
    db.session.commit()
    return {"supervisor": supervisor, "hyperlink": hyperlink, "plus": plus, "minus": minus, **tree}


def test_excel_export_has_chinese_headers_and_the_organisation_path(client, auth, export_scene):
    auth.login(export_scene["supervisor"])
    response = client.get("/dashboard/lists/not_started.xlsx")
    rows = xlsx_rows(response.data)
    assert rows[0] == LIST_HEADER
    by_login = {row[2]: ["" if v is None else v for v in row] for row in rows[1:]}
    assert by_login["formula-1"] == ["党委 / 第一党总支 / 甲一党支部", "'=HYPERLINK(\"http://x\")", "formula-1",
                                     "13900000001", "党章学习", "2020-01-01", "", ""]
    assert set(by_login) == {"formula-1", "formula-2"}  # a2's member is not assigned the course
    below = xlsx_rows(client.get("/dashboard/lists/below_hours.xlsx").data)
    by_login = {row[2]: row for row in below[1:]}
    assert by_login["formula-2"][0] == "党委 / 第一党总支 / 甲一党支部"
    assert by_login["formula-2"][6:] == [3.5, 32]
    assert by_login["'@sum"][0] == "党委 / 第一党总支 / 甲二党支部"


def test_formula_like_names_are_neutralised_in_both_formats(client, auth, export_scene):
    auth.login(export_scene["supervisor"])
    workbook = load_workbook(io.BytesIO(client.get("/dashboard/lists/below_hours.xlsx").data))
    cells = {cell.value: cell for row in workbook.active.iter_rows() for cell in row if cell.value}
    for name in ('=HYPERLINK("http://x")', "+1", "-2+3", "@sum"):
        assert "'" + name in cells, name
        assert cells["'" + name].data_type == "s"
        assert name not in cells
    text_rows = csv_rows(client.get("/dashboard/lists/below_hours.csv").data)
    assert text_rows[0] == LIST_HEADER
    fields = {field for row in text_rows for field in row}
    for name in ('=HYPERLINK("http://x")', "+1", "-2+3", "@sum"):
        assert "'" + name in fields and name not in fields, name
    # Organisation paths in the branch table are neutralised too when they start like a formula.
    table = csv_rows(client.get("/dashboard/branches.csv").data)
    assert table[0] == BRANCH_HEADER
    assert "党委 / 第二党总支 / =1+1" in [row[0] for row in table]  # harmless inside a path
    b1 = export_scene["b1"].id
    for rows in (csv_rows(client.get(f"/dashboard/branches.csv?org={b1}").data),
                 xlsx_rows(client.get(f"/dashboard/branches.xlsx?org={b1}").data)):
        assert rows[0] == BRANCH_HEADER
        assert [row[0] for row in rows[1:]] == ["'=1+1"]


def test_branch_table_matches_the_figures(client, auth, make_dataset, make_user):
    data = make_dataset(seed=28)
    supervisor = make_user(data.committee, supervises=data.committee)
    auth.login(supervisor)
    rows = xlsx_rows(client.get(f"/dashboard/branches.xlsx?org={data.generals[1].id}&category=full").data)
    tree = queries.tree_figures(data.generals[1], Filters(category="full"))
    assert [row[0] for row in rows[1:]] == [
        " / ".join(n.name for n in data.orgs if node.is_within(n) and n.is_within(data.generals[1]))
        for node in tree.nodes]
    for row, node in zip(rows[1:], tree.nodes, strict=True):
        figures = tree.total[node.id]
        assert row[1:5] == [figures.members, figures.assigned, figures.started, figures.completed]
        assert row[6:8] == [figures.overdue, figures.meeting_hours]
    csv_table = csv_rows(client.get(f"/dashboard/branches.csv?org={data.generals[1].id}&category=full").data)
    assert [r[0] for r in csv_table] == [r[0] for r in rows]


# --- query budget -------------------------------------------------------------------------------------

def measure(client, count_queries, url):
    assert client.get(url).status_code == 200  # warm-up
    with count_queries() as counted:
        response = client.get(url)
    assert response.status_code == 200, url
    return counted["n"]


@pytest.mark.query_budget
def test_dashboard_issues_a_fixed_number_of_statements(client, auth, make_user, count_queries):
    small = build_dataset(seed=31, members=30, generals=1, branches_per=(3, 3), tag="S")
    large = build_dataset(seed=32, members=300, generals=6, branches_per=(4, 4), tag="L")
    assert len(small.branches) == 5 and len(large.branches) == 26
    counts = {}
    for data in (small, large):
        supervisor = make_user(data.committee, supervises=data.committee, login_id=f"sup-{data.tag}")
        auth.login(supervisor)
        counts[data.tag] = {url: measure(client, count_queries, url) for url in (
            "/dashboard/", f"/dashboard/?org={data.generals[0].id}&category=full",
            "/dashboard/lists/not_started", "/dashboard/lists/below_hours.xlsx", "/dashboard/branches.csv",
            "/dashboard/report?quarter=1", "/dashboard/sites")}
        auth.logout()
    small_counts, large_counts = counts["S"], counts["L"]
    assert list(small_counts.values()) == list(large_counts.values())
    # One statement loads the signed-in user; the figures take eight, whatever the size of the tree.
    assert small_counts["/dashboard/"] <= 9

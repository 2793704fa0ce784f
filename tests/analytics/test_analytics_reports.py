"""Report periods, the printable report, and the site evaluation (站点考评) with its documented score."""
import re
from datetime import date, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from analytics import evaluation
from analytics.exports import Period
from courses.bases.models import NoticeStatus
from learning_app.extensions import db
from learning_app.models import PositionLevel
from tests.analytics.conftest import (
    TODAY,
    add_assignment,
    add_attendance,
    add_base,
    add_course,
    add_enrolment,
    add_hours,
    add_member,
    add_notice,
    add_session,
    add_site,
    add_study,
    utc,
)

# --- periods ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, expected", [
    ({"year": "2024", "month": "2"}, Period("month", date(2024, 2, 1), date(2024, 2, 29))),
    ({"year": "2023", "month": "2"}, Period("month", date(2023, 2, 1), date(2023, 2, 28))),
    ({"year": "2024", "month": "12"}, Period("month", date(2024, 12, 1), date(2024, 12, 31))),
    ({"year": "2024", "month": "4"}, Period("month", date(2024, 4, 1), date(2024, 4, 30))),
    ({"year": "2025", "quarter": "1"}, Period("quarter", date(2025, 1, 1), date(2025, 3, 31))),
    ({"year": "2025", "quarter": "2"}, Period("quarter", date(2025, 4, 1), date(2025, 6, 30))),
    ({"year": "2025", "quarter": "3"}, Period("quarter", date(2025, 7, 1), date(2025, 9, 30))),
    ({"year": "2025", "quarter": "4"}, Period("quarter", date(2025, 10, 1), date(2025, 12, 31))),
    ({"year": "2025", "quarter": "3", "month": "1"}, Period("quarter", date(2025, 7, 1), date(2025, 9, 30))),
])
def test_period_from_args(app, args, expected):
    period = Period.from_args(MultiDict(args))
    assert period == expected
    assert period.number == (int(args["quarter"]) if "quarter" in args else int(args["month"]))


@pytest.mark.parametrize("args", [{}, {"month": "13"}, {"month": "0"}, {"month": "x"}, {"quarter": "5"},
                                  {"quarter": "0", "month": ""}, {"year": "0"}, {"year": "-5"}, {"year": "99999"},
                                  {"year": "abc"}])
def test_period_defaults_to_the_current_month(app, args):
    period = Period.from_args(MultiDict(args))
    assert period.kind == "month"
    assert (period.start.year, period.start.month) == (TODAY.year, TODAY.month)
    assert period.start.day == 1 and (period.end + timedelta(days=1)).day == 1
    assert period.end.month == TODAY.month


def test_period_keeps_a_valid_year_with_a_bad_month(app):
    period = Period.from_args(MultiDict({"year": "2022", "month": "13"}))
    assert period.start == date(2022, TODAY.month, 1)


# --- the report page ----------------------------------------------------------------------------------

@pytest.fixture
def report_scene(tree, make_user):
    """a1: two members assigned a course; one completed it in February 2024, the other in March."""
    supervisor = make_user(None, supervises=tree["committee"])
    course = add_course(supervisor, "党章学习")
    add_assignment(course, tree["committee"])
    first = add_member(tree["a1"], "二月完成")
    second = add_member(tree["a1"], "三月完成")
    add_member(tree["b1"], "未开始")
    add_enrolment(first, course, 3, utc(2024, 2, 10))
    add_enrolment(second, course, 3, utc(2024, 3, 31, 12))
    db.session.commit()
    return {"supervisor": supervisor, **tree}


def _row(html, name):
    match = re.search(rf"<tr><td>{re.escape(name)}</td>((?:<td class=\"text-end\">\d+</td>)+)</tr>", html)
    assert match, f"no report row for {name}"
    return [int(n) for n in re.findall(r"\d+", match.group(1))]


def test_monthly_report(client, auth, report_scene):
    auth.login(report_scene["supervisor"])
    response = client.get(f"/dashboard/report?org={report_scene['committee'].id}&year=2024&month=2")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "2024-02-01 – 2024-02-29" in html
    assert '<option value="2" selected>' in html
    # members, assigned, completed in the period, overdue, meeting the hours
    assert _row(html, "第一党总支") == [2, 2, 1, 0, 0]
    assert _row(html, "第二党总支") == [1, 1, 0, 0, 0]
    html = client.get(f"/dashboard/report?org={report_scene['committee'].id}&year=2024&month=3").get_data(
        as_text=True)
    assert "2024-03-01 – 2024-03-31" in html
    assert _row(html, "第一党总支") == [2, 2, 1, 0, 0]
    html = client.get(f"/dashboard/report?org={report_scene['committee'].id}&year=2024&month=4").get_data(
        as_text=True)
    assert _row(html, "第一党总支") == [2, 2, 0, 0, 0]


def test_quarterly_report(client, auth, report_scene):
    auth.login(report_scene["supervisor"])
    response = client.get(f"/dashboard/report?org={report_scene['general_a'].id}&year=2024&quarter=1")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "2024-01-01 – 2024-03-31" in html
    assert re.search(r'<option value="1" selected>Q1', html)
    assert _row(html, "甲一党支部") == [2, 2, 2, 0, 0]
    assert _row(html, "甲二党支部") == [0, 0, 0, 0, 0]
    html = client.get(f"/dashboard/report?org={report_scene['general_a'].id}&year=2024&quarter=4").get_data(
        as_text=True)
    assert "2024-10-01 – 2024-12-31" in html
    assert _row(html, "甲一党支部") == [2, 2, 0, 0, 0]


def test_print_view_includes_the_print_script(client, auth, report_scene):
    auth.login(report_scene["supervisor"])
    plain = client.get("/dashboard/report?year=2024&month=2").get_data(as_text=True)
    assert "js/print.js" not in plain
    link = re.search(r'href="([^"]*print=1[^"]*)"', plain).group(1).replace("&amp;", "&")
    assert "year=2024" in link and "month=2" in link
    for url in ("/dashboard/report?year=2024&month=2&print=1", "/dashboard/report?year=2024&quarter=3&print=1",
                "/dashboard/report?print=1", link):
        html = client.get(url).get_data(as_text=True)
        assert "js/print.js" in html, url
    assert "js/print.js" in client.get("/dashboard/report?&print=1").get_data(as_text=True)


# --- site evaluation ----------------------------------------------------------------------------------

@pytest.fixture
def sites_scene(tree, make_user):
    """Sites at a1, a2 and general A (supervised) and at b1 (not), with work in March 2024 and around it.

    a1: two members assigned a course, one completed it in March and has the year's 32 hours: completion
    50 %, hours 50 %. Its site published two notices in March (4 h and 2 h in review) and others outside
    the month or unpublished, and held one collective study in March (two present) and one in May.
    a2: one member without hours or assignments; its site published one notice in March (36 h review).
    """
    supervisor = make_user(None, supervises=tree["general_a"], real_name="甲总支督学")
    author = add_member(None, "作者")
    course = add_course(author, "党章学习")
    add_assignment(course, tree["a1"])
    done = add_member(tree["a1"], "甲一完成", position=PositionLevel.MEMBER)
    pending = add_member(tree["a1"], "甲一未完成")
    idle = add_member(tree["a2"], "甲二党员")
    outsider = add_member(tree["b1"], "乙一党员")
    add_enrolment(done, course, 3, utc(2024, 3, 10))
    add_enrolment(pending, course, 1)
    add_hours(done, 32, year=2024)
    add_hours(pending, 10, year=2024)
    add_hours(outsider, 40, year=2024)
    s1, s2 = add_site(tree["a1"], "甲一学习站"), add_site(tree["a2"], "甲二学习站")
    s_general = add_site(tree["general_a"], "甲总支学习站")
    s_outside = add_site(tree["b1"], "乙一学习站")
    add_notice(s1, author, submitted_at=utc(2024, 3, 5, 8), published_at=utc(2024, 3, 5, 12))
    add_notice(s1, author, submitted_at=utc(2024, 3, 20, 10), published_at=utc(2024, 3, 20, 12))
    add_notice(s1, author, submitted_at=utc(2024, 3, 30, 10), published_at=utc(2024, 4, 2, 10))  # April
    add_notice(s1, author, NoticeStatus.DRAFT)
    add_notice(s1, author, NoticeStatus.SUBMITTED, submitted_at=utc(2024, 3, 25))
    add_notice(s2, author, submitted_at=utc(2024, 3, 1, 0), published_at=utc(2024, 3, 2, 12))
    add_notice(s_outside, author, submitted_at=utc(2024, 3, 1), published_at=utc(2024, 3, 1, 1))
    add_study(s1, utc(2024, 3, 12, 14), [done, pending])
    add_study(s1, utc(2024, 5, 12, 14), [done])
    add_study(s_outside, utc(2024, 3, 12, 14), [outsider])
    base = add_base(tree["committee"])
    march, june = add_session(base, utc(2024, 3, 15)), add_session(base, utc(2024, 6, 15))
    for session, user in ((march, done), (march, idle), (june, pending), (march, outsider)):
        add_attendance(session, user)
    db.session.commit()
    return {"supervisor": supervisor, "sites": (s1, s2, s_general, s_outside), **tree}


def test_sites_are_scored_and_ranked_as_documented(app, sites_scene):
    s1, s2, s_general, s_outside = sites_scene["sites"]
    scores = evaluation.evaluate_sites(sites_scene["general_a"], date(2024, 3, 1), date(2024, 3, 31))
    assert [row.site.id for row in scores] == [s1.id, s_general.id, s2.id]  # b1's site is not in reach
    first, general, second = scores
    # a1: learning (50 + 50) / 4 = 25; one study of one a month: 25; two notices of two a month: 25.
    assert (first.members, first.completion_rate, first.hours_rate) == (2, 50.0, 50.0)
    assert (first.notices, first.review_hours, first.studies, first.study_attendances) == (2, 3.0, 1, 2)
    assert first.base_attendances == 1
    assert first.score == 75.0
    # a2: no assignment (no completion rate), nobody meets the hours; one notice of two: 12.5.
    assert (second.members, second.completion_rate, second.hours_rate) == (1, None, 0.0)
    assert (second.notices, second.review_hours, second.studies, second.base_attendances) == (1, 36.0, 0, 1)
    assert second.score == 12.5
    # General A's own site: its subtree's learning, nothing of its own otherwise.
    assert (general.members, general.completion_rate, general.hours_rate) == (3, 50.0, 33.3)
    assert (general.notices, general.studies, general.base_attendances) == (0, 0, 2)
    assert general.score == round((50.0 + 33.3) / 4, 1)
    assert general.review_hours is None


def test_quarter_and_year_scale_the_monthly_norms(app, sites_scene):
    s1 = sites_scene["sites"][0]
    quarter = {row.site.id: row for row in evaluation.evaluate_sites(
        sites_scene["general_a"], date(2024, 1, 1), date(2024, 3, 31))}
    row = quarter[s1.id]
    assert (row.notices, row.studies) == (2, 1)
    assert row.score == round(25 + 25 * 1 / 3 + 25 * 2 / 6, 1)
    year = {row.site.id: row for row in evaluation.evaluate_sites(
        sites_scene["general_a"], date(2024, 1, 1), date(2024, 12, 31))}
    row = year[s1.id]
    assert (row.notices, row.studies, row.study_attendances, row.base_attendances) == (3, 2, 3, 2)
    assert row.score == round(25 + 25 * 2 / 12 + 25 * 3 / 24, 1)


def test_site_evaluation_page(client, auth, sites_scene):
    auth.login(sites_scene["supervisor"])
    html = client.get("/dashboard/sites?year=2024&month=3").get_data(as_text=True)
    assert "2024-03-01 – 2024-03-31" in html
    assert html.index("甲一学习站") < html.index("甲总支学习站") < html.index("甲二学习站")
    assert "乙一学习站" not in html and "乙一党员" not in html
    assert '<td class="text-end fw-bold">75.0</td>' in html
    quarter = client.get("/dashboard/sites?year=2024&quarter=1").get_data(as_text=True)
    assert "2024-01-01 – 2024-03-31" in quarter
    year = client.get("/dashboard/sites?view=year&year=2024").get_data(as_text=True)
    assert "2024-01-01 – 2024-12-31" in year
    assert year.count('class="table-warning"') == 3  # the year-end view highlights the top three
    assert client.get(f"/dashboard/sites?org={sites_scene['b1'].id}").status_code == 404
    for url in ("/dashboard/sites?view=year&year=99999", "/dashboard/sites?year=0&month=3",
                "/dashboard/sites?view=year&year=abc"):
        assert client.get(url).status_code == 200, url


def test_admin_sees_every_site(client, auth, sites_scene, make_user):
    auth.login(make_user(roles=["admin"]))
    html = client.get("/dashboard/sites?year=2024&month=3").get_data(as_text=True)
    assert all(site.name in html for site in sites_scene["sites"])


def test_subtree_without_sites(client, auth, tree, make_user):
    auth.login(make_user(None, supervises=tree["general_b"]))
    assert evaluation.evaluate_sites(tree["general_b"], date(2024, 3, 1), date(2024, 3, 31)) == []
    assert client.get("/dashboard/sites").status_code == 200

"""Days, months and date ranges are cut at the organisation's local midnight, not at UTC midnight.

In Asia/Shanghai (UTC+8, the default BABEL_DEFAULT_TIMEZONE) 23:30 on 31 March is 15:30 UTC, and
00:30 on 1 April is 16:30 UTC the same UTC day: the first belongs to March (and to a range ending on
31 March), the second to April. Every figure that counts events by date is checked at that edge: the
site evaluation (notices, collective studies, base attendance), the dashboard's date range and the
monthly report (completions), the attendance months, a deadline's overdue day and "today".
"""
from datetime import date

import pytest

from analytics import evaluation, queries
from analytics.filters import Filters
from courses import queries as course_queries
from learning_app import timezones
from learning_app.extensions import db
from tests.analytics.conftest import (
    add_assignment,
    add_attendance,
    add_base,
    add_course,
    add_enrolment,
    add_member,
    add_notice,
    add_session,
    add_site,
    add_study,
    utc,
)

LAST_EVENING = utc(2024, 3, 31, 15, 30)  # 23:30 on 31 March in Beijing
NEXT_NIGHT = utc(2024, 3, 31, 16, 30)    # 00:30 on 1 April in Beijing
MARCH = (date(2024, 3, 1), date(2024, 3, 31))
APRIL = (date(2024, 4, 1), date(2024, 4, 30))


def test_a_date_range_is_cut_at_local_midnight(app):
    assert timezones.local_day_range(*MARCH) == (utc(2024, 2, 29, 16, 0), utc(2024, 3, 31, 16, 0))
    assert timezones.local_day_range(None, date(2024, 3, 31)) == (None, utc(2024, 3, 31, 16, 0))
    assert timezones.local_day_range(date(2024, 4, 1), None) == (utc(2024, 3, 31, 16, 0), None)


@pytest.mark.app_config(BABEL_DEFAULT_TIMEZONE="UTC")
def test_the_zone_is_the_configured_one(app):
    assert timezones.local_day_range(*MARCH) == (utc(2024, 3, 1, 0, 0), utc(2024, 4, 1, 0, 0))


@pytest.fixture
def edge(tree, make_user):
    """At a1, one of each event at 23:30 local on 31 March, and one at 00:30 local on 1 April."""
    supervisor = make_user(None, supervises=tree["committee"])
    author = add_member(None, "作者")
    course = add_course(author, "党章学习")
    add_assignment(course, tree["committee"])
    site, base = add_site(tree["a1"]), add_base(tree["committee"])
    for index, moment in enumerate((LAST_EVENING, NEXT_NIGHT)):
        member = add_member(tree["a1"], f"党员{index}")
        add_enrolment(member, course, 3, moment)
        add_notice(site, author, submitted_at=utc(2024, 3, 30), published_at=moment)
        add_study(site, moment, [member])
        add_attendance(add_session(base, moment), member, checked_in_at=moment)
    db.session.commit()
    return {"supervisor": supervisor, "site": site, **tree}


def test_site_evaluation_counts_the_last_evening_in_its_month(app, edge):
    for first, last in (MARCH, APRIL):
        [score] = evaluation.evaluate_sites(edge["a1"], first, last)
        assert (score.notices, score.studies, score.study_attendances, score.base_attendances) == (1, 1, 1, 1), first


def test_dashboard_range_ends_at_local_midnight(app, edge):
    for first, last in (MARCH, APRIL):
        figures = queries.tree_figures(edge["committee"], Filters(date_from=first, date_to=last, year=2024))
        assert figures.total[edge["a1"].id].completed == 1, first
    until_march = Filters(date_to=date(2024, 3, 31), year=2024)
    assert queries.tree_figures(edge["committee"], until_march).total[edge["a1"].id].completed == 1


def test_monthly_report_counts_the_last_evening_in_its_month(client, auth, edge):
    auth.login(edge["supervisor"])
    for month in (3, 4):
        html = client.get(f"/dashboard/report?org={edge['general_a'].id}&year=2024&month={month}").get_data(
            as_text=True)
        assert "<tr><td>甲一党支部</td><td class=\"text-end\">2</td><td class=\"text-end\">2</td>" \
               "<td class=\"text-end\">1</td>" in html, month


def test_attendance_months_are_local_months(app, edge):
    months = queries.attendance_by_month(edge["committee"], Filters(year=2024))
    assert months == [("2024-03", 1, 1), ("2024-04", 1, 1)]


@pytest.mark.parametrize("now, today", [(LAST_EVENING, date(2024, 3, 31)), (NEXT_NIGHT, date(2024, 4, 1))])
def test_today_is_the_local_day(app, monkeypatch, now, today):
    monkeypatch.setattr(timezones, "utcnow", lambda: now)
    assert timezones.local_today() == today


@pytest.mark.parametrize("now, overdue", [(LAST_EVENING, False), (NEXT_NIGHT, True)])
def test_a_deadline_is_overdue_from_the_next_local_midnight(app, tree, monkeypatch, now, overdue):
    author = add_member(None, "作者")
    add_assignment(add_course(author, "党章学习"), tree["committee"], deadline=date(2024, 3, 31))
    member = add_member(tree["a1"], "党员")
    db.session.commit()
    monkeypatch.setattr(timezones, "utcnow", lambda: now)
    [item] = course_queries.my_learning(member)
    assert item["overdue"] is overdue
    figures = queries.tree_figures(tree["committee"], Filters(year=2024))
    assert figures.total[tree["a1"].id].overdue == int(overdue)

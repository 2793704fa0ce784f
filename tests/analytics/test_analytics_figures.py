"""The dashboard's SQL figures agree with a brute-force count over the ORM objects, for every node.

The tests only read their seeded dataset, so each is built once for the module (`shared_dataset`).
"""
from datetime import timedelta

import pytest
from sqlalchemy import select

from analytics import queries
from analytics.filters import Filters
from courses.models import Enrolment
from learning_app.extensions import db
from tests.analytics.brute import World, as_tuple, local_day
from tests.analytics.conftest import TODAY, YEAR, add_hours, add_member

SEEDS = [1, 2, 3]


def filter_sets(data):
    """Filters to try: none, each kind alone, and all together."""
    return {
        "none": Filters(),
        "course": Filters(course_id=data.courses[0].id),
        "other course": Filters(course_id=data.courses[2].id),
        "category": Filters(category="probationary"),
        "activists": Filters(category="activist"),
        "range": Filters(date_from=TODAY - timedelta(days=200), date_to=TODAY - timedelta(days=20)),
        "open range": Filters(date_from=TODAY - timedelta(days=90)),
        "last year": Filters(year=YEAR - 1),
        "all": Filters(course_id=data.courses[1].id, category="full", date_from=TODAY - timedelta(days=300),
                       date_to=TODAY),
    }


def roots(data):
    return {"committee": data.committee, "general": data.generals[0], "sub-committee": data.branches[-1].parent,
            "branch": data.branches[0]}


@pytest.mark.parametrize("seed", SEEDS)
def test_tree_figures_match_brute_force_for_every_node(shared_dataset, seed):
    data = shared_dataset(seed)
    world = World()
    for root_name, root in roots(data).items():
        for filter_name, filters in filter_sets(data).items():
            result = queries.tree_figures(root, filters, today=TODAY)
            own, total = world.figures(root, filters, TODAY)
            where = f"seed {seed}, root {root_name}, filters {filter_name}"
            assert {node.id for node in result.nodes} == set(total), where
            for node in result.nodes:
                assert as_tuple(result.total[node.id]) == as_tuple(total[node.id]), f"{where}, total of {node.name}"
                assert as_tuple(result.own.get(node.id, queries.Figures())) == as_tuple(own[node.id]), \
                    f"{where}, own of {node.name}"


@pytest.mark.parametrize("seed", SEEDS)
def test_dataset_is_varied_enough_to_mean_something(shared_dataset, seed):
    """Guard against a generator that produces nothing interesting (every figure zero passes trivially)."""
    data = shared_dataset(seed)
    world = World()
    filters = Filters(date_from=TODAY - timedelta(days=200), date_to=TODAY - timedelta(days=20))
    _own, total = world.figures(data.committee, filters, TODAY)
    top = total[data.committee.id]
    assert top["members"] > 100 and top["assigned"] > 50
    assert 0 < top["started"] < top["assigned"]
    assert 0 < top["completed"] < top["started"]
    assert top["overdue"] > 0 and 0 < top["meeting_hours"] < top["members"]
    everything = world.figures(data.committee, Filters(), TODAY)[1][data.committee.id]
    assert everything["completed"] > top["completed"]  # the range leaves some completions out
    # Some pair is covered by two assignments (counted once), some member is exactly on the requirement.
    assert len(world.pairs(data.committee, Filters())) < sum(
        1 for u in world.members(data.committee, Filters()) for a in world.assignments if world.covers(a, u))
    assert any(world.hours(u, YEAR) == world.required_for(u) for u in world.users if u.org)


@pytest.mark.parametrize("seed", SEEDS)
def test_funnel_histograms_and_attendance_match_brute_force(shared_dataset, seed):
    data = shared_dataset(seed)
    world = World()
    for root_name, root in roots(data).items():
        for filter_name, filters in filter_sets(data).items():
            where = f"seed {seed}, root {root_name}, filters {filter_name}"
            assert queries.funnel(root, filters) == world.funnel(root, filters), where
            assert queries.hours_distribution(root, filters) == world.hours_distribution(root, filters), where
            assert queries.attendance_by_month(root, filters) == world.attendance_by_month(root, filters), where
            assert queries.score_distribution(root, filters) == world.score_distribution(root, filters), where
            hardest = queries.question_difficulty(root, filters)
            assert {r["question_id"]: (r["answered"], r["correct_rate"]) for r in hardest} == \
                world.question_difficulty(root, filters), where
            assert [r["correct_rate"] for r in hardest] == sorted(r["correct_rate"] for r in hardest)


@pytest.mark.parametrize("seed", SEEDS)
def test_action_lists_match_brute_force(shared_dataset, seed):
    data = shared_dataset(seed)
    world = World()
    for kind in queries.LIST_KINDS:
        for root_name, root in roots(data).items():
            for filter_name, filters in filter_sets(data).items():
                rows = db.session.execute(queries.action_list(root, filters, kind, today=TODAY)).all()
                found = [(row.id, row.course) for row in rows]
                expected = world.action_list(root, filters, kind, TODAY)
                assert len(found) == len(set(found)), "a member and course listed twice"
                assert set(found) == expected, f"seed {seed}, {kind}, root {root_name}, filters {filter_name}"
        assert world.action_list(data.committee, Filters(), kind, TODAY), f"{kind} is never empty here"


def test_action_list_pages_and_sorts(shared_dataset):
    data = shared_dataset(4)
    query = queries.action_list(data.committee, Filters(), "below_hours", sort="name")
    rows, total = queries.page_of(query, 1, 10)
    all_rows = db.session.execute(query).all()
    assert total == len(all_rows) > 10 and len(rows) == 10
    assert [r.real_name for r in all_rows] == sorted(r.real_name for r in all_rows)
    second, _total = queries.page_of(query, 2, 10)
    assert [r.id for r in rows + second] == [r.id for r in all_rows[:20]]
    by_branch = db.session.execute(queries.action_list(data.committee, Filters(), "below_hours")).all()
    assert [r.path for r in by_branch] == sorted(r.path for r in by_branch)


@pytest.mark.parametrize("sort", ["branch", "name", "login"])
@pytest.mark.parametrize("kind", ["not_started", "overdue"])
def test_pages_worked_out_a_window_at_a_time_match_the_whole_list(shared_dataset, kind, sort):
    """Pages worked out for a few branches (by branch) or a few members (by name or number) at a time
    hold exactly the rows of the full list, in order, and the total comes from the counts."""
    data = shared_dataset(7)
    for root in (data.committee, data.generals[0]):
        for filters in (Filters(), Filters(category="full"), Filters(course_id=data.courses[0].id)):
            everything = db.session.execute(queries.action_list(root, filters, kind, sort, today=TODAY)).all()
            assert everything, f"{kind} has rows to page through"
            paged = []
            for page in range(1, len(everything) // 7 + 3):  # one page past the end, too
                rows, total = queries.action_list_page(root, filters, kind, sort, page, 7, today=TODAY)
                assert total == len(everything)
                assert len(rows) <= 7
                paged += rows
            assert [(r.id, r.course) for r in paged] == [(r.id, r.course) for r in everything]


def test_full_marks_fall_in_the_top_band_once(shared_dataset):
    """A 100 % attempt belongs to the 90–100 % band: one row per band, never two rows starting at 90."""
    data = shared_dataset(5)
    world = World()
    graded = [a for a in world.attempts if a.status.value == "graded"
              and a.user_id in {u.id for u in world.members(data.committee, Filters())}]
    assert any(a.score == a.max_score for a in graded)
    bands = queries.score_distribution(data.committee, Filters())
    starts = [start for start, _n in bands]
    assert starts == sorted(set(starts))
    assert all(0 <= start <= 90 for start in starts) and 90 in starts
    assert sum(n for _s, n in bands) == len(graded)


def test_completions_over_time_and_earliest_deadline(shared_dataset):
    data = shared_dataset(6)
    world = World()
    for filters in (Filters(), Filters(date_from=TODAY - timedelta(days=100), date_to=TODAY)):
        per_day = queries.completions_over_time(data.committee, filters)
        pairs = world.pairs(data.committee, filters)
        done = sorted(str(local_day(world.enrolments[(u.id, c)].completed_at)) for (u, c) in pairs
                      if world.completed(world.enrolments.get((u.id, c)), filters))
        assert sum(n for _d, n in per_day) == len(done)
        assert [d for d, _n in per_day] == sorted(set(done))
        deadlines = [d for d in pairs.values() if d is not None]
        assert queries.earliest_deadline(data.committee, filters) == min(deadlines)


def test_inactive_members_and_elective_enrolments_do_not_count(shared_dataset):
    data = shared_dataset(8)
    total = queries.tree_figures(data.committee, Filters()).total[data.committee.id]
    active = [m for m in data.members if m.is_active_account]
    assert total.members == len(active) < len(data.members)
    enrolments = db.session.scalar(select(db.func.count()).select_from(Enrolment))
    assert total.started < enrolments  # electives (and inactive members' enrolments) are left out


def test_hours_on_the_requirement_meet_it_whatever_the_decimals(app, tree):
    """0.2 + 27.9 + 3.9 is 32 (the ledger holds tenths), though binary floating point adds it up to 31.999…"""
    member = add_member(tree["a1"], "刚好达标")
    for hours in ("0.2", "27.9", "3.9"):
        add_hours(member, hours)
    short = add_member(tree["a1"], "差一点")
    for hours in ("0.2", "27.9", "3.8"):
        add_hours(short, hours)
    db.session.commit()
    figures = queries.tree_figures(tree["committee"], Filters()).total[tree["a1"].id]
    assert (figures.members, figures.meeting_hours) == (2, 1)
    assert figures.hours == pytest.approx(63.9)
    rows = db.session.execute(queries.action_list(tree["committee"], Filters(), "below_hours")).all()
    assert [(row.real_name, float(row.hours)) for row in rows] == [("差一点", 31.9)]
    assert queries.hours_distribution(tree["committee"], Filters()) == [(24, 1), (32, 1)]

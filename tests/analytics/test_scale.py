"""`flask gen-scale` generates an organisation the benchmarks can use: every kind of record, counts ready."""
from sqlalchemy import func, select, text

from analytics import queries
from analytics.counts import rebuild
from analytics.filters import Filters
from courses.bases.models import Attendance
from courses.models import Assignment, Enrolment, StudyHoursEntry
from learning_app.extensions import db
from learning_app.models import Organization, User
from quizzes.models import Attempt, AttemptStatus
from tests.analytics.brute import World, as_tuple
from tests.analytics.conftest import TODAY
from tests.analytics.test_counts import snapshot


def count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def test_gen_scale_generates_an_organisation_whose_dashboard_is_right(app):
    result = app.test_cli_runner().invoke(args=["gen-scale", "--members", "300", "--branches", "16",
                                                "--courses", "5"])
    assert result.exit_code == 0, result.output
    assert "Scale@2026" in result.output
    top = db.session.scalar(select(Organization).where(Organization.parent_id.is_(None)))
    assert count(User) == 300
    assert max(org.depth for org in db.session.scalars(select(Organization))) >= 3
    assert {category.value for category in db.session.scalars(select(User.category).distinct())} >= {
        "full", "probationary", "activist"}
    for model in (Assignment, Enrolment, StudyHoursEntry, Attendance):
        assert count(model) > 0, model.__name__
    assert count(Attempt, Attempt.status == AttemptStatus.GRADED) > 0

    # The dashboard's counts are built (a rebuild changes nothing) and give the right figures.
    kept = snapshot()
    rebuild(db.session)
    assert snapshot() == kept
    _own, total = World().figures(top, Filters(), TODAY)
    assert as_tuple(queries.tree_figures(top, Filters(), today=TODAY).total[top.id]) == as_tuple(total[top.id])

    if db.session.get_bind().dialect.name == "postgresql":  # the planner has statistics to go by
        assert db.session.scalar(text("SELECT count(*) FROM pg_stats WHERE tablename = 'attempt'")) > 0

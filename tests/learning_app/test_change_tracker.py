"""The one change tracker (learning_app.change_tracker): the factory installs it with its watchers, it
acts only at the outermost commit, and a write that bypasses it is caught by the suite's guard."""
import pytest
from sqlalchemy import insert, text, update

from learning_app import change_tracker
from learning_app.extensions import db
from learning_app.models import MemberCategory, User
from tests.tracker_guard import BypassedTracker, TrackerGuard, set_columns, written_table


@pytest.fixture
def member(tree, make_user):
    return make_user(tree["a1"], real_name="追踪党员")


@pytest.fixture
def heard(app):
    """A watcher of members' category, registered for one test: what it acted on at each commit."""
    acted: list[set] = []
    watcher = change_tracker.Watcher(
        name="tests.heard", models={User: ("category",)},
        on_change=lambda change: [("changed", change.obj.id)],
        on_bulk=lambda bulk: [("bulk", bulk.entity.__name__)],
        before_commit=lambda session, marks: acted.append(set(marks)))
    change_tracker.watch(watcher)
    try:
        yield acted
    finally:
        change_tracker.unwatch(watcher)


def test_the_factory_installs_the_tracker_with_its_watchers(app):
    names = [watcher.name for watcher in app.extensions["change_tracker"]]
    assert names == ["courses.page_cache", "analytics.counts"]  # the order they act in before a commit
    assert {"enrolment", "study_hours_entry", "user_account", "organization"} <= set(change_tracker.watched_columns())


def test_a_watcher_hears_a_flushed_change_at_the_commit_only(member, heard):
    member.category = MemberCategory.PROBATIONARY
    db.session.flush()
    assert heard == []
    db.session.commit()
    assert heard == [{("changed", member.id)}]


def test_a_change_to_columns_the_watcher_does_not_name_is_not_heard(member, heard):
    member.real_name = "改名党员"
    db.session.commit()
    assert heard == []


def test_a_bulk_statement_is_heard(member, heard):
    db.session.execute(update(User).where(User.id == member.id).values(category=MemberCategory.ACTIVIST))
    db.session.commit()
    assert heard == [{("bulk", "User")}]


def test_releasing_a_savepoint_waits_for_the_outermost_commit(member, heard):
    with db.session.begin_nested():
        member.category = MemberCategory.PROBATIONARY
    assert heard == []
    db.session.commit()
    assert heard == [{("changed", member.id)}]


def test_a_rollback_forgets_what_was_noted(member, heard):
    member.category = MemberCategory.PROBATIONARY
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert heard == []


@pytest.mark.writes_behind_tracker  # on purpose: this test shows the guard catching each kind of bypass
def test_the_guard_catches_writes_that_bypass_the_tracker(member):
    table = User.__table__
    with TrackerGuard(fail_fast=False) as guard:
        # Seen by the tracker: a flush, a bulk ORM statement, a Core UPDATE of columns no watcher names.
        member.category = MemberCategory.PROBATIONARY
        db.session.flush()
        db.session.execute(update(User).where(User.id == member.id).values(position=member.position))
        db.session.connection().execute(update(table).where(table.c.id == member.id).values(real_name="改名"))
        assert guard.bypasses == []
        # Not seen: raw SQL through the session, Core statements on a watched column or a new row.
        db.session.execute(text("UPDATE user_account SET category = 'full' WHERE id = :id"), {"id": member.id})
        db.session.connection().execute(update(table).where(table.c.id == member.id).values(org_id=None))
        db.session.connection().execute(insert(table).values(login_id="raw", real_name="旁路", password_hash="x",
                                                             category="full", position="member"))
        db.session.rollback()
    assert [written_table(sql) for sql in guard.bypasses] == [
        ("UPDATE", "user_account"), ("UPDATE", "user_account"), ("INSERT", "user_account")]


@pytest.mark.writes_behind_tracker
def test_the_guard_fails_where_the_write_runs(member):
    with TrackerGuard() as guard, pytest.raises(BypassedTracker), db.engine.begin() as connection:
        connection.execute(text("DELETE FROM role_grant WHERE user_id = :id"), {"id": member.id})
    assert len(guard.bypasses) == 1


@pytest.mark.parametrize("sql, columns", [
    ("UPDATE attempt SET open_slot=?, submitted_at=? WHERE attempt.id = ?", {"open_slot", "submitted_at"}),
    ('UPDATE "user_account" SET "position"=%(position)s::VARCHAR WHERE id = 1', {"position"}),
    ("UPDATE enrolment SET lessons_done=(SELECT count(*) FROM lesson WHERE x IN (1, 2)), completed_at=NULL",
     {"lessons_done", "completed_at"}),
    ("UPDATE enrolment SET lessons_done = 'a, b = c' WHERE id = 1", {"lessons_done"}),
    ("UPDATE enrolment SET lessons_done = lessons_done + 1 RETURNING id", {"lessons_done"}),
])
def test_the_guard_reads_which_columns_an_update_sets(sql, columns):
    assert set_columns(sql) == columns

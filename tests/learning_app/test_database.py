"""Pooled connections: after the database server dropped them (a restart), the next request works.

PostgreSQL only: SQLite is a file (or memory) in this process, so nothing can drop its connection,
and an in-memory database would vanish with it.

These tests state what must hold whichever way the pool checks its connections (an idle check in
learning_app.fast_paths, or pool_pre_ping). With an idle check, only a connection idle for longer than
IDLE_SECONDS_BEFORE_CHECK is checked, so the tests set it to 0 when it exists ("every connection has
idled"), in place of sleeping.
"""
import pytest
from sqlalchemy import create_engine, exc, text
from sqlalchemy.pool import NullPool

from learning_app import fast_paths
from learning_app.extensions import db

pytestmark = pytest.mark.postgresql_only


def _server_drops_every_pooled_connection() -> set[int]:
    """Fill the pool with a used connection, then have the server end every connection to this
    database from outside, as a restart would. Returns the backend ids it ended."""
    with db.engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    db.session.remove()
    outside = create_engine(db.engine.url, poolclass=NullPool)
    try:
        with outside.begin() as connection:
            ended = connection.execute(text(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()")).all()
    finally:
        outside.dispose()
    assert ended, "the pool held no connection to drop"
    return {pid for pid, _ended in ended}


@pytest.fixture
def every_connection_idled(monkeypatch):
    monkeypatch.setattr(fast_paths, "IDLE_SECONDS_BEFORE_CHECK", 0, raising=False)


def test_a_connection_dropped_while_idle_is_replaced_before_use(app, every_connection_idled):
    dropped = _server_drops_every_pooled_connection()
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() not in dropped


def test_a_connection_dropped_moments_after_use_costs_at_most_one_statement(app):
    # An idle check does not look at a connection used this recently: its first statement fails and
    # the pool discards it. A check on every checkout does not fail at all. Either way the pool hands
    # out live connections from then on.
    _server_drops_every_pooled_connection()
    try:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except exc.DBAPIError as error:
        assert error.connection_invalidated
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1


def test_requests_work_after_the_server_dropped_the_pooled_connections(app, client, auth, tree, make_user,
                                                                      every_connection_idled):
    """The check before use must leave no transaction open: the learning page (which ran outside a
    transaction on PostgreSQL) answered 500 on the first request after its connection had idled."""
    member = make_user(tree["a1"], real_name="闲置连接党员")
    auth.login(member)
    _server_drops_every_pooled_connection()
    for _ in range(3):
        assert client.get("/courses/my").status_code == 200

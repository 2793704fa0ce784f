"""Pooled connections: one the database server dropped while it sat idle is replaced, not used."""
import pytest
from sqlalchemy import create_engine, exc, text
from sqlalchemy.pool import NullPool

from learning_app import fast_paths
from learning_app.extensions import db


def _drop_pooled_connection(app):
    """Check a connection out and back in, then have the server end it, as a restart would."""
    if db.engine.url.get_backend_name() == "sqlite":
        pytest.skip("a SQLite file cannot drop a connection")
    with db.engine.connect() as connection:
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    outside = create_engine(db.engine.url, poolclass=NullPool)
    with outside.begin() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    outside.dispose()
    return pid


def test_a_connection_dropped_while_idle_is_replaced_before_use(app, monkeypatch):
    monkeypatch.setattr(fast_paths, "IDLE_SECONDS_BEFORE_CHECK", 0)
    dropped = _drop_pooled_connection(app)
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() != dropped


def test_a_connection_in_use_moments_ago_is_not_checked(app, monkeypatch):
    # The other side of the trade: without the check a dropped connection fails its first statement
    # (and the pool then replaces it); this is what a connection used within the last seconds risks.
    monkeypatch.setattr(fast_paths, "IDLE_SECONDS_BEFORE_CHECK", 3600)
    _drop_pooled_connection(app)
    with pytest.raises(exc.DBAPIError):
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1


def test_a_view_outside_a_transaction_works_on_a_connection_checked_after_idling(app, client, auth, tree,
                                                                                 make_user, monkeypatch):
    """The idle check's SELECT must not leave a transaction open: the learning page (which runs in
    autocommit on PostgreSQL) answered 500 on the first request after its connection had idled."""
    monkeypatch.setattr(fast_paths, "IDLE_SECONDS_BEFORE_CHECK", 0)  # every checkout is checked
    member = make_user(tree["a1"], real_name="闲置连接党员")
    auth.login(member)
    for _ in range(3):
        assert client.get("/courses/my").status_code == 200

"""Fixtures: a fresh app and database per test, factory helpers for data, and query counting."""
import itertools
import os

from sqlalchemy import create_engine, make_url


def _give_each_worker_its_own_database():
    """`make test` runs the suite in two processes (pytest-xdist). On SQLite every test has its own
    in-memory database already; a PostgreSQL database is shared, and each test empties it, so each
    worker gets its own copy (test_gw0, test_gw1), created on first use. This runs before the
    app's config is imported, because config.py reads TEST_DATABASE_URL when it is imported."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not worker or not url.startswith("postgresql") or make_url(url).database.endswith(f"_{worker}"):
        return  # not a worker, not PostgreSQL, or done already (tests.conftest is imported twice)
    own = make_url(url).set(database=f"{make_url(url).database}_{worker}")
    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s",
                                                (own.database,)).scalar()
            if not exists:
                connection.exec_driver_sql(f'CREATE DATABASE "{own.database}"')
    finally:
        engine.dispose()
    os.environ["TEST_DATABASE_URL"] = own.render_as_string(hide_password=False)


_give_each_worker_its_own_database()

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, inspect, text

from learning_app import create_app
from learning_app.extensions import db as _db
from learning_app.models import MemberCategory, OrgKind, PositionLevel, Role
from learning_app.orgs.services import create_org
from learning_app.people.services import create_account, grant_role

PASSWORD = "Passw0rd!"


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (own `g`, own session), as in production,
    although the test itself holds an app context for its factories and assertions."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def pytest_configure(config):
    config.addinivalue_line("markers", "app_config(**overrides): configuration overrides for the app fixture")


ON_POSTGRESQL = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgresql_only") and not ON_POSTGRESQL:
        pytest.skip("PostgreSQL only: run with TEST_DATABASE_URL=postgresql+psycopg://...")


@pytest.fixture
def app(request, tmp_path):
    marker = request.node.get_closest_marker("app_config")
    overrides = dict(marker.kwargs) if marker else {}
    app = create_app("testing", CREDENTIALS_DIR=str(tmp_path / "credentials"), **overrides)
    app.test_client_class = FreshContextClient
    with app.app_context():
        shared = _db.engine.url.get_backend_name() != "sqlite"
        url = str(_db.engine.url)
        # A real database is rebuilt once per test run (its schema may be from older code), and again
        # whenever a test (the migrations test) has dropped it; between tests it is only emptied.
        if not shared or url not in _REBUILT or not inspect(_db.engine).has_table("user_account"):
            if shared:
                _db.drop_all()
                _REBUILT.add(url)
            _db.create_all()
        try:
            yield app
        finally:
            _db.session.remove()
            if shared:
                _empty_tables()  # a real database keeps its schema: emptying it is much faster than DDL
            _db.engine.dispose()  # an in-memory SQLite database simply vanishes with its engine


_REBUILT: set[str] = set()


@pytest.fixture(autouse=True)
def no_app_context_left_pushed():
    """Before each test's own fixtures: no broader fixture has left an app context pushed. Such a context
    outlives its fixture's setup and becomes the app of every later `flask` command in the process
    (with_appcontext reuses a current app), whichever app the command was invoked for."""
    from flask import has_app_context
    assert not has_app_context(), "a session- or module-scoped fixture left an app context pushed"


def _empty_tables():
    names = ", ".join(f'"{table.name}"' for table in _db.metadata.sorted_tables)
    with _db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_counter = itertools.count(1)


@pytest.fixture
def make_org(app):
    """make_org(kind="branch", parent=None, name=None) -> Organization."""
    def factory(kind="branch", parent=None, name=None):
        kind = OrgKind(kind)
        org = create_org(None, name or f"{kind.value}-{next(_counter)}", kind, parent)
        _db.session.commit()
        return org
    return factory


@pytest.fixture
def tree(make_org):
    """committee > (general A > branches A1, A2), (general B > branch B1)."""
    committee = make_org("committee", name="党委")
    general_a = make_org("general_branch", committee, "第一党总支")
    general_b = make_org("general_branch", committee, "第二党总支")
    return {
        "committee": committee, "general_a": general_a, "general_b": general_b,
        "a1": make_org("branch", general_a, "甲一党支部"),
        "a2": make_org("branch", general_a, "甲二党支部"),
        "b1": make_org("branch", general_b, "乙一党支部"),
    }


@pytest.fixture
def make_user(app):
    """make_user(org=None, roles=(), supervises=None, **fields) -> User with password PASSWORD."""
    def factory(org=None, roles=(), supervises=None, login_id=None, **fields):
        fields.setdefault("category", MemberCategory.FULL)
        fields.setdefault("position", PositionLevel.MEMBER)
        user = create_account(None, login_id or f"u{next(_counter)}", fields.pop("real_name", "测试党员"),
                              password=PASSWORD, org_id=org.id if org else None, **fields)
        for role in roles:
            grant_role(None, user, Role(role))
        if supervises is not None:
            grant_role(None, user, Role.SUPERVISOR, supervises)
        _db.session.commit()
        return user
    return factory


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user_or_login, password=PASSWORD):
        login_id = getattr(user_or_login, "login_id", user_or_login)
        return self.client.post("/auth/login", data={"login_id": login_id, "password": password})

    def logout(self):
        return self.client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def count_queries(app):
    """with count_queries() as counted: ...; counted["n"] is the number of SQL statements."""
    from contextlib import contextmanager

    @contextmanager
    def counter():
        counted = {"n": 0}

        def before(conn, cursor, statement, parameters, context, executemany):
            counted["n"] += 1
        engine = _db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counted
        finally:
            event.remove(engine, "before_cursor_execute", before)
    return counter

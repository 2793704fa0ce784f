"""Fixtures: a fresh app and database per test, factory helpers for data, and query counting.

Data that many tests only read can be built once per module into a database of its own
(`module_databases`, `read_only`): see tests/analytics/conftest.py.
"""
import itertools
import os

from sqlalchemy import create_engine, make_url


def _create_database_if_missing(url):
    """Create the PostgreSQL database `url` names, unless it exists."""
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s",
                                                (url.database,)).scalar()
            if not exists:
                connection.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
    finally:
        engine.dispose()


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
    _create_database_if_missing(own)
    os.environ["TEST_DATABASE_URL"] = own.render_as_string(hide_password=False)


_give_each_worker_its_own_database()

import io
import sqlite3
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, inspect, text

from courses.models import FileKind, LessonKind
from courses.services import authoring, review
from courses.uploads import save_upload
from learning_app import create_app
from learning_app.extensions import db as _db
from learning_app.models import MemberCategory, OrgKind, PositionLevel, Role
from learning_app.orgs.services import create_org
from learning_app.people.services import create_account, grant_role
from tests.courses.helpers import DEFAULT_FILES, fixture_bytes
from tests.tracker_guard import TrackerGuard

PASSWORD = "Passw0rd!"


def _reuse_compiled_url_builders():
    """Each test creates its own app, and so compiles the URL builder of each of its ~115 routes again:
    Werkzeug writes a small function per rule (an AST, compiled), about 30 ms of CPU per app, two thirds
    of create_app, or over a minute across the suite. The function depends only on the rule, its
    defaults and the arguments below, so one compiled for an earlier app is reused (Werkzeug binds it
    to each rule). Should Werkzeug rename the method, this does nothing and the suite is just slower.
    """
    from werkzeug.routing.rules import Rule
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "reused", False):
        return
    compiled = {}

    def reused(self, append_unknown=True):
        key = (self.rule, self.subdomain, self.host, tuple(self._trace),
               repr(sorted((self.defaults or {}).items())), append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(self, append_unknown)
        return compiled[key]
    reused.reused = True
    Rule._compile_builder = reused


_reuse_compiled_url_builders()


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (own `g`, own session), as in production,
    although the test itself holds an app context for its factories and assertions."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def pytest_configure(config):
    config.addinivalue_line("markers", "app_config(**overrides): configuration overrides for the app fixture")
    config.addinivalue_line("markers", "writes_behind_tracker: the test writes watched tables behind the change "
                                       "tracker on purpose (tests/tracker_guard.py is not applied)")


# `make test` hands whole files to its two processes (xdist's loadgroup: a file is one group), so that a
# file's module fixtures (the browser's live server, an analytics dataset) are built once. These files
# build nothing per module (their world is built once per process), and test_access_matrix.py alone
# takes about a quarter of the suite's test time, so their tests are spread over both processes.
SPREAD_OVER_WORKERS = {"test_access_matrix.py", "test_hostile_text.py", "test_unchanged_forms.py", "test_words.py"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name not in SPREAD_OVER_WORKERS:
            item.add_marker(pytest.mark.xdist_group(item.path.relative_to(config.rootpath).as_posix()))


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
        _prepare_database()
        try:
            yield app
        finally:
            _release_database()


def _prepare_database():
    """An empty database with the current schema for the app in context."""
    url = str(_db.engine.url)
    if _db.engine.url.get_backend_name() == "sqlite":
        _create_sqlite_schema()
    # A real database is rebuilt once per test run (its schema may be from older code), and again
    # whenever a test (the migrations test) has dropped it; between tests it is only emptied.
    elif url not in _REBUILT or not inspect(_db.engine).has_table("user_account"):
        _db.drop_all()
        _REBUILT.add(url)
        _db.create_all()


def _release_database():
    _db.session.remove()
    if _db.engine.url.get_backend_name() != "sqlite":
        _empty_tables()  # a real database keeps its schema: emptying it is much faster than DDL
    _db.engine.dispose()  # an in-memory SQLite database simply vanishes with its engine


_REBUILT: set[str] = set()
_SQLITE_TEMPLATE: list[sqlite3.Connection] = []


def _create_sqlite_schema():
    """Give the app's new SQLite database the schema: copied from an in-memory template made once per
    process (sqlite3's backup, about 1 ms) rather than created table by table (create_all, about 30 ms
    of CPU, once for each of the suite's thousands of tests)."""
    if _db.engine.url.database not in (None, "", ":memory:"):
        _db.create_all()  # a file database chosen by a test: nothing to gain
        return
    with _db.engine.connect() as connection:  # in-memory SQLite: the database's one (static) connection
        own = connection.connection.dbapi_connection
        if _SQLITE_TEMPLATE:
            _SQLITE_TEMPLATE[0].backup(own)
            return
    _db.create_all()
    template = sqlite3.connect(":memory:", check_same_thread=False)
    own.backup(template)
    _SQLITE_TEMPLATE.append(template)


@pytest.fixture(scope="module")
def module_databases(tmp_path_factory):
    """module_databases(name) -> an app with a database of its own, kept for the rest of the module.

    For data built once and then only read by the module's tests (through `read_only`), where building
    it for each test would cost seconds. SQLite: a new in-memory database. PostgreSQL: a database named
    after the worker's own and `name`, since the per-test `app` empties the worker's own after each test.
    Tests that write keep using `app`, and so a fresh database.
    """
    apps = {}

    def get(name):
        if name not in apps:
            overrides = {"SQLALCHEMY_DATABASE_URI": "sqlite://"}
            if ON_POSTGRESQL:
                url = make_url(os.environ["TEST_DATABASE_URL"])
                own = url.set(database=f"{url.database}_{name}")
                _create_database_if_missing(own)
                overrides["SQLALCHEMY_DATABASE_URI"] = own.render_as_string(hide_password=False)
            app = create_app("testing", CREDENTIALS_DIR=str(tmp_path_factory.mktemp("credentials")), **overrides)
            app.test_client_class = FreshContextClient
            with app.app_context():
                _prepare_database()
            apps[name] = app
        return apps[name]

    yield get
    for app in apps.values():
        with app.app_context():
            _release_database()


@contextmanager
def read_only(app):
    """Run in `app`'s context with a session that refuses to write: a test cannot change what the
    module's other tests read from a database built once (`module_databases`)."""
    with app.app_context():
        event.listen(_db.session(), "before_flush", _refuse_writes)
        try:
            yield app
        finally:
            _db.session.remove()


def _refuse_writes(session, flush_context, instances):
    if session.new or session.dirty or session.deleted:
        raise AssertionError("this database is shared by the module's tests: write in a test using `app`")


@pytest.fixture(autouse=True)
def writes_seen_by_change_tracker(request):
    """Every test fails if a write to a table the change tracker watches bypasses it (raw SQL, Core
    statements on the connection): dashboard counts and kept pages would go stale (tests/tracker_guard.py)."""
    if request.node.get_closest_marker("writes_behind_tracker"):
        yield
        return
    with TrackerGuard() as guard:
        yield
    assert not guard.bypasses, f"writes that bypassed the change tracker: {guard.bypasses}"


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


# --- authors, reviewers and courses (shared by the courses, quizzes and analytics tests) ------------------

@pytest.fixture
def author(make_user):
    return make_user(roles=["author"], real_name="作者甲")


@pytest.fixture
def reviewer(make_user):
    return make_user(roles=["reviewer"], real_name="审核员乙")


@pytest.fixture
def upload_dir(app, tmp_path):
    """Uploads go under the test's own temporary directory."""
    path = tmp_path / "uploads"
    app.config["UPLOAD_DIR"] = str(path)
    return path


@pytest.fixture
def store_file(upload_dir):
    """store_file(course, uploader, name, data=None, allowed=None) -> StoredFile, saved and recorded."""
    def factory(course, uploader, name, data=None, allowed=None):
        if data is None:
            data = fixture_bytes(name)
        saved = save_upload(io.BytesIO(data), name, set(allowed or FileKind))
        stored = authoring.record_file(course, uploader, saved, name)
        _db.session.commit()
        return stored
    return factory


@pytest.fixture
def publish(reviewer):
    """publish(course, by=None): submit as the author and approve as a reviewer."""
    def do(course, by=None):
        review.submit_for_review(course, course.author)
        review.approve(course, by or reviewer)
        _db.session.commit()
        return course
    return do


@pytest.fixture
def make_course(store_file, publish):
    """make_course(author, lessons=("article",), title=..., publish=True, chapters=1, **fields) -> Course.

    `lessons` is a number of article lessons, or a list whose items are a kind ("video") or a dict with
    kind, title, body, file (a fixture name or None for none), duration and required. Lessons are spread
    round-robin over the chapters.
    """
    publisher = publish

    def factory(author, lessons=("article",), title="党章学习", publish=True, chapters=1, reviewer=None,
                **fields):
        if isinstance(lessons, int):
            lessons = ("article",) * lessons
        course = authoring.create_course(author, title, **fields)
        for index in range(chapters):
            authoring.add_chapter(course, author, f"第{index + 1}章")
        _db.session.commit()
        for index, spec in enumerate(lessons):
            spec = {"kind": spec} if isinstance(spec, str) else dict(spec)
            kind = LessonKind(spec["kind"])
            lesson = authoring.add_lesson(
                course, author, index % chapters, spec.get("title", f"第{index + 1}课"), kind,
                body=spec.get("body", "学习内容" if kind == LessonKind.ARTICLE else ""),
                required=spec.get("required", True))
            key = lesson.key
            file_name = spec.get("file", DEFAULT_FILES.get(kind))
            if file_name:
                stored = store_file(course, author, file_name)
                authoring.attach_file(course, author, key, stored)
            if spec.get("duration"):
                authoring.update_lesson(course, author, key, duration_seconds=spec["duration"])
            _db.session.commit()
        if publish:
            publisher(course, reviewer)
        return course
    return factory


@pytest.fixture
def count_queries(app):
    """with count_queries() as counted: ...; counted["n"] is the number of SQL statements."""
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

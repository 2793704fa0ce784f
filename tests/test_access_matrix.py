"""Access-control matrix: every route × every kind of visitor, over a world with two branches' objects.

The table lives in tests/access_matrix_data.py (see its docstring for the outcomes). Here:

- the world: for branch A and branch B alike, a published course restricted to the branch (article
  lesson with an uploaded PNG), a quiz limited to the general branch with a published question and the
  member's attempt, a base with a photo and a session inviting the branch, a site with a notice awaiting
  review and a collective study, the author's question bank; built once through the services and copied
  into each test's fresh database;
- coverage: a route added to the app without a row fails `test_every_route_has_a_matrix_entry`, a row
  left behind for a removed route fails `test_every_matrix_entry_is_a_route`, and an endpoint's second
  URL rule without an address fails `test_every_url_rule_is_addressed_by_its_row`;
- `test_access`: each (endpoint, visitor) gets its expected outcome, and never a 5xx;
- `test_other_branch_ids`: member_b and supervisor_b addressing branch A's objects are refused and see
  none of A's data, while the same routes with B's ids serve them as A's visitors are served on A's;
- `test_other_branch_pages_show_nothing_of_branch_a`: the lists B's visitors reach show nothing of A's.

Security bugs found are not written into the table: the correct outcome is, and the case is marked
xfail(strict=True) with the reason (Row.bugs), so it shows as "x" until fixed and fails once fixed
until the mark is removed.
"""
import io
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlalchemy import update

from courses.bases import services as base_services
from courses.models import Course, FileKind, LessonKind
from courses.services import assignment as assignment_services
from courses.services import authoring, review
from courses.uploads import save_upload
from learning_app import create_app
from learning_app.extensions import db
from learning_app.jobs import JobRun, JobState
from learning_app.messages import services as message_services
from learning_app.messages.models import Channel, Delivery, DeliveryStatus, Message, MessageKind
from learning_app.models import MemberCategory, OrgKind, PositionLevel, Role, RoleGrant, utcnow
from learning_app.orgs.services import create_org
from learning_app.people.services import create_account, grant_role
from quizzes.importers import ParsedQuestion, make_options
from quizzes.services import attempts as attempt_services
from quizzes.services import banks, quizzes
from tests.access_matrix_data import ACCESS_MATRIX, LOGIN, OK, REDIRECT, VISITORS
from tests.conftest import PASSWORD

FIXTURES = Path(__file__).resolve().parent / "fixtures"
IMAGE = FIXTURES / "image.png"


# --- the world ------------------------------------------------------------------------------------

def _store_png(course, uploader):
    saved = save_upload(io.BytesIO(IMAGE.read_bytes()), "image.png", {FileKind.IMAGE})
    return authoring.record_file(course, uploader, saved, "image.png")


def _build_side(side, general, branch, member, supervisor, author, reviewer):
    """One branch's objects, built through the services as the app builds them."""
    marker = f"{side}侧"
    # A published course: an article with an uploaded picture, meant for activists only (so the catalog
    # does not offer it to full members) and assigned to the general branch, so only its members reach it.
    course = authoring.create_course(author, f"{marker}课程", summary=f"{marker}课程简介",
                                     audience_categories=",activist,")
    authoring.add_chapter(course, author, "第一章")
    lesson = authoring.add_lesson(course, author, 0, f"{marker}第一课", LessonKind.ARTICLE, body=f"{marker}学习内容")
    stored = _store_png(course, author)
    authoring.attach_file(course, author, lesson.key, stored, caption=f"{marker}图片")
    db.session.commit()
    review.submit_for_review(course, author)
    review.approve(course, reviewer)
    assignment = assignment_services.assign_course(supervisor, course, general)
    db.session.commit()

    # A question bank of the author's with one published question; a quiz limited to the general branch.
    bank = banks.create_bank(author, f"{marker}题库")
    question = banks.add_question(author, bank, ParsedQuestion(
        line=1, type="single", stem=f"{marker}题干", options=make_options(["选项一", "选项二", "选项三"]),
        answer="A"))
    banks.submit_questions(author, [question])
    banks.approve_question(reviewer, question)
    quiz = quizzes.create_quiz(author, f"{marker}测验", org_id=general.id, shuffle_questions=False,
                               shuffle_options=False)
    item = quizzes.add_fixed_question(author, quiz, question)
    quizzes.set_published(author, quiz, True)
    db.session.commit()
    attempt = attempt_services.start_or_resume(member, quiz)
    attempt_services.save_answer(member, attempt, 0, "A")
    attempt_services.submit(member, attempt)
    db.session.commit()

    # A base registered by the general branch, with a photo and a session inviting the branch.
    base = base_services.register_base(supervisor, general, name=f"{marker}教育基地", address=f"{marker}地址")
    saved = save_upload(io.BytesIO(IMAGE.read_bytes()), "photo.png", {FileKind.IMAGE})
    base_services.add_base_photo(supervisor, base, saved, f"{marker}基地照片")
    now = utcnow()
    session = base_services.schedule_session(supervisor, base, f"{marker}现场学习", now - timedelta(minutes=10),
                                             now + timedelta(hours=2), 2, 50, [general])
    # The general branch's site, a notice awaiting review, a collective study attended by the member.
    site = base_services.create_site(supervisor, general, f"{marker}学习站", f"{marker}欢迎")
    notice = base_services.write_notice(supervisor, site, f"{marker}通知", f"{marker}通知正文")
    base_services.submit_notice(supervisor, notice)
    study = base_services.record_collective_study(supervisor, site, f"{marker}集中学习", now - timedelta(days=1),
                                                  60, 1, [member.id])
    # A finished background job the supervisor started: theirs and the admins' to see.
    job = JobRun(kind="rebuild_counts", started_by_id=supervisor.id, state=JobState.DONE, result={"repaired": 0})
    db.session.add(job)
    # A message to the member, linking to the site, whose email failed (the admin's delivery log lists it).
    message_services.notify([member.id], MessageKind.NOTICE, "matrix:notice",
                            lambda: (f"{marker}消息", f"{marker}消息正文"), f"/sites/{site.id}")
    message = db.session.scalar(db.select(Message).where(Message.recipient_id == member.id))
    db.session.add(Delivery(message_id=message.id, recipient_id=member.id, channel=Channel.EMAIL,
                            status=DeliveryStatus.FAILED, attempts=5, last_error=f"{marker}错误"))
    db.session.commit()

    grant = db.session.scalar(db.select(RoleGrant).where(RoleGrant.user_id == supervisor.id,
                                                         RoleGrant.role == Role.SUPERVISOR))
    return {
        "general": general.id, "branch": branch.id, "member": member.id, "supervisor": supervisor.id,
        "grant": grant.id, "course": course.id, "lesson_key": lesson.key, "file": stored.id,
        "assignment": assignment.id, "bank": bank.id, "question": question.id, "quiz": quiz.id, "item": item.id,
        "attempt": attempt.id, "answer": attempt.answers[0].id, "base": base.id, "photo": base.photos[0].id,
        "session": session.id, "site": site.id, "notice": notice.id, "study": study.id, "job": job.id,
        "message": message.id,
        # Text only branch A's (or B's) insiders may see: it must never appear on the other side's pages.
        # (The bank's question is not among them: banks are the author's, not a branch's, and daily practice
        # draws from every bank whose audience includes the member.)
        "private_text": [f"{marker}课程", f"{marker}第一课", f"{marker}学习内容", f"{marker}测验", f"{marker}教育基地",
                         f"{marker}地址", f"{marker}现场学习", f"{marker}学习站",
                         f"{marker}通知", f"{marker}集中学习", f"{marker}消息",
                         "甲方党员" if side == "A" else "乙方党员"],
    }


def build_world(upload_dir, text=""):
    """The organisation tree, the visitors and both branches' objects; returns ids and login ids only.

    `text` is put into every name and text field (the hostile-input corpus passes payloads)."""
    committee = create_org(None, f"{text}党委", OrgKind.COMMITTEE, None)
    general_a = create_org(None, f"{text}第一党总支", OrgKind.GENERAL_BRANCH, committee)
    general_b = create_org(None, f"{text}第二党总支", OrgKind.GENERAL_BRANCH, committee)
    a1 = create_org(None, f"{text}甲一党支部", OrgKind.BRANCH, general_a)
    a2 = create_org(None, f"{text}甲二党支部", OrgKind.BRANCH, general_a)
    b1 = create_org(None, f"{text}乙一党支部", OrgKind.BRANCH, general_b)

    def user(kind, org, real_name, roles=(), supervises=None):
        account = create_account(None, f"matrix_{kind}", text + real_name, password=PASSWORD, org_id=org.id,
                                 category=MemberCategory.FULL, position=PositionLevel.MEMBER)
        for role in roles:
            grant_role(None, account, Role(role))
        if supervises is not None:
            grant_role(None, account, Role.SUPERVISOR, supervises)
        return account

    users = {
        "member_a": user("member_a", a1, "甲方党员"),
        "member_b": user("member_b", b1, "乙方党员"),
        "author": user("author", a1, "课程作者", roles=["author"]),
        "reviewer": user("reviewer", a1, "审核员", roles=["reviewer"]),
        "supervisor_a": user("supervisor_a", a2, "甲总支督学", supervises=general_a),
        "supervisor_b": user("supervisor_b", b1, "乙总支督学", supervises=general_b),
        "admin": user("admin", a1, "管理员", roles=["admin"]),
    }
    db.session.commit()
    a = _build_side(text + "A", general_a, a1, users["member_a"],
                     users["supervisor_a"], users["author"], users["reviewer"])
    b = _build_side(text + "B", general_b, b1, users["member_b"],
                     users["supervisor_b"], users["author"], users["reviewer"])
    return {"A": a, "B": b, "users": {kind: account.login_id for kind, account in users.items()},
            "upload_dir": str(upload_dir)}


# Who may reach what does not depend on the database engine, and the rest of the suite runs on
# PostgreSQL too: the thousand matrix cases use in-memory SQLite copies of one world.
pytestmark = pytest.mark.app_config(SQLALCHEMY_DATABASE_URI="sqlite://")


def _in_memory_sqlite(engine) -> bool:
    return engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:")


@pytest.fixture(scope="session")
def world_template(tmp_path_factory):
    """The world built once, in a database of its own; each test gets a copy (building it takes about a
    second, and the matrix has over a thousand cases). None when tests run on a real database."""
    upload_dir = tmp_path_factory.mktemp("matrix-uploads")
    app = create_app("testing", CREDENTIALS_DIR=str(tmp_path_factory.mktemp("matrix-credentials")),
                     UPLOAD_DIR=str(upload_dir), SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.app_context():
        db.create_all()
        ids = build_world(upload_dir)
        db.session.remove()
        raw = db.engine.raw_connection()
    # Not yielded inside the app context: a context left pushed for the session is the one every later
    # `flask` command of the same process runs in (with_appcontext reuses a current app), so a browser
    # test's seed-demo filled this world's database instead of its own (tests/conftest.py guards this).
    try:
        yield ids, raw.driver_connection
    finally:
        raw.close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def world(app, world_template, tmp_path):
    """A fresh copy of the world in this test's database (the requests may change it)."""
    if world_template is None or not _in_memory_sqlite(db.engine):
        app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
        ids = build_world(tmp_path / "uploads")
    else:
        ids, source = world_template
        app.config["UPLOAD_DIR"] = ids["upload_dir"]
        db.session.remove()
        raw = db.engine.raw_connection()
        try:
            source.backup(raw.driver_connection)
        finally:
            raw.close()
    yield ids
    # course <-> course_revision point at each other: clear the pointers so a real database's drop_all runs.
    db.session.rollback()
    db.session.execute(update(Course).values(published_revision_id=None, working_revision_id=None))
    db.session.commit()


# --- requests and outcomes -----------------------------------------------------------------------------

def build_url(app, row, w, side="A"):
    with app.test_request_context():
        return row.url(w, side)


def log_in(client, w, visitor):
    if visitor != "anonymous":
        response = client.post("/auth/login", data={"login_id": w["users"][visitor], "password": PASSWORD})
        assert response.status_code == 302 and urlparse(response.location).path == "/", f"{visitor} cannot log in"


def request(client, row, url):
    return client.get(url) if row.method == "GET" else client.post(url, data={})


def visit(app, client, w, visitor, row, side="A"):
    log_in(client, w, visitor)
    url = build_url(app, row, w, side)
    return url, request(client, row, url)


def to_login(response) -> bool:
    return response.status_code == 302 and urlparse(response.location).path == "/auth/login"


def describe(response) -> str:
    where = f" -> {response.location}" if 300 <= response.status_code < 400 else ""
    return f"{response.status_code}{where}"


def matches(response, expected) -> bool:
    status = response.status_code
    if expected == LOGIN:
        return to_login(response)
    if expected == REDIRECT:
        return 300 <= status < 400 and not to_login(response)
    if expected == OK:
        return status < 500 and status not in (403, 404) and not to_login(response)
    return status == expected


def route_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}


def route_methods(app, endpoint) -> set[str]:
    methods = set()
    for rule in app.url_map.iter_rules(endpoint=endpoint):
        methods |= rule.methods - {"HEAD", "OPTIONS"}
    return methods


# --- the table covers the app, and only the app ----------------------------------------------------------

def test_every_route_has_a_matrix_entry(app):
    missing = sorted(route_endpoints(app) - set(ACCESS_MATRIX))
    assert not missing, f"routes without a row in tests/access_matrix_data.py: {missing}"


def test_every_matrix_entry_is_a_route(app):
    stale = sorted(set(ACCESS_MATRIX) - route_endpoints(app))
    assert not stale, f"rows in tests/access_matrix_data.py for endpoints that do not exist: {stale}"


def test_a_new_route_is_noticed(app):
    """The coverage check itself: a route registered without a row shows up as missing."""
    app.add_url_rule("/matrix-probe", "matrix_probe", lambda: "probe")
    assert "matrix_probe" in route_endpoints(app) - set(ACCESS_MATRIX)


def test_every_url_rule_is_addressed_by_its_row(app, world):
    """Each row's addresses reach its own endpoint, and together every URL rule of it (an endpoint with
    two rules, such as /courses/hours and /courses/hours/<year>, needs a variant for the second)."""
    adapter = app.url_map.bind("localhost")
    problems = []
    for endpoint, row in ACCESS_MATRIX.items():
        rules = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint}
        if not rules:
            continue  # reported by test_every_matrix_entry_is_a_route
        reached = set()
        with app.test_request_context():
            urls = [builder(world, "A") for builder in [row.url, *row.variants]]
        for url in urls:
            rule, _args = adapter.match(urlparse(url).path, method=row.method, return_rule=True)
            if rule.endpoint != endpoint:
                problems.append(f"{endpoint}: {url} reaches {rule.endpoint}")
            reached.add(rule.rule)
        if rules - reached:
            problems.append(f"{endpoint}: no address for {sorted(rules - reached)}")
    assert not problems, problems


def test_every_row_is_complete_and_uses_the_right_method(app):
    problems = []
    for endpoint, row in ACCESS_MATRIX.items():
        if endpoint not in route_endpoints(app):
            continue
        methods = route_methods(app, endpoint)
        if row.method not in methods:
            problems.append(f"{endpoint}: {row.method} not in {sorted(methods)}")
        if row.method == "POST" and "GET" in methods:
            problems.append(f"{endpoint}: a GET route is checked with POST")
        for visitor in VISITORS:
            if row.outcome(visitor) is None:
                problems.append(f"{endpoint}: no outcome for {visitor}")
        if row.method == "GET" and OK in row.expected.values():
            problems.append(f"{endpoint}: 'ok' is for POST routes; give GET routes an exact outcome")
    assert not problems, problems


# --- the matrix ------------------------------------------------------------------------------------------

def _cases():
    for endpoint, row in ACCESS_MATRIX.items():
        for visitor in VISITORS:
            marks = [pytest.mark.xfail(strict=True, reason=f"SECURITY: {row.bugs[visitor]}")] \
                if visitor in row.bugs else []
            yield pytest.param(endpoint, visitor, id=f"{endpoint}-{visitor}", marks=marks)


@pytest.mark.parametrize("endpoint, visitor", list(_cases()))
def test_access(app, client, world, endpoint, visitor):
    row = ACCESS_MATRIX[endpoint]
    expected = row.outcome(visitor)
    log_in(client, world, visitor)
    with app.test_request_context():
        urls = [builder(world, "A") for builder in [row.url, *row.variants]]
    for url in urls:
        response = request(client, row, url)
        assert response.status_code < 500, f"{row.method} {url} as {visitor}: {describe(response)}"
        assert matches(response, expected), \
            f"{row.method} {url} as {visitor}: expected {expected}, got {describe(response)}"


# --- the other branch's ids --------------------------------------------------------------------------

def _cross_cases():
    for endpoint, row in ACCESS_MATRIX.items():
        if not row.scoped:
            continue
        for visitor, mirror in (("member_b", "member_a"), ("supervisor_b", "supervisor_a")):
            marks = [pytest.mark.xfail(strict=True, reason=f"SECURITY: {row.bugs[visitor]}")] \
                if visitor in row.bugs else []
            yield pytest.param(endpoint, visitor, mirror, id=f"{endpoint}-{visitor}", marks=marks)


# Published courses are offered to every supervisor for assignment, featuring and collective study,
# whatever their audience: their titles are not branch A's secret for supervisor_b.
SHARED_WITH_SUPERVISORS = {"A侧课程"}


def leaks(response, w, visitor):
    """Branch A's private text found in the response (B's visitors must never see it)."""
    if not response.mimetype.startswith(("text/", "application/json")):
        return []
    body = response.get_data(as_text=True)
    allowed = SHARED_WITH_SUPERVISORS if visitor.startswith("supervisor") else set()
    return [text for text in w["A"]["private_text"] if text in body and text not in allowed]


@pytest.mark.parametrize("endpoint, visitor, mirror", list(_cross_cases()))
def test_other_branch_ids(app, world, endpoint, visitor, mirror):
    """B's member and supervisor addressing A's objects are refused (403/404), never shown A's data;
    the same route with B's own ids answers them as it answers A's member and supervisor on A's ids,
    so the refusal is about the branch, not a broken route."""
    row = ACCESS_MATRIX[endpoint]
    url, response = visit(app, app.test_client(), world, visitor, row, side="A")
    leaked = leaks(response, world, visitor)
    if visitor in row.cross_branch_allowed:
        assert response.status_code == 200, f"{url} as {visitor}: {describe(response)}"
    else:
        assert response.status_code in (403, 404), \
            f"{row.method} {url} as {visitor} (branch B) on branch A's object: {describe(response)}, leaks {leaked}"
    assert not leaked, f"{url} as {visitor} shows branch A's {leaked}"

    own_url, own = visit(app, app.test_client(), world, visitor, row, side="B")
    assert own.status_code < 500, f"{own_url} as {visitor}: {describe(own)}"
    assert matches(own, row.outcome(mirror)), \
        f"{row.method} {own_url} as {visitor} on B's own object: expected {row.outcome(mirror)} " \
        f"(as {mirror} on A's), got {describe(own)}"
    assert not leaks(own, world, visitor), f"{own_url} as {visitor} shows branch A's {leaks(own, world, visitor)}"


def _page_cases():
    for endpoint, row in ACCESS_MATRIX.items():
        if row.scoped or row.method != "GET":
            continue
        for visitor in ("member_b", "supervisor_b"):
            if row.outcome(visitor) == 200:
                yield pytest.param(endpoint, visitor, id=f"{endpoint}-{visitor}")


@pytest.mark.parametrize("endpoint, visitor", list(_page_cases()))
def test_other_branch_pages_show_nothing_of_branch_a(app, client, world, endpoint, visitor):
    """The lists and home pages B's visitors reach (catalog, quizzes, sessions, sites, members...)
    show nothing of branch A's: not its course, quiz, base, session, site, notice, study or member."""
    row = ACCESS_MATRIX[endpoint]
    url, response = visit(app, client, world, visitor, row)
    assert response.status_code == 200, f"{url} as {visitor}: {describe(response)}"
    assert not leaks(response, world, visitor), f"{url} as {visitor} shows branch A's {leaks(response, world, visitor)}"

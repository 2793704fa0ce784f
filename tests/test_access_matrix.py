"""Access-control matrix: every route × every kind of visitor, over a world with two branches' objects.

The table lives in tests/access_matrix_data.py. A route added to the app without a row there fails
`test_every_route_has_a_matrix_entry`; a row left behind for a removed route fails
`test_every_matrix_entry_is_a_route`.
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
from learning_app.extensions import db
from learning_app.models import Role, RoleGrant, utcnow
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
    db.session.commit()

    grant = db.session.scalar(db.select(RoleGrant).where(RoleGrant.user_id == supervisor.id,
                                                         RoleGrant.role == Role.SUPERVISOR))
    return {
        "general": general.id, "branch": branch.id, "member": member.id, "supervisor": supervisor.id,
        "grant": grant.id, "course": course.id, "lesson_key": lesson.key, "file": stored.id,
        "assignment": assignment.id, "bank": bank.id, "question": question.id, "quiz": quiz.id, "item": item.id,
        "attempt": attempt.id, "answer": attempt.answers[0].id, "base": base.id, "photo": base.photos[0].id,
        "session": session.id, "site": site.id, "notice": notice.id, "study": study.id,
        # Text only branch A's (or B's) insiders may see: it must never appear on the other side's pages.
        "private_text": [f"{marker}课程", f"{marker}第一课", f"{marker}学习内容", f"{marker}测验", f"{marker}题干",
                         f"{marker}教育基地", f"{marker}地址", f"{marker}现场学习", f"{marker}学习站",
                         f"{marker}通知", f"{marker}集中学习", "甲方党员" if side == "A" else "乙方党员"],
    }


@pytest.fixture(autouse=True)
def _unlink_revisions_before_drop(app):
    """course <-> course_revision point at each other: clear the pointers so a real database's drop_all runs."""
    yield
    db.session.rollback()
    db.session.execute(update(Course).values(published_revision_id=None, working_revision_id=None))
    db.session.commit()


@pytest.fixture
def world(app, tree, make_user, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    users = {
        "member_a": make_user(tree["a1"], real_name="甲方党员"),
        "member_b": make_user(tree["b1"], real_name="乙方党员"),
        "author": make_user(tree["a1"], roles=["author"], real_name="课程作者"),
        "reviewer": make_user(tree["a1"], roles=["reviewer"], real_name="审核员"),
        "supervisor_a": make_user(tree["a2"], supervises=tree["general_a"], real_name="甲总支督学"),
        "supervisor_b": make_user(tree["b1"], supervises=tree["general_b"], real_name="乙总支督学"),
        "admin": make_user(tree["a1"], roles=["admin"], real_name="管理员"),
    }
    a = _build_side("A", tree["general_a"], tree["a1"], users["member_a"], users["supervisor_a"],
                    users["author"], users["reviewer"])
    b = _build_side("B", tree["general_b"], tree["b1"], users["member_b"], users["supervisor_b"],
                    users["author"], users["reviewer"])
    return {"A": a, "B": b, "users": {kind: user.login_id for kind, user in users.items()}}


# --- requests and outcomes -----------------------------------------------------------------------------

def build_url(app, row, w, side="A"):
    with app.test_request_context():
        return row.url(w, side)


def visit(app, client, w, visitor, row, side="A"):
    if visitor != "anonymous":
        response = client.post("/auth/login", data={"login_id": w["users"][visitor], "password": PASSWORD})
        assert response.status_code == 302 and urlparse(response.location).path == "/", f"{visitor} cannot log in"
    url = build_url(app, row, w, side)
    if row.method == "GET":
        return url, client.get(url)
    return url, client.post(url, data={})


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
    assert route_endpoints(app) - set(ACCESS_MATRIX) == {"matrix_probe"}


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
    url, response = visit(app, client, world, visitor, row)
    assert response.status_code < 500, f"{row.method} {url} as {visitor}: {describe(response)}"
    expected = row.outcome(visitor)
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


@pytest.mark.parametrize("endpoint, visitor, mirror", list(_cross_cases()))
def test_other_branch_ids(app, world, endpoint, visitor, mirror):
    """B's member and supervisor addressing A's objects are refused (403/404), never shown A's data;
    the same route with B's own ids answers them as it answers A's member and supervisor on A's ids,
    so the refusal is about the branch, not a broken route."""
    row = ACCESS_MATRIX[endpoint]
    url, response = visit(app, app.test_client(), world, visitor, row, side="A")
    body = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/json")) else ""
    leaked = [text for text in world["A"]["private_text"] if text in body]
    if visitor in row.cross_branch_allowed:
        assert response.status_code == 200, f"{url} as {visitor}: {describe(response)}"
        course_title = f"A侧课程"  # the course itself is shown by design; nothing else of branch A's
        assert [text for text in leaked if text != course_title] == [], f"{url} as {visitor} shows {leaked}"
    else:
        assert response.status_code in (403, 404), \
            f"{row.method} {url} as {visitor} (branch B) on branch A's object: {describe(response)}, leaks {leaked}"
        assert not leaked, f"{url} as {visitor} shows {leaked}"

    own_url, own = visit(app, app.test_client(), world, visitor, row, side="B")
    assert own.status_code < 500, f"{own_url} as {visitor}: {describe(own)}"
    assert matches(own, row.outcome(mirror)), \
        f"{row.method} {own_url} as {visitor} on B's own object: expected {row.outcome(mirror)} " \
        f"(as {mirror} on A's), got {describe(own)}"

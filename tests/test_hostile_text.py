"""Hostile text in every name and text field comes out inert on every page the matrix knows.

The access matrix's world is rebuilt with an XSS payload inside every organisation name, person's
name, course, lesson, Markdown body, question, quiz, base, session, site, notice and study; then every
GET route is opened by every signed-in visitor kind and no response may carry the payload as markup.
"""
import pytest

from learning_app.extensions import db
from tests.access_matrix_data import ACCESS_MATRIX
from tests.conftest import PASSWORD
from tests.test_access_matrix import build_world

# Control characters cannot come in through a request (learning_app.input_guard refuses them), but an
# imported file or the command line can store them: every page and export must still work. (Not NUL:
# PostgreSQL refuses it in text, so nothing can store it there.)
CONTROL = "\x01\x08\x0b\x0c\x1b[31m\x1f\x7f"
PAYLOADS = ['<script>alert("x1")</script>', '"><img src=x onerror=alert("x2")>', "'><svg onload=alert(\"x3\")>",
            f'{CONTROL}<script>alert("x1")</script>{CONTROL}']
LIVE_MARKUP = ['<script>alert("x1")', '<img src=x onerror', "<svg onload"]
VISITORS = ("admin", "member_a", "supervisor_a", "author", "reviewer")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_inert_on_every_page(app, tmp_path, payload):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    world = build_world(tmp_path / "uploads", text=payload)
    db.session.commit()
    failures = []
    for visitor in VISITORS:
        client = app.test_client()
        client.post("/auth/login", data={"login_id": world["users"][visitor], "password": PASSWORD})
        for endpoint, row in ACCESS_MATRIX.items():
            if row.method != "GET" or endpoint in {"auth.logout"}:
                continue
            with app.test_request_context():
                url = row.url(world, "A")
            response = client.get(url)
            assert response.status_code < 500, (endpoint, visitor)
            # CSV and JSON are data (attachments or fetch results, served with nosniff), not markup.
            if response.mimetype != "text/html":
                continue
            text = response.get_data(as_text=True)
            failures += [(endpoint, visitor, marker) for marker in LIVE_MARKUP if marker in text]
    assert failures == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_filenames_comments_and_questions_are_inert(app, tmp_path, make_org, make_user, payload):
    import io

    from courses.models import FileKind, LessonKind
    from courses.services import authoring, review
    from courses.uploads import save_upload
    from quizzes.importers import ParsedQuestion, make_options
    from quizzes.services import banks
    from tests.courses.helpers import fixture_bytes
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    committee = make_org("committee")
    branch = make_org("branch", committee)
    author = make_user(branch, roles=["author"])
    reviewer = make_user(branch, roles=["reviewer"])
    course = authoring.create_course(author, "课程")
    authoring.add_chapter(course, author, "一")
    lesson = authoring.add_lesson(course, author, 0, "附件", LessonKind.ATTACHMENT)
    name = f"{payload}.png"
    saved = save_upload(io.BytesIO(fixture_bytes("image.png")), name, {FileKind.IMAGE})
    authoring.attach_file(course, author, lesson.key, authoring.record_file(course, author, saved, name),
                          caption=payload)
    review.submit_for_review(course, author)
    review.return_to_author(course, reviewer, payload)
    bank = banks.create_bank(author, "题库")
    question = banks.add_question(author, bank, ParsedQuestion(1, "single", payload, make_options([payload, "乙"]),
                                                               "A", explanation=payload, tags=[payload[:50]]))
    banks.submit_questions(author, [question])
    db.session.commit()
    pages = {author: [f"/courses/authoring/{course.id}", f"/courses/authoring/{course.id}/lessons/{lesson.key}",
                      f"/quizzes/banks/{bank.id}", f"/quizzes/banks/{bank.id}/questions/{question.id}"],
             reviewer: [f"/courses/review/{course.id}", "/quizzes/review"]}
    failures = []
    for user, urls in pages.items():
        client = app.test_client()
        client.post("/auth/login", data={"login_id": user.login_id, "password": PASSWORD})
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            text = response.get_data(as_text=True)
            failures += [(url, marker) for marker in LIVE_MARKUP if marker in text]
    assert failures == []


def test_a_png_html_polyglot_is_served_as_an_image_in_a_sandbox(app, tmp_path, make_org, make_user):
    import io

    from courses.models import FileKind
    from courses.services import authoring
    from courses.uploads import save_upload
    from tests.courses.helpers import fixture_bytes
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    author = make_user(make_org("branch", make_org("committee")), roles=["author"])
    course = authoring.create_course(author, "课程")
    polyglot = fixture_bytes("image.png") + b"<html><script>alert(document.cookie)</script></html>"
    saved = save_upload(io.BytesIO(polyglot), "page.html", {FileKind.IMAGE})
    stored = authoring.record_file(course, author, saved, "page.html")
    db.session.commit()
    client = app.test_client()
    client.post("/auth/login", data={"login_id": author.login_id, "password": PASSWORD})
    response = client.get(f"/courses/files/{stored.id}")
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert ".png" in response.headers["Content-Disposition"] and ".html" not in response.headers["Content-Disposition"]


def _nul_requests(url, methods):
    """A NUL in a query argument, a form field and a JSON string (and a lone surrogate in JSON), for each
    method the route answers."""
    query = f"{url}{'&' if '?' in url else '?'}q=a%00"
    if "GET" in methods:
        yield "GET", query, {}
    if "POST" in methods:
        yield "POST", query, {}
        yield "POST", url, {"data": {"title": "a\x00", "comment": "b"}}
        yield "POST", url, {"data": {"comment": "a\x0bb"}}
        yield "POST", url, {"json": {"response": "a\x00"}}
        # Half a surrogate pair: only JSON carries one, and it cannot be stored or shown as UTF-8.
        yield "POST", url, {"data": '{"response": "a\\ud800", "token": "\\udfff"}',
                            "content_type": "application/json"}


def test_control_characters_are_refused_on_every_route(app, tmp_path):
    """The class guard for input: every rule of the app's url_map, asked by a signed-in admin with a
    control character in a query argument, a form field or a JSON body, answers 400 (never a 500, and
    nothing is done). A new route is walked as soon as it has its row in the access matrix (which
    test_access_matrix requires)."""
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    world = build_world(tmp_path / "uploads")
    db.session.commit()
    client = app.test_client()
    client.post("/auth/login", data={"login_id": world["users"]["admin"], "password": PASSWORD})
    answers = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            urls = ["/static/css/app.css"]
        else:
            row = ACCESS_MATRIX[rule.endpoint]
            with app.test_request_context():
                urls = [builder(world, "A") for builder in [row.url, *row.variants]]
        for url in urls:
            for method, address, body in _nul_requests(url, rule.methods):
                response = client.open(address, method=method, **body)
                answers[(method, address, str(body))] = response.status_code
    assert len({endpoint for endpoint in app.view_functions}) > 90  # the walk reached the whole app
    assert {key: status for key, status in answers.items() if status != 400} == {}
    assert client.get("/").status_code == 200  # still signed in: nothing was done, not even a logout

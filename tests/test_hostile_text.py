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

PAYLOADS = ['<script>alert("x1")</script>', '"><img src=x onerror=alert("x2")>', "'><svg onload=alert(\"x3\")>"]
LIVE_MARKUP = ['<script>alert("x1")', '<img src=x onerror', "<svg onload"]
VISITORS = ("admin", "member_a", "supervisor_a", "author", "reviewer")

pytestmark = pytest.mark.app_config(SQLALCHEMY_DATABASE_URI="sqlite://")


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

    from courses.services import authoring, review
    from courses.uploads import save_upload
    from courses.models import FileKind, LessonKind
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

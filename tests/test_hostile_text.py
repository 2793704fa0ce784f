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

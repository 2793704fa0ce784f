"""Issue 3's journey over HTTP: author -> reviewer -> supervisor -> member, hours credited once."""
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from courses.models import Course, StudyHoursEntry
from courses.services import learning as learning_services
from learning_app.extensions import db
from tests.conftest import PASSWORD
from tests.courses.helpers import fixture_bytes


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(learning_services, "utcnow", clock)
    return clock


def login(app, user):
    client = app.test_client()
    assert client.post("/auth/login", data={"login_id": user.login_id, "password": PASSWORD}).location == "/"
    return client


def lesson_keys(client, course_id):
    page = client.get(f"/courses/{course_id}").get_data(as_text=True)
    return re.findall(rf"/courses/{course_id}/lessons/([0-9a-f]{{32}})\"", page)


def view_token(client, course_id, key):
    page = client.get(f"/courses/{course_id}/lessons/{key}").get_data(as_text=True)
    return re.search(r'data-token="([0-9a-f]+)"', page).group(1)


def test_author_to_member_journey_credits_hours_once(app, tree, make_user, clock):
    author = make_user(tree["a1"], roles=["author"])
    reviewer = make_user(tree["a1"], roles=["reviewer"])
    supervisor = make_user(tree["a1"], supervises=tree["general_a"])
    member = make_user(tree["a2"])
    outsider = make_user(tree["b1"])

    writer = login(app, author)
    response = writer.post("/courses/authoring/new", data={
        "title": "学习贯彻党的二十大精神", "summary": "专题学习", "tags": "二十大", "hours": "3",
        "audience_categories": ["activist"], "media_completion_ratio": "90", "reading_seconds": "30"})
    course_id = int(response.location.rsplit("/", 1)[-1])
    writer.post(f"/courses/authoring/{course_id}/chapters", data={"chapter-title": "第一章"})
    keys = {}
    for title, kind in (("视频", "video"), ("文件", "document"), ("导读", "article")):
        location = writer.post(f"/courses/authoring/{course_id}/chapters/0/lessons",
                               data={"lesson-title": title, "lesson-kind": kind}).location
        keys[kind] = location.rsplit("/", 1)[-1]
    for kind, name in (("video", "lesson.mp4"), ("document", "document.pdf")):
        writer.post(f"/courses/authoring/{course_id}/lessons/{keys[kind]}/files",
                    data={"upload-file": (__import__("io").BytesIO(fixture_bytes(name)), name)})
    writer.post(f"/courses/authoring/{course_id}/lessons/{keys['article']}",
                data={"title": "导读", "body": "**重点**", "required": "y"})
    writer.post(f"/courses/authoring/{course_id}/submit")

    checker = login(app, reviewer)
    checker.post(f"/courses/review/{course_id}/reject", data={"comment": "请补充导读"})
    writer.post(f"/courses/authoring/{course_id}/lessons/{keys['article']}",
                data={"title": "导读", "body": "**重点**：补充内容", "required": "y"})
    writer.post(f"/courses/authoring/{course_id}/submit")
    checker.post(f"/courses/review/{course_id}/approve", data={"comment": ""})
    db.session.expire_all()
    course = db.session.get(Course, course_id)
    assert course.published is not None and course.published.number == 1

    boss = login(app, supervisor)
    deadline = date.today() + timedelta(days=30)  # a deadline in the past is refused
    boss.post(f"/courses/{course_id}/assign", data={
        "org_id": tree["general_a"].id, "required": "y", "deadline": deadline.isoformat()})

    learner = login(app, member)
    assert "学习贯彻党的二十大精神" in learner.get("/courses/my").get_data(as_text=True)
    assert login(app, outsider).get(f"/courses/{course_id}").status_code == 404

    token = view_token(learner, course_id, keys["video"])
    for _ in range(4):  # a 4-second video, reported every second of real time
        clock.advance(1)
        result = learner.post(f"/courses/{course_id}/lessons/{keys['video']}/progress",
                              json={"token": token, "played": 1, "position": 1}).get_json()
    assert result["lesson_completed"] is True
    for kind in ("document", "article"):
        token = view_token(learner, course_id, keys[kind])
        clock.advance(31)
        learner.post(f"/courses/{course_id}/lessons/{keys[kind]}/progress", data={"token": token})
    token = view_token(learner, course_id, keys["article"])
    clock.advance(31)
    learner.post(f"/courses/{course_id}/lessons/{keys['article']}/progress", data={"token": token})

    entries = db.session.scalars(select(StudyHoursEntry).where(StudyHoursEntry.user_id == member.id)).all()
    assert [(entry.source_type, float(entry.hours)) for entry in entries] == [("course", 3.0)]
    assert '<td class="text-end fw-bold">3</td>' in learner.get("/courses/hours").get_data(as_text=True)

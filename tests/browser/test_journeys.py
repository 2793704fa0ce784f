"""Journeys through the app in a real browser (Chromium via Playwright), against a live server.

Every request to a host other than the live server is blocked; each journey asserts that none was
needed and that its last page still worked, and leaves a screenshot in test-artifacts/.
"""
import os
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def missing_reason():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium is not at {CHROMIUM}"
    return None


_reason = missing_reason()
if _reason:
    if os.environ.get("CI"):
        pytest.fail(f"browser journeys need Playwright and Chromium (CI is set, so not skipping): {_reason}",
                    pytrace=False)
    pytest.skip(f"browser journeys need Playwright and Chromium: {_reason}", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402  (after the check above)
from sqlalchemy import select  # noqa: E402

from learning_app.extensions import db  # noqa: E402
from learning_app.models import Organization, User  # noqa: E402

DEMO_COURSE = "学习贯彻党的创新理论（示范课程）"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def user(login_id):
    return db.session.scalar(select(User).where(User.login_id == login_id))


def org(name):
    return db.session.scalar(select(Organization).where(Organization.name == name))


def test_member_plays_the_audio_lesson_to_completion(live_app, visitors):
    from courses.models import Course, LessonKind, LessonProgress

    member = visitors(PHONE)
    page = member.page
    reports = []
    page.on("response", lambda r: reports.append(r) if r.url.endswith("/progress") else None)
    member.log_in("member", "Member@2026")

    member.navigate("我的学习")
    page.wait_for_url("**/courses/my")
    page.get_by_role("link", name=DEMO_COURSE).click()
    page.wait_for_url(re.compile(r"/courses/\d+$"))
    page.get_by_role("link", name="音频微党课").click()
    page.wait_for_url(re.compile(r"/lessons/"))
    player = page.locator("audio#player")
    expect(player).to_have_count(1)
    page.wait_for_function("document.getElementById('player').readyState >= 1")  # metadata loaded
    duration = page.evaluate("document.getElementById('player').duration")
    assert 3 < duration < 6, duration

    page.evaluate("document.getElementById('player').play()")
    page.wait_for_function("!document.getElementById('player').paused")
    # The server credits no more than the wall clock since the page opened; the heartbeat (every 3 s at
    # least) and the 'ended' report tell it what was played. Wait for the page to say the lesson is done.
    deadline = time.monotonic() + 20
    status = page.locator("#lesson-status")
    while time.monotonic() < deadline:
        done = [r for r in reports if r.ok and r.json().get("lesson_completed")]
        if done or status.locator(".text-success, .badge.text-bg-success").count() or "text-success" in (
                status.get_attribute("class") or ""):
            break
        if page.evaluate("document.getElementById('player').ended"):
            # Played to the end before the server could credit it all: play again (the heartbeat reports it).
            page.evaluate("document.getElementById('player').play()")
        page.wait_for_timeout(250)
    expect(status).to_have_class(re.compile("text-success"), timeout=5000)
    assert any(r.ok and r.json().get("lesson_completed") for r in reports)

    with live_app.app_context():
        course = db.session.scalar(select(Course).where(Course.published_revision_id.is_not(None))
                                   .order_by(Course.id))
        revision_lessons = [lesson for lesson in _lessons(course) if lesson.kind == LessonKind.AUDIO]
        progress = db.session.scalar(select(LessonProgress).where(
            LessonProgress.user_id == user("member").id, LessonProgress.lesson_key == revision_lessons[0].key))
        assert progress is not None and progress.completed_at is not None
    member.finish("01-member-audio-lesson")


def _lessons(course):
    from courses import queries
    return queries.load_revision(course.published_revision_id).lessons

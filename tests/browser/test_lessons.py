"""Lesson pages in a real browser: a PDF drawn in the page by the vendored pdf.js, the minutes left of a
media lesson updated from the heartbeats, reading aloud where a Chinese voice exists, and 大字模式.
Screenshots at 390×844 and 1366×768 go to test-artifacts/ for a person to look at."""
import io
from pathlib import Path

import pytest

from tests.browser.test_journeys import _reason

if _reason:
    pytest.skip(f"browser tests need Playwright and Chromium: {_reason}", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402
from sqlalchemy import select, update  # noqa: E402

from learning_app.extensions import db  # noqa: E402
from learning_app.models import User  # noqa: E402
from tests.browser.conftest import ARTIFACTS  # noqa: E402
from tests.browser.pdf_sample import chinese_pdf  # noqa: E402

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
SIZES = {"phone": PHONE, "laptop": LAPTOP}
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MEMBER = ("member", "Member@2026")

# Recorded before any page script runs: CSP violations (the policy's own report) and console errors.
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="module")
def lessons(live_app):
    """A published course for every member: a Chinese PDF, an article, a 10-minute video half played by
    the demo member, and a 2-second video. Returns {name: lesson url}."""
    from courses.models import FileKind, LessonKind, LessonProgress
    from courses.services import authoring, review
    from courses.uploads import save_upload

    with live_app.app_context():
        author, reviewer = _user("author"), _user("reviewer")
        course = authoring.create_course(author, "课时显示测试课程", hours=1)
        authoring.add_chapter(course, author, "第一章")

        def lesson(title, kind, file_name=None, data=None, **fields):
            added = authoring.add_lesson(course, author, 0, title, kind, body=fields.pop("body", ""))
            if file_name:
                data = data if data is not None else (FIXTURES / file_name).read_bytes()
                saved = save_upload(io.BytesIO(data), file_name, set(FileKind))
                authoring.attach_file(course, author, added.key,
                                      authoring.record_file(course, author, saved, file_name))
            if fields:
                authoring.update_lesson(course, author, added.key, **fields)
            return added.key

        keys = {
            "pdf": lesson("学习材料（PDF）", LessonKind.DOCUMENT, "讲义.pdf", data=chinese_pdf()),
            "article": lesson("学习导读", LessonKind.ARTICLE,
                              body="## 学习要点\n\n学而信、学而思、学而行。请在学习后与支部同志交流体会。"),
            "long_video": lesson("十分钟视频课", LessonKind.VIDEO, "lesson.webm", duration_seconds=600),
            "short_video": lesson("两秒视频课", LessonKind.VIDEO, "lesson.webm"),
        }
        review.submit_for_review(course, author)
        review.approve(course, reviewer)
        db.session.commit()
        member = _user("member")
        db.session.add(LessonProgress(user_id=member.id, course_id=course.id, lesson_key=keys["long_video"],
                                      credited_seconds=300))
        db.session.commit()
        return {name: f"/courses/{course.id}/lessons/{key}" for name, key in keys.items()}


def _user(login_id):
    return db.session.scalar(select(User).where(User.login_id == login_id))


def _visit(visitors, viewport=PHONE):
    visitor = visitors(viewport)
    visitor.console_errors = []
    visitor.page.on("console", lambda message: visitor.console_errors.append(message.text)
                    if message.type == "error" else None)
    visitor.context.add_init_script(WATCH)
    visitor.log_in(*MEMBER)
    return visitor


def _check_clean(visitor, name):
    """No console error, no CSP violation, nothing wider than the screen; then the screenshot."""
    page = visitor.page
    assert page.evaluate("window.__violations") == []
    assert visitor.console_errors == []
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], name
    visitor.finish(name)


@pytest.mark.parametrize("size", SIZES)
def test_a_pdf_lesson_draws_its_first_page_in_the_page(lessons, visitors, size):
    visitor = _visit(visitors, SIZES[size])
    page = visitor.page
    page.goto(lessons["pdf"])
    first = page.locator("#pdf-viewer canvas.pdf-page").first
    expect(first).to_have_attribute("data-drawn", "true", timeout=20_000)
    # Drawn: the blue square, and the Chinese text (dark pixels), which needs pdf.js's character maps.
    counts = page.evaluate("""() => {
      const canvas = document.querySelector('#pdf-viewer canvas.pdf-page');
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let blue = 0, dark = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
        if (b > 200 && r < 60 && g < 60) blue++;
        else if (r < 100 && g < 100 && b < 100) dark++;
      }
      return {blue, dark, width: canvas.getBoundingClientRect().width};
    }""")
    assert counts["blue"] > 1000 and counts["dark"] > 200, counts
    assert counts["width"] <= page.viewport_size["width"]
    expect(page.get_by_role("link", name="在新窗口中打开 PDF")).to_be_visible()  # the fallback stays
    _check_clean(visitor, f"lesson-pdf-{size}")


def test_without_javascript_a_pdf_lesson_offers_the_file(browser, base_url, lessons):
    context = browser.new_context(viewport=PHONE, base_url=base_url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/auth/login")
        page.fill("input[name=login_id]", MEMBER[0])
        page.fill("input[name=password]", MEMBER[1])
        page.click("form:has(input[name=password]) button[type=submit]")
        page.goto(lessons["pdf"])
        link = page.get_by_role("link", name="在新窗口中打开 PDF")
        expect(link).to_be_visible()
        assert page.request.get(link.get_attribute("href")).headers["content-type"] == "application/pdf"
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES)
def test_a_half_played_video_shows_the_minutes_left(lessons, visitors, size):
    visitor = _visit(visitors, SIZES[size])
    page = visitor.page
    page.goto(lessons["long_video"])
    expect(page.locator("#media-left")).to_have_text("还需学习 4 分钟")
    assert page.locator("#media-progress progress").get_attribute("value") == "55"
    _check_clean(visitor, f"lesson-video-{size}")


def test_the_minutes_left_follow_the_heartbeats_to_completed(lessons, visitors):
    visitor = _visit(visitors)
    page = visitor.page
    page.goto(lessons["short_video"])
    left = page.locator("#media-left")
    expect(left).to_have_text("还需学习不到 1 分钟")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    page.evaluate("document.getElementById('player').play()")
    page.wait_for_function("() => document.getElementById('player').ended", timeout=10_000)
    expect(left).to_have_text("已完成", timeout=5000)  # from the heartbeat's answer, without a reload
    assert page.locator("#media-progress progress").get_attribute("value") == "100"
    _check_clean(visitor, "lesson-video-completed-phone")


def test_read_aloud_is_hidden_without_a_chinese_voice(lessons, visitors):
    visitor = _visit(visitors)
    visitor.context.add_init_script("""
      Object.defineProperty(window, 'speechSynthesis', {value: {
        getVoices: () => [{lang: 'en-US', name: 'English'}], speak() {}, cancel() {}, addEventListener() {}}});
    """)
    visitor.page.goto(lessons["article"])
    expect(visitor.page.locator("#read-aloud")).to_be_hidden()
    _check_clean(visitor, "lesson-article-no-voice-phone")


def test_read_aloud_reads_the_article_with_a_chinese_voice(lessons, visitors):
    """The browser's own speech synthesis, with a stand-in engine that has a Chinese voice."""
    visitor = _visit(visitors)
    visitor.context.add_init_script("""
      window.__spoken = []; window.__cancelled = 0;
      window.SpeechSynthesisUtterance = function (text) { this.text = text; };
      Object.defineProperty(window, 'speechSynthesis', {value: {
        getVoices: () => [{lang: 'en-US', name: 'English'}, {lang: 'zh-CN', name: '普通话'}],
        speak(u) { window.__spoken.push([u.text, u.voice.name]); },
        cancel() { window.__cancelled++; }, addEventListener() {}}});
    """)
    page = visitor.page
    page.goto(lessons["article"])
    button = page.locator("#read-aloud")
    expect(button).to_have_text("朗读")
    button.click()
    expect(button).to_have_text("停止")
    spoken = page.evaluate("window.__spoken")
    assert "".join(text for text, _voice in spoken).replace(" ", "").startswith("学习要点学而信")
    assert {voice for _text, voice in spoken} == {"普通话"}
    button.click()
    expect(button).to_have_text("朗读")
    assert page.evaluate("window.__cancelled") >= 1
    _check_clean(visitor, "lesson-article-read-aloud-phone")


@pytest.mark.parametrize("size", SIZES)
def test_large_text_home_page(live_app, lessons, visitors, size):
    visitor = _visit(visitors, SIZES[size])
    page = visitor.page
    try:
        page.locator("footer").get_by_role("button", name="大字模式").click()
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.classList.contains('large-text')")
        assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") >= 20
        expect(page.get_by_role("heading", name="接下来学习")).to_be_visible()
        heights = page.evaluate("""() => [...document.querySelectorAll('main .btn, main .form-control, footer .btn')]
            .filter(e => e.offsetParent).map(e => e.getBoundingClientRect().height)""")
        assert heights and min(heights) >= 48, heights
        _check_clean(visitor, f"home-large-text-{size}")
        for name, path in (("lesson-video", lessons["long_video"]), ("lesson-pdf", lessons["pdf"]),
                           ("my-learning", "/courses/my"), ("account", "/auth/password")):
            page.goto(path)
            assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], path
            page.screenshot(path=str(ARTIFACTS / f"{name}-large-text-{size}.png"), full_page=True)
    finally:
        with live_app.app_context():
            db.session.execute(update(User).where(User.login_id == MEMBER[0]).values(large_text=False))
            db.session.commit()

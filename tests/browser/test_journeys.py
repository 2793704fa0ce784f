"""Journeys through the app in a real browser (Chromium via Playwright), against a live server.

Every request to a host other than the live server is blocked; each journey asserts that none was
needed and that its last page still worked, and leaves a screenshot in test-artifacts/.
"""
import os
import re
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


@pytest.mark.parametrize("title, tag, kind, length", [("音频微党课", "audio", "audio", (3, 6)),
                                                      ("视频微党课", "video", "video", (1, 4))])
def test_member_plays_a_media_lesson_to_completion(live_app, visitors, title, tag, kind, length):
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
    page.get_by_role("link", name=title).click()
    page.wait_for_url(re.compile(r"/lessons/"))
    player = page.locator(f"{tag}#player")
    expect(player).to_have_count(1)
    page.wait_for_function("document.getElementById('player').readyState >= 1")  # metadata loaded
    duration = page.evaluate("document.getElementById('player').duration")
    assert length[0] < duration < length[1], duration

    page.evaluate("document.getElementById('player').play()")
    page.wait_for_function("!document.getElementById('player').paused")
    # Played once to its end, the lesson is done: the heartbeats and the 'ended' report tell the server
    # every second played (the first and the last included), which the wall clock allows.
    page.wait_for_function("() => document.getElementById('player').ended", timeout=(length[1] + 5) * 1000)
    status = page.locator("#lesson-status")
    expect(status).to_have_class(re.compile("text-success"), timeout=5000)
    assert any(r.ok and r.json().get("lesson_completed") for r in reports)

    with live_app.app_context():
        course = db.session.scalar(select(Course).where(Course.published_revision_id.is_not(None))
                                   .order_by(Course.id))
        revision_lessons = [lesson for lesson in _lessons(course) if lesson.kind == LessonKind(kind)]
        progress = db.session.scalar(select(LessonProgress).where(
            LessonProgress.user_id == user("member").id, LessonProgress.lesson_key == revision_lessons[0].key))
        assert progress is not None and progress.completed_at is not None
    member.finish("01-member-audio-lesson")


def _lessons(course):
    from courses import queries
    return queries.load_revision(course.published_revision_id).lessons


def _make_quiz(live_app):
    """Three approved single-choice questions in a published 10-minute quiz open to everyone."""
    from quizzes.importers import ParsedQuestion
    from quizzes.services import banks, quizzes

    with live_app.app_context():
        author, reviewer = user("author"), user("reviewer")
        bank = banks.create_bank(author, "浏览器测试题库")
        questions = [banks.add_question(author, bank, ParsedQuestion(
            line=number, type="single", stem=f"第{number}题：哪一项正确？",
            options=[{"key": key, "text": f"选项{key}{number}", "weight": 0.0} for key in "ABCD"],
            answer="B", title=f"题{number}")) for number in (1, 2, 3)]
        banks.submit_questions(author, questions)
        for question in questions:
            banks.approve_question(reviewer, question)
        quiz = quizzes.create_quiz(author, "浏览器测验", time_limit_minutes=10, org_id=None,
                                   shuffle_questions=False, shuffle_options=False)
        for question in questions:
            quizzes.add_fixed_question(author, quiz, question)
        quizzes.set_published(author, quiz, True)
        db.session.commit()
        return quiz.id


def test_quiz_answers_survive_a_reload_and_submit(live_app, visitors):
    from quizzes.models import Attempt

    quiz_id = _make_quiz(live_app)
    member = visitors(PHONE)
    page = member.page
    page.on("dialog", lambda dialog: dialog.accept())
    member.log_in("member", "Member@2026")
    page.goto(f"/quizzes/{quiz_id}")
    page.locator(f"form[action$='/quizzes/{quiz_id}/start'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/quizzes/attempts/\d+$"))
    attempt_url = page.url

    questions = page.locator("fieldset.question")
    expect(questions).to_have_count(3)
    for index, key in ((0, "B"), (1, "C")):
        fieldset = questions.nth(index)
        with page.expect_response(lambda r: "/answers/" in r.url and r.request.method == "POST") as saved:
            fieldset.locator(f"input[type=radio][value='{key}']").check()
        assert saved.value.ok, saved.value.text()
        expect(fieldset.locator(".save-state")).to_have_text(re.compile("已保存|Saved"))

    page.reload()
    page.wait_for_load_state()
    assert page.url == attempt_url
    questions = page.locator("fieldset.question")
    expect(questions.nth(0).locator("input[value='B']")).to_be_checked()
    expect(questions.nth(1).locator("input[value='C']")).to_be_checked()
    expect(questions.nth(2).locator("input:checked")).to_have_count(0)

    page.locator("button[name=action][value=submit]").click()
    page.wait_for_url(re.compile(r"/quizzes/attempts/\d+/result$"))
    expect(page.locator("main")).to_contain_text("浏览器测验")
    with live_app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == user("member").id,
                                                              Attempt.quiz_id == quiz_id))
        assert attempt is not None and attempt.submitted_at is not None
    member.finish("02-member-quiz-result")


def test_member_checks_in_with_the_code_on_the_supervisors_screen(live_app, visitors):
    from courses.bases import services as base_services
    from courses.bases.models import Attendance
    from learning_app.models import utcnow

    with live_app.app_context():
        supervisor, general = user("supervisor"), org("教育系统党总支")
        base = base_services.register_base(supervisor, general, name="浏览器测试教育基地", capacity=40,
                                           address="江南市人民路1号")
        now = utcnow()
        session = base_services.schedule_session(supervisor, base, "红色教育现场学习", now - timedelta(minutes=10),
                                                 now + timedelta(hours=2), 2, 40, [general], accepts_walk_ins=True)
        db.session.commit()
        session_id = session.id

    organiser = visitors(DESKTOP)
    organiser.log_in("supervisor", "Super@2026")
    organiser.page.goto(f"/bases/sessions/{session_id}/code")
    code_box = organiser.page.locator("#code")
    expect(code_box).to_have_text(re.compile(r"^\d{6}$"))
    code = code_box.inner_text().strip()
    expect(organiser.page.locator("#qr svg")).to_have_count(1)

    member = visitors(PHONE)
    page = member.page
    member.log_in("member", "Member@2026")
    page.goto(f"/bases/sessions/{session_id}")
    page.locator("form.checkin-card input[name=code]").fill(code)
    page.locator("form.checkin-card button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/bases/sessions/{session_id}$"))
    expect(page.locator(".alert-success").first).to_be_visible()
    expect(page.locator(".alert-danger")).to_have_count(0)

    with live_app.app_context():
        attendance = db.session.scalar(select(Attendance).where(Attendance.session_id == session_id,
                                                                Attendance.user_id == user("member").id))
        assert attendance is not None and attendance.method == "code"
    organiser.finish("03-supervisor-code-screen")
    member.finish("03-member-checked-in")


def test_author_uploads_and_submits_and_reviewer_publishes(live_app, visitors):
    from courses.models import Course

    title = "浏览器测试课程：党章学习"
    author = visitors(DESKTOP)
    page = author.page
    page.on("dialog", lambda dialog: dialog.accept())
    author.log_in("author", "Author@2026")
    page.goto("/courses/authoring/new")
    page.fill("input[name=title]", title)
    page.fill("textarea[name=summary]", "在浏览器中创建、上传并提交审核的课程。")
    page.fill("input[name=hours]", "1")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/courses/authoring/\d+$"))
    course_id = int(page.url.rsplit("/", 1)[1])

    page.fill("input[name='chapter-title']", "第一章 党章原文")
    page.locator(f"form[action$='/courses/authoring/{course_id}/chapters'] button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    lesson_form = page.locator(f"form[action*='/courses/authoring/{course_id}/chapters/'][action$='/lessons']").first
    lesson_form.locator("input[name='lesson-title']").fill("党章全文（PDF）")
    lesson_form.locator("select[name='lesson-kind']").select_option("document")
    lesson_form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/courses/authoring/{course_id}/lessons/\w+$"))

    upload = page.locator("form[action$='/files']")
    upload.locator("input[type=file]").set_input_files(str(FIXTURES / "document.pdf"))
    upload.locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".alert-success")).to_contain_text("document.pdf")

    page.goto(f"/courses/authoring/{course_id}")
    page.locator(f"form[action$='/courses/authoring/{course_id}/submit'] button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".alert-success")).to_be_visible()
    author.finish("04-author-submitted")

    reviewer = visitors(DESKTOP)
    page = reviewer.page
    reviewer.log_in("reviewer", "Review@2026")
    page.goto("/courses/review")
    page.get_by_role("link", name=title).click()
    page.wait_for_url(re.compile(rf"/courses/review/{course_id}$"))
    expect(page.locator("main")).to_contain_text("document.pdf")
    page.locator("button[formaction$='/approve']").click()
    page.wait_for_url(re.compile(r"/courses/review$"))
    expect(page.locator(".alert-success")).to_be_visible()

    with live_app.app_context():
        course = db.session.get(Course, course_id)
        assert course.published_revision_id is not None
    reviewer.finish("04-reviewer-approved")


def test_supervisor_dashboard_draws_its_charts_offline(live_app, visitors):
    supervisor = visitors(DESKTOP)
    page = supervisor.page
    supervisor.log_in("supervisor", "Super@2026")
    with page.expect_response(lambda r: "/static/vendor/plotly/plotly-dashboard.min.js" in r.url) as plotly:
        page.goto("/dashboard/")
    assert plotly.value.ok
    page.wait_for_selector(".chart .main-svg", state="attached", timeout=15_000)
    assert page.evaluate("typeof window.Plotly") == "object"
    drawn = page.locator(".chart .main-svg")
    assert drawn.count() >= 1
    assert page.locator(".chart svg").count() >= 1
    # The Chinese page draws with plotly.js's zh-CN locale (dates and words in Chinese).
    assert page.evaluate("document.querySelector('.chart')._context.locale") == "zh-CN"
    supervisor.finish("05-supervisor-dashboard")


def test_member_reads_a_message_and_chooses_email_on_a_phone(live_app, visitors):
    from learning_app.messages import services as message_services
    from learning_app.messages.models import MessageKind, MessageSettings

    with live_app.app_context():
        member_id = user("member").id
        # Earlier journeys may have messaged the member (a course assigned): those are read already.
        message_services.mark_all_read(user("member"))
        message_services.notify([member_id], MessageKind.COURSE_ASSIGNED, "journey:message",
                                lambda: ("新课程已指派：党章学习", "请在本月底前学完。"), "/courses/my")
        db.session.commit()

    member = visitors(PHONE)
    page = member.page
    member.log_in("member", "Member@2026")
    page.goto("/courses/my")
    page.locator(".navbar-toggler").click()
    messages_link = page.locator("#main-nav").get_by_role("link", name=re.compile("消息"))
    expect(messages_link).to_contain_text("1 条未读消息")
    messages_link.click()
    page.get_by_role("link", name=re.compile("新课程已指派")).click()
    expect(page.locator("h1")).to_have_text("新课程已指派：党章学习")
    page.get_by_role("link", name="前往查看").click()
    page.wait_for_url(re.compile(r"/courses/my$"))
    expect(page.locator("#unread-messages")).to_have_text("")

    live_app.config["MAIL_URL"] = "smtp://127.0.0.1:8025"  # the email channel offered (nothing is sent)
    try:
        page.goto("/auth/password")
        page.locator("input[name=email]").fill("dangyuan@example")
        page.get_by_role("button", name="保存接收渠道").click()
        expect(page.locator(".invalid-feedback")).to_contain_text("请输入电子邮箱地址")
        page.locator("input[name=email]").fill("dangyuan@example.cn")
        page.get_by_role("button", name="保存接收渠道").click()
        expect(page.locator(".alert-success")).to_contain_text("接收渠道已保存。")
        with live_app.app_context():
            assert db.session.get(MessageSettings, member_id).email == "dangyuan@example.cn"
    finally:
        live_app.config.pop("MAIL_URL")
    member.finish("06-member-channels")


def test_requests_to_other_hosts_are_blocked(visitors):
    """The guard the journeys rely on: a request to any other host fails and is recorded."""
    from playwright.sync_api import Error as PlaywrightError

    visitor = visitors(DESKTOP)
    outside = "https://cdn.jsdelivr.net/npm/plotly.js/dist/plotly.min.js"
    with pytest.raises(PlaywrightError, match="ERR_BLOCKED_BY_CLIENT"):
        visitor.page.goto(outside)
    assert visitor.blocked == [outside]
    page = visitor.context.new_page()  # the live server itself is still reachable
    page.goto("/auth/login")
    expect(page.locator("input[name=login_id]")).to_be_visible()


def test_a_job_page_follows_the_progress_and_shows_the_result_when_done(live_app, visitors):
    """jobs.js polls the progress while the job runs, and reloads the page to show its outcome."""
    from learning_app.jobs import JobRun, JobState, huey
    from learning_app.jobs.queue import _progress_key
    from learning_app.models import utcnow

    with live_app.app_context():
        job = JobRun(kind="roster_import", started_by_id=user("admin").id, state=JobState.RUNNING,
                     params={"filename": "花名册.csv"}, started_at=utcnow())
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    huey.put(_progress_key(job_id), (150, 600))

    admin = visitors(PHONE)
    page = admin.page
    admin.log_in("admin", "Admin@2026")
    page.goto(f"/jobs/{job_id}")
    expect(page.locator("#job-bar")).to_have_attribute("value", "25")
    expect(page.locator("#job-state")).to_have_text("进行中")
    huey.put(_progress_key(job_id), (450, 600))
    expect(page.locator("#job-bar")).to_have_js_property("value", 75)  # polled, not reloaded
    expect(page.locator("#job-count")).to_contain_text("450 / 600")

    with live_app.app_context():
        job = db.session.get(JobRun, job_id)
        job.state, job.done, job.total, job.finished_at = JobState.DONE, 600, 600, utcnow()
        job.result = {"created": 600, "updated": 0, "unchanged": 0, "credentials_token": None}
        db.session.commit()
    expect(page.locator(".alert-success")).to_contain_text("新增 600 人")
    expect(page.locator("#job-state")).to_have_text("已完成")
    admin.finish("06-admin-job-done")

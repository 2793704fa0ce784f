"""Kill the server with SIGKILL in the middle of work: every acknowledged answer, check-in and
progress report must be in the database when it starts again."""
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Crash@2026x"
pytestmark = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                                reason="runs its own server on a SQLite file; once is enough")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _world(url, upload_dir):
    """Five members, a quiz of five questions, a base session under way, an article lesson."""
    from courses.bases import services as bases
    from courses.models import LessonKind
    from courses.services import assignment, authoring, review
    from learning_app import create_app
    from learning_app.extensions import db
    from learning_app.models import OrgKind, Role, utcnow
    from learning_app.orgs.services import create_org
    from learning_app.people.services import create_account, grant_role
    from quizzes.importers import ParsedQuestion
    from quizzes.services import banks, quizzes
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=upload_dir)
    with app.app_context():
        db.create_all()
        committee = create_org(None, "党委", OrgKind.COMMITTEE, None)
        general = create_org(None, "党总支", OrgKind.GENERAL_BRANCH, committee)
        branch = create_org(None, "党支部", OrgKind.BRANCH, general)
        staff = create_account(None, "staff", "督学", password=PASSWORD, org_id=branch.id)
        grant_role(None, staff, Role.SUPERVISOR, general)
        author = create_account(None, "author", "作者", password=PASSWORD, org_id=branch.id)
        grant_role(None, author, Role.AUTHOR)
        reviewer = create_account(None, "reviewer", "审核", password=PASSWORD, org_id=branch.id)
        grant_role(None, reviewer, Role.REVIEWER)
        members = [create_account(None, f"m{i}", f"党员{i}", password=PASSWORD, org_id=branch.id) for i in range(5)]
        bank = banks.create_bank(author, "题库")
        questions = [banks.add_question(author, bank, ParsedQuestion(1, "single", f"第{i}题", [
            {"key": k, "text": k, "weight": 0.0} for k in "ABCD"], "A")) for i in range(5)]
        banks.submit_questions(author, questions)
        for question in questions:
            banks.approve_question(reviewer, question)
        quiz = quizzes.create_quiz(author, "测验", time_limit_minutes=30, shuffle_questions=False)
        for question in questions:
            quizzes.add_fixed_question(author, quiz, question)
        quizzes.set_published(author, quiz, True)
        course = authoring.create_course(author, "课程", hours=1, reading_seconds=5)
        authoring.add_chapter(course, author, "一")
        lesson = authoring.add_lesson(course, author, 0, "导读", LessonKind.ARTICLE, body="内容")
        review.submit_for_review(course, author)
        review.approve(course, reviewer)
        assignment.assign_course(staff, course, general)
        base = bases.register_base(staff, general, name="基地")
        now = utcnow()
        session = bases.schedule_session(staff, base, "现场教学", now - timedelta(minutes=5), now + timedelta(hours=2),
                                         2, 100, [general], accepts_walk_ins=True)
        db.session.commit()
        ids = {"quiz": quiz.id, "course": course.id, "lesson": lesson.key, "session": session.id,
               "members": [m.login_id for m in members]}
        db.engine.dispose()
        return ids


class Browser:
    CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def go(self, path, form=None, body=None, csrf=None):
        headers = {"X-CSRFToken": csrf} if csrf else {}
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
        try:
            response = self.opener.open(urllib.request.Request(self.base + path, data=data, headers=headers),
                                        timeout=10)
            return response.status, response.read().decode(), response.geturl()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), path

    def token(self, path):
        return self.CSRF.search(self.go(path)[1]).group(1)

    def login(self, login_id):
        self.go("/auth/login", {"login_id": login_id, "password": PASSWORD, "csrf_token": self.token("/auth/login")})


def _start(env, port):
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "learning_app", "run", "--port", str(port),
                                "--no-reload", "--with-threads"], cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _work(browser, member, ids, acknowledged, stop):
    """Autosave answers over and over, report reading progress and check in, noting every acknowledgement."""
    browser.login(member)
    quiz_page = f"/quizzes/{ids['quiz']}"
    _s, _page, url = browser.go(f"/quizzes/{ids['quiz']}/start", {"csrf_token": browser.token(quiz_page)})
    attempt = re.search(r"/quizzes/attempts/(\d+)", url).group(1)
    csrf = re.search(r'data-csrf="([^"]+)"', browser.go(f"/quizzes/attempts/{attempt}")[1]).group(1)
    lesson_page = browser.go(f"/courses/{ids['course']}/lessons/{ids['lesson']}")[1]
    view = re.search(r'data-token="([0-9a-f]+)"', lesson_page).group(1)
    opened, reported = time.monotonic(), False
    round_ = 0
    while not stop.is_set():
        round_ += 1
        for position in range(5):
            choice = "ABCD"[(round_ + position) % 4]
            # A request cut off by the kill may have been committed without being acknowledged.
            acknowledged["in_flight"][(member, int(attempt), position)] = choice
            try:
                status, text, _u = browser.go(f"/quizzes/attempts/{attempt}/answers/{position}",
                                              body={"response": choice}, csrf=csrf)
            except OSError:
                return
            if status == 200 and json.loads(text).get("saved"):
                acknowledged["answers"][(member, int(attempt), position)] = choice
        if round_ == 3:
            try:
                code = acknowledged["code"]
                status, _t, url = browser.go(f"/bases/sessions/{ids['session']}/check-in",
                                             {"code": code, "csrf_token": csrf})
                if status == 200 and "/check-in" not in url:
                    acknowledged["checkins"].add(member)
            except OSError:
                return
        if not reported and time.monotonic() - opened > 5.5:
            reported = True
            try:
                status, text, _u = browser.go(f"/courses/{ids['course']}/lessons/{ids['lesson']}/progress",
                                              body={"token": view}, csrf=csrf)
                if status == 200 and json.loads(text).get("lesson_completed"):
                    acknowledged["lessons"].add(member)
            except OSError:
                return


def test_acknowledged_work_survives_sigkill(tmp_path):
    url = f"sqlite:///{tmp_path / 'crash.sqlite'}"
    ids = _world(url, str(tmp_path / "uploads"))
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "crash-test", "INSTANCE_PATH": str(tmp_path),
           "UPLOAD_DIR": str(tmp_path / "uploads"), "APP_CONFIG": "development"}
    server = _start(env, port)
    base = f"http://127.0.0.1:{port}"
    staff = Browser(base)
    staff.login("staff")
    acknowledged = {"answers": {}, "in_flight": {}, "checkins": set(), "lessons": set(),
                    "code": json.loads(staff.go(f"/bases/sessions/{ids['session']}/code.json")[1])["code"]}
    stop = threading.Event()
    workers = [threading.Thread(target=_work, args=(Browser(base), member, ids, acknowledged, stop))
               for member in ids["members"]]
    for worker in workers:
        worker.start()
    # Kill once some of every kind of work is acknowledged (the reading lesson needs 5 s), not after a
    # fixed time: on a busy machine logging in alone can take seconds (it failed once that way).
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not (acknowledged["answers"] and acknowledged["checkins"]
                                               and acknowledged["lessons"]):
        time.sleep(0.2)
    time.sleep(0.5)  # and in the middle of more
    os.killpg(server.pid, signal.SIGKILL)
    server.wait()
    stop.set()
    for worker in workers:
        worker.join(timeout=20)
    assert acknowledged["answers"] and acknowledged["checkins"] and acknowledged["lessons"]

    restarted = _start(env, port)
    try:
        from courses.bases.models import Attendance
        from courses.models import LessonProgress
        from learning_app import create_app
        from learning_app.extensions import db
        from learning_app.models import User
        from quizzes.models import Attempt, AttemptAnswer
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            saved = {(login, attempt, position): response for login, attempt, position, response in db.session.execute(
                select(User.login_id, Attempt.id, AttemptAnswer.position, AttemptAnswer.response)
                .join(Attempt, Attempt.user_id == User.id).join(AttemptAnswer, AttemptAnswer.attempt_id == Attempt.id))}
            lost = {key: value for key, value in acknowledged["answers"].items()
                    if saved.get(key) not in (value, acknowledged["in_flight"].get(key))}
            attended = set(db.session.scalars(select(User.login_id).join(Attendance, Attendance.user_id == User.id)))
            completed = set(db.session.scalars(select(User.login_id)
                                        .join(LessonProgress, LessonProgress.user_id == User.id)
                                               .where(LessonProgress.completed_at.is_not(None))))
            db.engine.dispose()
        assert lost == {}
        assert acknowledged["checkins"] <= attended
        assert acknowledged["lessons"] <= completed
    finally:
        os.killpg(restarted.pid, signal.SIGKILL)
        restarted.wait()

"""Benchmark: an exam rush. Members released at the same instant start one quiz, autosave every
answer, submit, and submit again; afterwards the database is checked against what the clients
were told (acknowledged answers stored, one graded attempt each, no 5xx, nothing "locked").

Runs the production setup (gunicorn with gunicorn.conf.py) on 127.0.0.1 in a separate process,
on SQLite by default (RUSH_USERS=200) or on BENCH_DATABASE_URL's PostgreSQL (use 1,000 users).
Writes bench/results/exam_rush.json.
"""
import http.cookiejar
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

USERS = int(os.environ.get("RUSH_USERS", "200"))
QUESTIONS = 10


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(url, workdir):
    """Generate members and one published quiz open to everyone; return (quiz id, login ids)."""
    from sqlalchemy import select

    from analytics.scale import generate
    from learning_app import create_app
    from learning_app.extensions import db
    from learning_app.models import User
    from quizzes.models import Question, QuestionBank, QuestionStatus, QuestionType, Quiz, QuizItem
    app = create_app("production", SECRET_KEY="bench", SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=workdir)
    with app.app_context():
        db.drop_all()
        db.create_all()
        generate(USERS, max(4, USERS // 50), 2)
        owner = db.session.scalar(select(User).order_by(User.id).limit(1))
        bank = QuestionBank(name="考试冲刺题库", owner_id=owner.id)
        db.session.add(bank)
        db.session.flush()
        quiz = Quiz(title="考试冲刺", owner_id=owner.id, is_published=True, time_limit_minutes=30, pass_percent=60)
        db.session.add(quiz)
        db.session.flush()
        for index in range(QUESTIONS):
            question = Question(bank_id=bank.id, author_id=owner.id, type=QuestionType.SINGLE,
                                status=QuestionStatus.PUBLISHED, stem=f"第 {index + 1} 题",
                                options=[{"key": k, "text": k, "weight": 0.0} for k in "ABCD"], answer="A")
            db.session.add(question)
            db.session.flush()
            quiz.items.append(QuizItem(question_id=question.id, position=index))
        db.session.commit()
        logins = list(db.session.scalars(select(User.login_id).order_by(User.id).limit(USERS)))
        db.engine.dispose()
        return quiz.id, logins


class Member:
    CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')

    def __init__(self, base, login_id):
        self.base, self.login_id = base, login_id
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.statuses, self.acknowledged, self.errors, self.timings = [], {}, [], []

    def request(self, path, data=None, json_body=None, csrf=None):
        headers = {}
        body = None
        if json_body is not None:
            body, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
        if csrf:
            headers["X-CSRFToken"] = csrf
        started = time.perf_counter()
        try:
            response = self.opener.open(urllib.request.Request(self.base + path, data=body, headers=headers),
                                        timeout=60)
            status, text, final = response.status, response.read().decode(), response.geturl()
        except urllib.error.HTTPError as error:
            status, text, final = error.code, error.read().decode(errors="replace"), path
        self.timings.append(time.perf_counter() - started)
        self.statuses.append(status)
        if "database is locked" in text:
            self.errors.append("database is locked")
        return status, text, final

    def login(self):
        _status, page, _url = self.request("/auth/login")
        token = self.CSRF.search(page).group(1)
        self.request("/auth/login", {"login_id": self.login_id, "password": "Scale@2026", "csrf_token": token})

    def take(self, quiz_id, barrier):
        _status, page, _url = self.request(f"/quizzes/{quiz_id}")
        token = self.CSRF.search(page).group(1)
        barrier.wait()
        _status, page, url = self.request(f"/quizzes/{quiz_id}/start", {"csrf_token": token})
        match = re.search(r"/quizzes/attempts/(\d+)", url)
        if not match:
            self.errors.append(f"start failed: {url}")
            return
        attempt = match.group(1)
        csrf = re.search(r'data-csrf="([^"]+)"', page).group(1)
        for fieldset in re.finditer(r'data-position="(\d+)" data-type="single">.*?value="([A-D])"', page, re.S):
            position, key = fieldset.group(1), fieldset.group(2)
            status, text, _u = self.request(f"/quizzes/attempts/{attempt}/answers/{position}",
                                            json_body={"response": key}, csrf=csrf)
            if status == 200 and json.loads(text).get("saved"):
                self.acknowledged[int(position)] = key
        for _ in range(2):  # the double click
            status, text, _u = self.request(f"/quizzes/attempts/{attempt}/submit", json_body={}, csrf=csrf)
            if status != 200:
                self.errors.append(f"submit {status}")
        self.attempt_id = int(attempt)


def verify(url, workdir, members, quiz_id):
    from sqlalchemy import func, select

    from learning_app import create_app
    from learning_app.extensions import db
    from quizzes.models import Attempt, AttemptAnswer, AttemptStatus
    app = create_app("production", SECRET_KEY="bench", SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=workdir)
    with app.app_context():
        attempts = db.session.execute(select(Attempt.user_id, func.count(), func.sum(
            db.case((Attempt.status == AttemptStatus.GRADED, 1), else_=0))).where(Attempt.quiz_id == quiz_id)
            .group_by(Attempt.user_id)).all()
        saved = {(a, p): r for a, p, r in db.session.execute(
            select(AttemptAnswer.attempt_id, AttemptAnswer.position, AttemptAnswer.response))}
        lost = sum(1 for m in members for position, key in m.acknowledged.items()
                   if saved.get((getattr(m, "attempt_id", None), position)) != key)
        return {"attempts": sum(n for _u, n, _g in attempts), "graded": int(sum(g or 0 for _u, _n, g in attempts)),
                "users_with_more_than_one_attempt": sum(1 for _u, n, _g in attempts if n > 1),
                "acknowledged_answers": sum(len(m.acknowledged) for m in members), "acknowledged_but_lost": lost}


def main():
    workdir = tempfile.mkdtemp(prefix="rush-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir}/rush.sqlite"
    quiz_id, logins = prepare(url, workdir)
    port = free_port()
    env = {**os.environ, "APP_CONFIG": "production", "SECRET_KEY": "bench", "DATABASE_URL": url,
           "INSTANCE_PATH": workdir, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESS_LOG": "/dev/null",
           "SESSION_COOKIE_SECURE": "0", "LOGIN_FAILURES_PER_ADDRESS": "100000 per minute"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                               "learning_app:create_app()"], cwd=ROOT, env=env, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        members = [Member(base, login) for login in logins]
        for member in members:
            member.login()
        barrier = threading.Barrier(len(members))
        started = time.perf_counter()
        threads = [threading.Thread(target=m.take, args=(quiz_id, barrier)) for m in members]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    statuses = [s for m in members for s in m.statuses]
    timings = sorted(t for m in members for t in m.timings)
    checks = verify(url, workdir, members, quiz_id)
    report = {"benchmark": "exam_rush", "database": url.split(":")[0], "users": len(members),
              "seconds": round(elapsed, 2), "requests": len(statuses),
              "server_errors_5xx": sum(1 for s in statuses if s >= 500),
              "database_locked_seen": sum(1 for m in members for e in m.errors if "locked" in e),
              "client_errors": sorted({e for m in members for e in m.errors})[:10],
              "p50_ms": round(1000 * statistics.median(timings), 1),
              "p95_ms": round(1000 * timings[int(0.95 * (len(timings) - 1))], 1), **checks}
    out = ROOT / "bench" / "results" / "exam_rush.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    for key, value in report.items():
        print(f"{key:>34}: {value}")
    print(f"written {out}")


if __name__ == "__main__":
    main()

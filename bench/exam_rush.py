"""Benchmark: an exam rush. Members released at the same instant start one quiz, autosave every
answer, submit, and submit again; afterwards the database is checked against what the clients
were told (acknowledged answers stored, exactly one graded attempt each, no 5xx, nothing "locked").
Two more checks follow the rush on the same server: 20 parallel starts by one member leave at most
one open attempt, and answers sent after an attempt's deadline (plus grace) are refused and not stored.

Runs the production setup (gunicorn with gunicorn.conf.py) on 127.0.0.1 in a separate process,
pinned to core 0 with `taskset`, while the clients run pinned to core 1 (no pinning on one CPU).
SQLite by default (200 members), or BENCH_DATABASE_URL's PostgreSQL (1,000 members).
RUSH_USERS overrides the member count, RUSH_RUNS (3) the number of runs, each on a freshly prepared
database; timings are the median over the runs, correctness counters the worst run.
Writes bench/results/exam_rush.json with every run's raw figures and the machine.
"""
import http.client
import http.cookiejar
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import database_family, gunicorn_workers, start_gunicorn, stop_gunicorn, write_report  # noqa: E402

QUESTIONS = 10
PARALLEL_USERS = int(os.environ.get("RUSH_PARALLEL_USERS", "10"))  # fresh members, 20 parallel starts each
PARALLEL_STARTS = 20
LATE_USERS = int(os.environ.get("RUSH_LATE_USERS", "10"))  # members whose attempt runs out of time
LOGIN_THREADS = 8
SERVER_CPU, CLIENT_CPU = 0, 1

# Reported as the median over the runs.
TIMING_KEYS = ["seconds", "requests_per_second", "p50_ms", "p95_ms", "p99_ms", "start_p95_ms", "answer_p95_ms",
               "submit_p95_ms", "login_seconds", "server_cpu_seconds", "server_cpu_ms_per_request",
               "client_cpu_seconds", "other_cpu_seconds"]
# Reported as the worst (largest) value over the runs; every one of them must be 0 except where noted.
COUNTER_KEYS = ["server_errors_5xx", "client_side_failures", "database_locked_seen", "acknowledged_but_lost",
                "users_without_exactly_one_graded_attempt", "users_without_exactly_one_graded_attempt_all_answered",
                "users_with_more_than_one_attempt", "answers_stored_but_not_acknowledged",
                "second_submit_not_ok", "score_mismatch",
                "parallel_start_5xx", "parallel_start_refused", "max_open_attempts_after_parallel_starts",
                "max_attempts_after_parallel_starts", "late_answers_accepted", "late_answers_stored",
                "late_attempts_left_open", "late_in_time_answers_lost",
                "server_log_tracebacks", "server_log_database_locked", "server_log_worker_timeouts"]


def percentile(values, fraction):
    """Nearest-rank percentile of a sorted list."""
    if not values:
        return None
    return values[max(0, math.ceil(fraction * len(values)) - 1)]


def ms(seconds):
    return None if seconds is None else round(1000 * seconds, 1)


def bench_app(url, workdir):
    from learning_app import create_app
    return create_app("production", SECRET_KEY="bench", SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=workdir)


def prepare(app, users):
    """Generate members and three published quizzes open to everyone: the rush, the parallel starts and
    the late answers. Return (quiz ids, login ids of the rush, of the parallel starters, of the late)."""
    from sqlalchemy import select

    from analytics.scale import generate
    from learning_app.extensions import db
    from learning_app.models import User
    from quizzes.models import Question, QuestionBank, QuestionStatus, QuestionType, Quiz, QuizItem
    wanted = users + PARALLEL_USERS + LATE_USERS
    with app.app_context():
        db.drop_all()
        db.create_all()
        generate(wanted + max(10, wanted // 20), max(4, wanted // 50), 2)  # rounding may yield a few less
        owner = db.session.scalar(select(User).order_by(User.id).limit(1))
        bank = QuestionBank(name="考试冲刺题库", owner_id=owner.id)
        db.session.add(bank)
        db.session.flush()
        questions = []
        for index in range(QUESTIONS):
            question = Question(bank_id=bank.id, author_id=owner.id, type=QuestionType.SINGLE,
                                status=QuestionStatus.PUBLISHED, stem=f"第 {index + 1} 题",
                                options=[{"key": k, "text": k, "weight": 0.0} for k in "ABCD"], answer="A")
            db.session.add(question)
            questions.append(question)
        db.session.flush()
        quizzes = {}
        for name, title in (("rush", "考试冲刺"), ("parallel", "并发开考"), ("late", "超时作答")):
            quiz = Quiz(title=title, owner_id=owner.id, is_published=True, time_limit_minutes=30, pass_percent=60)
            quiz.items = [QuizItem(question_id=q.id, position=i) for i, q in enumerate(questions)]
            db.session.add(quiz)
            db.session.flush()
            quizzes[name] = quiz.id
        db.session.commit()
        logins = list(db.session.scalars(select(User.login_id).where(User.org_id.is_not(None))
                                         .order_by(User.id).limit(wanted)))
        db.engine.dispose()
    if len(logins) < wanted:
        raise SystemExit(f"only {len(logins)} members generated, {wanted} needed")
    return quizzes, logins[:users], logins[users:users + PARALLEL_USERS], logins[users + PARALLEL_USERS:]


class Member:
    CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
    ANSWER_CSRF = re.compile(r'data-csrf="([^"]+)"')
    FIELDSETS = re.compile(r'data-position="(\d+)" data-type="single">.*?value="([A-D])"', re.S)
    ATTEMPT = re.compile(r"/quizzes/attempts/(\d+)")

    def __init__(self, base, login_id):
        self.base, self.login_id = base, login_id
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.statuses, self.errors, self.timings = [], [], []  # timings: (kind, seconds)
        self.acknowledged, self.submits = {}, []
        self.attempt_id = None
        self.round_trips = 0

    def request(self, path, data=None, json_body=None, csrf=None, kind=None):
        """One call (following a redirect); status 0 when the client got no HTTP answer at all."""
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
                                        timeout=120)
            status, text, final = response.status, response.read().decode(), response.geturl()
        except urllib.error.HTTPError as error:
            status, text, final = error.code, error.read().decode(errors="replace"), error.geturl() or path
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            reason = getattr(error, "reason", error)
            status, text, final = 0, "", path
            self.errors.append(f"client: {type(reason).__name__}: {reason}"[:200])
        elapsed = time.perf_counter() - started
        self.round_trips += 1 + (status != 0 and not final.endswith(path))  # a redirect followed
        if kind:
            self.timings.append((kind, elapsed))
        self.statuses.append(status)
        if "database is locked" in text:
            self.errors.append("database is locked")
        if status >= 500:
            self.errors.append(f"{kind or path}: {status}")
        return status, text, final

    def login(self):
        _status, page, _url = self.request("/auth/login")
        token = self.CSRF.search(page).group(1)
        _status, _page, url = self.request("/auth/login", {"login_id": self.login_id, "password": "Scale@2026",
                                                           "csrf_token": token})
        if "/auth/login" in url:
            raise RuntimeError(f"login failed for {self.login_id}")

    def quiz_token(self, quiz_id):
        status, page, _url = self.request(f"/quizzes/{quiz_id}")
        match = self.CSRF.search(page)
        if not match:
            raise RuntimeError(f"quiz page {status} without a CSRF token")
        return match.group(1)

    def start(self, quiz_id, token, kind="start"):
        """POST start; return (attempt id or None, attempt page)."""
        _status, page, url = self.request(f"/quizzes/{quiz_id}/start", {"csrf_token": token}, kind=kind)
        match = self.ATTEMPT.search(url)
        return (int(match.group(1)) if match else None), page

    def autosave(self, position, key, csrf, kind="answer"):
        status, text, _u = self.request(f"/quizzes/attempts/{self.attempt_id}/answers/{position}",
                                        json_body={"response": key}, csrf=csrf, kind=kind)
        try:
            saved = status == 200 and json.loads(text).get("saved") is True
        except ValueError:
            saved = False
        return status, saved

    def take(self, quiz_id, barrier):
        try:
            token = self.quiz_token(quiz_id)
        except Exception as error:  # still meet the others at the barrier, or they wait forever
            self.errors.append(f"before start: {error}")
            barrier.wait()
            return
        barrier.wait()
        try:
            self.answer_and_submit(quiz_id, token)
        except Exception as error:  # an unexpected page: count it, the database check shows the rest
            self.errors.append(f"client: {type(error).__name__}: {error}"[:200])

    def answer_and_submit(self, quiz_id, token):
        attempt, page = self.start(quiz_id, token)
        if attempt is None:
            self.errors.append("start failed")
            return
        self.attempt_id = attempt
        csrf = self.ANSWER_CSRF.search(page).group(1)
        fields = self.FIELDSETS.findall(page)
        if len(fields) != QUESTIONS:
            self.errors.append(f"attempt page showed {len(fields)} questions")
        for position, key in fields:
            _status, saved = self.autosave(int(position), key, csrf)
            if saved:
                self.acknowledged[int(position)] = key
        for _ in range(2):  # the double click
            status, text, _u = self.request(f"/quizzes/attempts/{attempt}/submit", json_body={}, csrf=csrf,
                                            kind="submit")
            try:
                body = json.loads(text) if status == 200 else None
            except ValueError:
                body = None
            self.submits.append((status, body))


def run_threads(targets):
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def parallel_starts(members, quiz_id):
    """For each member in turn: 20 POST /start at once, same session and CSRF token. Return the 5xx count,
    the starts answered without an attempt, and the largest number of distinct attempts one member was shown."""
    server_errors = refused = most_shown = 0
    for member in members:
        token = member.quiz_token(quiz_id)
        barrier = threading.Barrier(PARALLEL_STARTS)
        results = []

        def one():
            barrier.wait()
            before = len(member.statuses)
            attempt, _page = member.start(quiz_id, token, kind="parallel_start")
            results.append((attempt, member.statuses[before:]))

        run_threads([one] * PARALLEL_STARTS)
        server_errors += sum(1 for _a, statuses in results for s in statuses if s >= 500)
        refused += sum(1 for attempt, _s in results if attempt is None)
        most_shown = max(most_shown, len({attempt for attempt, _s in results if attempt is not None}))
    return server_errors, refused, most_shown


def late_answers(app, members, quiz_id):
    """Each member starts, saves position 0 in time, then their deadline (and its grace) passes; they send a
    new answer to position 1 and a changed one to position 0. Return what the clients were told."""
    from sqlalchemy import update

    from learning_app.extensions import db
    from learning_app.models import utcnow
    from quizzes.models import Attempt
    from quizzes.services.attempts import GRACE
    csrfs, in_time = {}, {}
    for member in members:
        attempt, page = member.start(quiz_id, member.quiz_token(quiz_id), kind="late_start")
        if attempt is None:
            member.errors.append("late start failed")
            continue
        member.attempt_id = attempt
        csrfs[member.login_id] = member.ANSWER_CSRF.search(page).group(1)
        keys = dict(Member.FIELDSETS.findall(page))
        in_time[member.login_id] = keys["0"], keys["1"]
        _status, saved = member.autosave(0, keys["0"], csrfs[member.login_id], kind="late_in_time")
        if saved:
            member.acknowledged[0] = keys["0"]
    ids = [m.attempt_id for m in members if m.attempt_id]
    with app.app_context():  # the time runs out: deadline one minute further back than the grace
        db.session.execute(update(Attempt).where(Attempt.id.in_(ids))
                           .values(deadline_at=utcnow() - GRACE - timedelta(minutes=1)))
        db.session.commit()
        db.engine.dispose()
    sent, outcomes = [], []
    lock = threading.Lock()

    def late(member):
        key0, key1 = in_time[member.login_id]
        changed0 = next(k for k in "ABCD" if k != key0)
        for position, key in ((1, key1), (0, changed0)):
            status, saved = member.autosave(position, key, csrfs[member.login_id], kind="late_answer")
            with lock:
                sent.append((member.attempt_id, position, key))
                outcomes.append((status, saved))

    run_threads([lambda m=m: late(m) for m in members if m.login_id in csrfs])
    return sent, outcomes


def verify(app, rush, parallel, late, quiz_ids, late_sent):
    from sqlalchemy import select

    from learning_app.extensions import db
    from learning_app.models import User
    from quizzes.models import Attempt, AttemptAnswer, AttemptStatus
    with app.app_context():
        user_ids = dict(db.session.execute(select(User.login_id, User.id)).all())
        attempts = db.session.execute(select(Attempt.id, Attempt.quiz_id, Attempt.user_id, Attempt.status,
                                             Attempt.open_slot, Attempt.score, Attempt.submitted_at,
                                             Attempt.deadline_at)).all()
        saved = {(a, p): r for a, p, r in db.session.execute(
            select(AttemptAnswer.attempt_id, AttemptAnswer.position, AttemptAnswer.response))}
        db.engine.dispose()

    def of(quiz, member):
        return [a for a in attempts if a.quiz_id == quiz_ids[quiz] and a.user_id == user_ids[member.login_id]]

    lost = sum(1 for m in rush + late for position, key in m.acknowledged.items()
               if saved.get((m.attempt_id, position)) != key)
    graded_counts = [sum(1 for a in of("rush", m) if a.status == AttemptStatus.GRADED) for m in rush]
    second_not_ok = score_mismatch = stored_unacknowledged = 0
    for member in rush:
        first, second = (member.submits + [(0, None), (0, None)])[:2]
        # A second submit the client got no answer to is a client-side failure, counted there.
        if second[0] != 0 and (second[0] != 200 or not second[1] or second[1].get("status") != "graded"
                               or (first[0] == 200 and second[1] != first[1])):
            second_not_ok += 1
        for attempt in of("rush", member):
            stored = {p: r for (a, p), r in saved.items() if a == attempt.id and r is not None}
            stored_unacknowledged += sum(1 for p in stored if p not in member.acknowledged)
            if attempt.status == AttemptStatus.GRADED and (
                    attempt.score != sum(1 for r in stored.values() if r == "A")  # "A" is every right answer
                    or (first[0] == 200 and first[1].get("score") != attempt.score)):
                score_mismatch += 1
    parallel_open = [sum(1 for a in of("parallel", m) if a.open_slot == 1 and a.status == AttemptStatus.IN_PROGRESS)
                     for m in parallel]
    parallel_all = [len(of("parallel", m)) for m in parallel]
    late_stored = sum(1 for attempt, position, key in late_sent if saved.get((attempt, position)) == key)
    late_open = sum(1 for m in late for a in of("late", m)
                    if a.open_slot == 1 or a.status != AttemptStatus.GRADED or a.submitted_at != a.deadline_at)
    late_lost = sum(1 for m in late if saved.get((m.attempt_id, 0)) != m.acknowledged.get(0, "missing"))
    return {"attempts": sum(1 for a in attempts if a.quiz_id == quiz_ids["rush"]),
            "graded": sum(graded_counts),
            "users_without_exactly_one_graded_attempt": sum(1 for n in graded_counts if n != 1),
            # ... of whom every request got an HTTP answer (the others gave up waiting: see client_side_failures)
            "users_without_exactly_one_graded_attempt_all_answered": sum(
                1 for n, m in zip(graded_counts, rush, strict=True) if n != 1 and 0 not in m.statuses),
            "answers_stored_but_not_acknowledged": stored_unacknowledged,
            "users_with_more_than_one_attempt": sum(1 for m in rush if len(of("rush", m)) > 1),
            "acknowledged_answers": sum(len(m.acknowledged) for m in rush),
            "acknowledged_but_lost": lost, "second_submit_not_ok": second_not_ok, "score_mismatch": score_mismatch,
            "parallel_start_users": len(parallel),
            "max_open_attempts_after_parallel_starts": max(parallel_open, default=0),
            "max_attempts_after_parallel_starts": max(parallel_all, default=0),
            "late_answers_stored": late_stored, "late_attempts_left_open": late_open,
            "late_in_time_answers_lost": late_lost}


def server_log_figures(path, workers):
    text = Path(path).read_text(errors="replace")
    tracebacks = text.count("Traceback (most recent call last)")
    last_error = next((line for line in reversed(text.splitlines())
                       if re.match(r"\w+(\.\w+)*(Error|Exception): ", line)), None)
    first = None
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last)")), None)
    if start is not None:
        end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith(" ")), start)
        first = "\n".join(lines[start:end + 1][-12:])
    return {"server_log_tracebacks": tracebacks, "server_log_first_traceback": first,
            "server_log_database_locked": text.count("database is locked"),
            "server_log_worker_timeouts": text.count("WORKER TIMEOUT"),
            "server_worker_restarts": max(0, text.count("Booting worker with pid") - workers),
            "server_log_last_error": last_error}


def core_busy():
    """Busy clock ticks per core since boot, from /proc/stat."""
    busy = {}
    for line in Path("/proc/stat").read_text().splitlines():
        match = re.match(r"cpu(\d+) (.*)", line)
        if match:
            fields = [int(x) for x in match.group(2).split()]
            busy[int(match.group(1))] = sum(fields[:8]) - fields[3] - fields[4]  # all but idle and iowait
    return busy


def tree_ticks(pid):
    """CPU ticks of a process, its reaped children and its live descendants."""
    total, pending, first = 0, [pid], True
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if first else 0)
        pending.extend(int(c) for c in children)
        first = False
    return total


def cpu_snapshot(server_pid):
    times = os.times()
    return core_busy(), tree_ticks(server_pid), times.user + times.system, time.perf_counter()


def cpu_figures(before, after):
    """Where the CPU went during the rush: per-core busy share, the server's and the clients' CPU seconds, and
    the rest (other processes, PostgreSQL included when it is the database)."""
    hz = os.sysconf("SC_CLK_TCK")
    wall = after[3] - before[3]
    busy = {core: (after[0][core] - before[0][core]) / hz for core in after[0]}
    server = (after[1] - before[1]) / hz
    client = after[2] - before[2]
    return {"core_busy_share": {str(core): round(seconds / wall, 2) for core, seconds in busy.items()},
            "server_cpu_seconds": round(server, 1), "client_cpu_seconds": round(client, 1),
            "other_cpu_seconds": round(max(0.0, sum(busy.values()) - server - client), 1)}


def pinning_plan():
    cpus = os.cpu_count() or 1
    if cpus < 2:
        return {"pinned": False, "reason": "only one CPU: server and clients share it"}
    if not shutil.which("taskset"):
        return {"pinned": False, "reason": "taskset not found"}
    if not {SERVER_CPU, CLIENT_CPU} <= os.sched_getaffinity(0):
        return {"pinned": False, "reason": f"cores {SERVER_CPU} and {CLIENT_CPU} not both available"}
    return {"pinned": True}


def one_run(url, workdir, users, pinning):
    app = bench_app(url, workdir)
    quiz_ids, rush_logins, parallel_logins, late_logins = prepare(app, users)
    log_path = Path(workdir) / "gunicorn.log"
    core = SERVER_CPU if pinning["pinned"] else None
    workers = gunicorn_workers(core)
    load_before = [round(x, 2) for x in os.getloadavg()]
    with open(log_path, "w") as log:
        server, base = start_gunicorn(url, workdir, core, log)
    try:
        server_affinity = sorted(os.sched_getaffinity(server.pid))
        rush = [Member(base, login) for login in rush_logins]
        parallel = [Member(base, login) for login in parallel_logins]
        late = [Member(base, login) for login in late_logins]
        # Logging in (scrypt) is not part of the rush: a few at a time, before the barrier.
        login_started = time.perf_counter()
        with ThreadPoolExecutor(LOGIN_THREADS) as pool:
            list(pool.map(Member.login, rush + parallel + late))
        login_seconds = time.perf_counter() - login_started
        for member in rush + parallel + late:
            member.statuses.clear()
            member.round_trips = 0
        released = []
        cpu_before = cpu_snapshot(server.pid)
        barrier = threading.Barrier(len(rush), action=lambda: released.append(time.perf_counter()))
        run_threads([lambda m=m: m.take(quiz_ids["rush"], barrier) for m in rush])
        elapsed = time.perf_counter() - released[0]
        cpu = cpu_figures(cpu_before, cpu_snapshot(server.pid))
        rush_round_trips = sum(m.round_trips for m in rush)
        cpu["server_cpu_ms_per_request"] = round(1000 * cpu["server_cpu_seconds"] / rush_round_trips, 1) \
            if rush_round_trips else None
        rush_statuses = [s for m in rush for s in m.statuses]
        parallel_5xx, parallel_refused, parallel_shown = parallel_starts(parallel, quiz_ids["parallel"])
        late_sent, late_outcomes = late_answers(app, late, quiz_ids["late"])
    finally:
        stop_gunicorn(server)
    everyone = rush + parallel + late
    timings = sorted(t for m in rush for kind, t in m.timings)
    by_kind = {kind: sorted(t for m in rush for k, t in m.timings if k == kind) for kind in ("start", "answer",
                                                                                             "submit")}
    result = {"users": len(rush), "load_average_before": load_before, "server_cpus": server_affinity,
              "login_seconds": round(login_seconds, 1), "seconds": round(elapsed, 2),
              "requests": rush_round_trips, "requests_per_second": round(rush_round_trips / elapsed, 1),
              "server_errors_5xx": sum(1 for m in everyone for s in m.statuses if s >= 500),
              "client_side_failures": sum(1 for m in everyone for s in m.statuses if s == 0),
              "database_locked_seen": sum(1 for m in everyone for e in m.errors if "locked" in e),
              "rush_statuses": {str(s): rush_statuses.count(s) for s in sorted(set(rush_statuses))},
              "client_errors": sorted({e for m in everyone for e in m.errors})[:10],
              "p50_ms": ms(percentile(timings, 0.50)), "p95_ms": ms(percentile(timings, 0.95)),
              "p99_ms": ms(percentile(timings, 0.99)), "max_ms": ms(timings[-1] if timings else None),
              **{f"{kind}_p95_ms": ms(percentile(values, 0.95)) for kind, values in by_kind.items()},
              "parallel_start_5xx": parallel_5xx, "parallel_start_refused": parallel_refused,
              "max_distinct_attempts_shown_to_one_parallel_starter": parallel_shown,
              "late_answers_sent": len(late_sent),
              "late_answers_refused": sum(1 for status, saved in late_outcomes if not saved),
              "late_answers_accepted": sum(1 for status, saved in late_outcomes if saved),
              "late_answer_statuses": sorted({status for status, _saved in late_outcomes}), **cpu}
    result.update(verify(app, rush, parallel, late, quiz_ids, late_sent))
    result.update(server_log_figures(log_path, workers))
    return result


def summarise(runs):
    summary = {}
    for key in runs[0]:
        values = [run[key] for run in runs]
        if key in COUNTER_KEYS:
            summary[key] = max(values)
        elif key in TIMING_KEYS or key in {"requests", "attempts", "graded", "acknowledged_answers"}:
            summary[key] = round(statistics.median(values), 2)
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            summary[key] = max(values)
    return summary


def print_table(runs, summary):
    rows = ["users", "seconds", "requests", "requests_per_second", "p50_ms", "p95_ms", "p99_ms", "max_ms",
            "start_p95_ms", "answer_p95_ms", "submit_p95_ms", "login_seconds", "server_errors_5xx",
            "client_side_failures", "database_locked_seen", "acknowledged_answers", "acknowledged_but_lost",
            "answers_stored_but_not_acknowledged", "graded", "users_without_exactly_one_graded_attempt",
            "users_without_exactly_one_graded_attempt_all_answered", "users_with_more_than_one_attempt",
            "second_submit_not_ok", "score_mismatch", "parallel_start_users", "parallel_start_5xx",
            "parallel_start_refused", "max_open_attempts_after_parallel_starts",
            "max_attempts_after_parallel_starts", "late_answers_sent", "late_answers_refused",
            "late_answers_stored", "late_attempts_left_open", "late_in_time_answers_lost",
            "server_log_tracebacks", "server_log_database_locked", "server_log_worker_timeouts",
            "server_worker_restarts", "server_cpu_seconds", "server_cpu_ms_per_request", "client_cpu_seconds",
            "other_cpu_seconds"]
    header = f"{'':>60}" + "".join(f"{'run ' + str(i + 1):>10}" for i in range(len(runs))) + f"{'reported':>10}"
    print(header)
    for key in rows:
        how = "median" if key in TIMING_KEYS else "worst" if key in COUNTER_KEYS else ""
        cells = "".join(f"{str(run.get(key)):>10}" for run in runs)
        print(f"{key + (' (' + how + ')' if how else ''):>60}{cells}{str(summary.get(key, '')):>10}")
    for index, run in enumerate(runs):
        if run["client_errors"] or run["server_log_last_error"]:
            print(f"run {index + 1}: client errors {run['client_errors']}; last server error: "
                  f"{run['server_log_last_error']}")


def main():
    url_env = os.environ.get("BENCH_DATABASE_URL")
    postgres = bool(url_env) and url_env.startswith("postgresql")
    users = int(os.environ.get("RUSH_USERS") or (1000 if postgres else 200))
    runs_wanted = int(os.environ.get("RUSH_RUNS", "3"))
    pinning = pinning_plan()
    original_affinity = os.sched_getaffinity(0)
    if pinning["pinned"]:
        # This thread and every client thread it starts run on core 1; gunicorn is started under taskset -c 0.
        os.sched_setaffinity(0, {CLIENT_CPU})
        pinning.update(server=f"taskset -c {SERVER_CPU}", client_cpus=sorted(os.sched_getaffinity(0)))
        if postgres:
            pinning["database_server"] = "PostgreSQL itself is not pinned (a system service): it shares both cores"
    runs = []
    try:
        for index in range(runs_wanted):
            workdir = tempfile.mkdtemp(prefix="rush-")
            url = url_env or f"sqlite:///{workdir}/rush.sqlite"
            print(f"run {index + 1}/{runs_wanted}: {users} members on {url.split(':')[0]} ...", flush=True)
            # Each run in a fresh interpreter: the schema it creates comes from the same code as the server
            # it starts (the app may change between runs while someone works on it).
            out = Path(workdir) / "run.json"
            subprocess.run([sys.executable, str(Path(__file__).resolve()), "--one-run", url, workdir, str(users),
                            json.dumps(pinning), str(out)], check=True)
            runs.append(json.loads(out.read_text()))
            if pinning["pinned"] and runs[-1]["server_cpus"] != [SERVER_CPU]:
                pinning["pinned"] = False
                pinning["reason"] = f"gunicorn ran on cores {runs[-1]['server_cpus']}"
            if not url_env and not runs[-1]["server_log_tracebacks"]:
                shutil.rmtree(workdir, ignore_errors=True)
    finally:
        os.sched_setaffinity(0, original_affinity)
    summary = summarise(runs)
    report = {"benchmark": "exam_rush", "database": (url_env or "sqlite").split(":")[0], "users": users,
              "runs": len(runs), "pinning": pinning,
              "machine": {"python": platform.python_version(), "platform": platform.platform(),
                          "cpus": os.cpu_count(), "processor": platform.processor()},
              "how_reported": "timings: median of the runs; correctness counters: worst run",
              "summary": summary, "per_run": runs}
    family = "postgresql" if postgres else database_family(report["database"])
    out = write_report("exam_rush", family, report)
    print(f"exam rush on {report['database']}, {users} members, {len(runs)} runs, pinning: "
          f"{'server core 0, clients core 1' if pinning['pinned'] else pinning.get('reason')}")
    print_table(runs, summary)
    print(f"written {out}")


def app_code_state():
    """The commit and the app files changed on top of it when the run started (read-only git calls)."""
    def git(*args):
        try:
            return subprocess.run(["git", "--no-optional-locks", *args], cwd=ROOT, capture_output=True, text=True,
                                  timeout=30).stdout.rstrip()
        except (OSError, subprocess.SubprocessError):
            return ""
    changed = git("status", "--porcelain", "--", "learning_app", "courses", "quizzes", "analytics", "migrations")
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted_app_files": changed.splitlines()}


def child(url, workdir, users, pinning, out):
    threading.stack_size(1024 * 1024)  # up to a thousand client threads
    code = app_code_state()
    result = one_run(url, workdir, int(users), json.loads(pinning))
    result["app_code"] = code
    result["workdir"] = workdir
    Path(out).write_text(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one-run"]:
        child(*sys.argv[2:7])
    else:
        main()

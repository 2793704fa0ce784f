"""Benchmark: throughput and latency of what members do, each kind against /healthz on the same server.

Runs the production setup (gunicorn with gunicorn.conf.py) on 127.0.0.1 and drives it with locust
headless in a separate process (bench/locustfile.py), the server pinned to one core and locust to
another with taskset (unpinned, and recorded so, without taskset or a second core).

One locust run goes through phases, each with the same number of concurrent simulated members
(BENCH_LOAD_USERS) doing only one kind of request, back to back, for BENCH_LOAD_SECONDS:
healthz (anonymous: the minimal request, baseline B), login (short: scrypt is slow on purpose),
learning page, lesson, heartbeat (video progress), quiz start (short), quiz autosave, quiz submit,
and finally "mixed", the whole member journey with an anonymous /healthz probe beside it. A kind's
throughput is its phase's requests per second; its ratio to B is what the targets are about:
learning page >= 0.30 B, quiz autosave >= 0.25 B on PostgreSQL (0.15 B on SQLite), quiz submit
>= 0.10 B, and quiz autosave p95 within 10x healthz p95; and for the member's own pages (issue 19)
lesson page >= 0.25 B, heartbeat >= 0.30 B, quiz start >= 0.10 B, shown together with the learning
page and the machine's load average at the start and the end; and for the reminders (issue 21) the
learning page again while bench/reminder_load.py queues reminders for every member in a process of its
own, on the locust core: at least 0.80 of the learning page's own throughput.

The whole measurement runs BENCH_LOAD_RUNS times (a fresh gunicorn and other members each time);
the report gives every figure's median over the runs and the runs themselves. Data: an organisation
of BENCH_LOAD_MEMBERS members (analytics.scale), a video course assigned to everyone, and quizzes
open to everyone (10 single-choice questions, unlimited attempts), in a fresh SQLite file or in
BENCH_DATABASE_URL's PostgreSQL database (emptied first). Writes bench/results/load.json.
"""
import contextlib
import csv
import io
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import (  # noqa: E402
    database_family,
    gunicorn_threads,
    gunicorn_workers,
    process_tree_seconds,
    start_gunicorn,
    stop_gunicorn,
    write_report,
)

MEMBERS = int(os.environ.get("BENCH_LOAD_MEMBERS", "2000"))
USERS = int(os.environ.get("BENCH_LOAD_USERS", "20"))
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "20"))
RUNS = int(os.environ.get("BENCH_LOAD_RUNS", "3"))
COURSES = 10
QUESTIONS = 10
JOURNEY_HEARTBEATS = 3
# Each quiz start needs a quiz the member has no attempt on, each submit an open attempt of its own:
# enough are prepared for this many requests per second through the phase. A member's pool can still
# run dry: a keep-alive connection stays with the gunicorn worker that accepted it, connections spread
# unevenly over the workers, and the kernel shares the core between workers, not connections, so a
# member whose worker serves few others runs several times faster than the average. The report says
# so, with the server's CPU in that phase: while the core stays busy the phase's figure holds.
POOL_RPS = 400
# Phase kinds, comma-separated ("quiz autosave,learning page"): py-spy (if installed) samples the
# server's workers through those phases of the first run and the report lists the hot spots.
# Sampling costs the server some CPU: read that run's figures with this in mind.
PROFILE = [kind.strip() for kind in os.environ.get("BENCH_LOAD_PROFILE", "").split(",") if kind.strip()]

# "learning + reminders": the learning page again while bench/reminder_load.py queues
# reminders for every member, round after round, in a process of its own (issue 21: at most 20 % fewer).
WITH_REMINDERS = "learning + reminders"
KINDS = ["healthz", "login", "learning page", WITH_REMINDERS, "lesson", "heartbeat", "quiz start", "quiz autosave",
         "quiz submit"]
MIXED_KINDS = ["healthz", "learning page", "lesson", "heartbeat", "quiz start", "quiz page", "quiz autosave",
               "quiz submit"]


def phase_plan():
    # Login and quiz start carry no target: short phases keep the whole benchmark within minutes.
    short = max(5, SECONDS // 2)
    lengths = {"warm-up": 3, "login": short, "quiz start": short}
    return [{"kind": kind, "seconds": lengths.get(kind, SECONDS)} for kind in ["warm-up", *KINDS, "mixed"]]


def targets(database):
    autosave = 0.25 if database == "postgresql" else 0.15
    return [("learning page", "ratio_to_healthz", ">=", 0.30), ("quiz autosave", "ratio_to_healthz", ">=", autosave),
            ("quiz submit", "ratio_to_healthz", ">=", 0.10), ("quiz autosave", "p95_ratio_to_healthz", "<=", 10.0),
            # The member's own pages (issue 19), against the learning page's figure in the same run.
            ("lesson", "ratio_to_healthz", ">=", 0.25), ("heartbeat", "ratio_to_healthz", ">=", 0.30),
            ("quiz start", "ratio_to_healthz", ">=", 0.10),
            # The reminders (issue 21): the learning page keeps at least 80 % of its throughput beside them.
            (WITH_REMINDERS, "ratio_to_learning_page", ">=", 0.80)]


# The member's own pages, reported together: their ratios to B, beside the learning page's.
MEMBER_PAGES = ["learning page", "lesson", "heartbeat", "quiz start"]


def cores():
    """(server core, locust core), or None when pinning is impossible."""
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if shutil.which("taskset") and len(available) >= 2:
        return available[0], available[1]
    return None


def pinned(command, core):
    return ["taskset", "-c", str(core), *command] if core is not None else command


# -- data ------------------------------------------------------------------------------------------------

def prepare(url, workdir):
    """Generate the organisation, a video course assigned to everyone, the quizzes and the prepared attempts."""
    from sqlalchemy import select

    from analytics.scale import SCALE_PASSWORD, generate
    from learning_app import create_app
    from learning_app.extensions import db
    from learning_app.models import User
    from quizzes.models import Attempt
    app = create_app("production", SECRET_KEY="bench", SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=workdir,
                     UPLOAD_DIR=str(Path(workdir) / "uploads"))
    with app.app_context():
        db.drop_all()
        db.create_all()
        top = generate(MEMBERS, max(4, MEMBERS // 50), COURSES)
        owner = db.session.scalar(select(User).order_by(User.id).limit(1))
        course_id, lesson_key = video_course(owner, top)
        seconds_short = next(p["seconds"] for p in phase_plan() if p["kind"] == "quiz start")
        submit_pool = math.ceil(POOL_RPS * SECONDS / USERS)
        start_pool = math.ceil(POOL_RPS * seconds_short / USERS)
        quiz_ids = quizzes(owner, 1 + submit_pool + start_pool)
        journey_quiz, submit_quizzes, start_quizzes = (quiz_ids[0], quiz_ids[1:1 + submit_pool],
                                                       quiz_ids[1 + submit_pool:])
        # Members spread over the whole organisation, a different set for every run.
        everyone = db.session.execute(select(User.id, User.login_id).order_by(User.id)).all()[1:]
        step = max(1, len(everyone) // (RUNS * USERS))
        chosen = everyone[::step][:RUNS * USERS]
        if len(chosen) < RUNS * USERS:
            raise SystemExit(f"BENCH_LOAD_MEMBERS={MEMBERS} is too few for {RUNS} runs of {USERS} users")
        open_attempts(owner, [user_id for user_id, _login in chosen], submit_quizzes)
        by_user = {}
        for attempt_id, user_id in db.session.execute(
                select(Attempt.id, Attempt.user_id).where(Attempt.quiz_id.in_(submit_quizzes), Attempt.open_slot == 1)
                .order_by(Attempt.user_id, Attempt.quiz_id)):
            by_user.setdefault(user_id, []).append(attempt_id)
        db.session.commit()
        runs = [[login for _user, login in chosen[i * USERS:(i + 1) * USERS]] for i in range(RUNS)]
        prepared = {login: by_user[user_id] for user_id, login in chosen}
        db.engine.dispose()
    return {"password": SCALE_PASSWORD, "course_id": course_id, "lesson_key": lesson_key, "questions": QUESTIONS,
            "journey_quiz": journey_quiz, "journey_heartbeats": JOURNEY_HEARTBEATS, "start_quizzes": start_quizzes,
            "runs": runs, "prepared_attempts": prepared}


def video_course(owner, top):
    """A published course with one video lesson (the demo's WebM), assigned to the whole organisation."""
    from courses.models import Assignment, Chapter, Course, CourseRevision, FileKind, Lesson, LessonKind, RevisionStatus
    from courses.services.authoring import record_file
    from courses.uploads import save_upload
    from learning_app.extensions import db
    now = datetime.now(UTC)
    course = Course(author_id=owner.id)
    db.session.add(course)
    db.session.flush()
    revision = CourseRevision(course_id=course.id, number=1, status=RevisionStatus.PUBLISHED,
                              title="视频微党课（负载测试）", summary="负载测试课程", tags=["负载"],
                              hours=Decimal("1.0"), published_at=now)
    db.session.add(revision)
    db.session.flush()
    chapter = Chapter(revision_id=revision.id, position=0, title="第一章")
    db.session.add(chapter)
    db.session.flush()
    video = ROOT / "courses" / "demo" / "lesson.webm"
    stored = record_file(course, owner, save_upload(io.BytesIO(video.read_bytes()), "微党课.webm", {FileKind.VIDEO}),
                         "微党课.webm")
    # Twenty minutes long, so that no member completes it during a run: every heart-beat is an ordinary one.
    lesson = Lesson(chapter_id=chapter.id, revision_id=revision.id, position=0, title="视频微党课",
                    kind=LessonKind.VIDEO, body="请完整观看视频。", file_id=stored.id, duration_seconds=1200)
    db.session.add(lesson)
    db.session.flush()
    course.published_revision_id = revision.id
    db.session.add(Assignment(course_id=course.id, org_id=top.id, required=True, is_active=True, categories="",
                              positions="", deadline=date.today() + timedelta(days=30), assigned_by_id=owner.id))
    db.session.flush()
    return course.id, lesson.key


def quizzes(owner, count):
    """`count` published quizzes open to everyone, each the same 10 single-choice questions, no attempt limit."""
    from learning_app.extensions import db
    from quizzes.models import Question, QuestionBank, QuestionStatus, QuestionType, Quiz, QuizItem
    bank = QuestionBank(name="负载测试题库", owner_id=owner.id)
    db.session.add(bank)
    db.session.flush()
    questions = [Question(bank_id=bank.id, author_id=owner.id, type=QuestionType.SINGLE,
                          status=QuestionStatus.PUBLISHED, stem=f"第 {i + 1} 题",
                          options=[{"key": k, "text": k, "weight": 0.0} for k in "ABCD"], answer="A")
                 for i in range(QUESTIONS)]
    db.session.add_all(questions)
    db.session.flush()
    ids = []
    for number in range(count):
        # max_attempts None: members may start again and again; two hours outlast any run.
        quiz = Quiz(title=f"负载测试 {number + 1}", owner_id=owner.id, is_published=True, time_limit_minutes=120,
                    pass_percent=60, max_attempts=None)
        quiz.items = [QuizItem(question_id=q.id, position=i) for i, q in enumerate(questions)]
        db.session.add(quiz)
        db.session.flush()
        ids.append(quiz.id)
    return ids


def open_attempts(owner, user_ids, quiz_ids):
    """An open attempt with every answer saved for each member and quiz, as if started and filled in:
    inserted in bulk, since starting them over HTTP would take longer than the benchmark."""
    from sqlalchemy import insert, select

    from learning_app.extensions import db
    from quizzes.models import Attempt, AttemptAnswer, AttemptStatus, Question, QuestionBank
    question_ids = list(db.session.scalars(select(Question.id).join(QuestionBank).where(
        QuestionBank.name == "负载测试题库").order_by(Question.id)))
    rng = random.Random(2026)
    now = datetime.now(UTC)
    for user_id in user_ids:
        db.session.execute(insert(Attempt), [
            {"quiz_id": quiz_id, "user_id": user_id, "number": 1, "status": AttemptStatus.IN_PROGRESS,
             "open_slot": 1, "started_at": now, "deadline_at": now + timedelta(minutes=120),
             "max_score": float(len(question_ids))} for quiz_id in quiz_ids])
    attempts = db.session.scalars(select(Attempt.id).where(Attempt.user_id.in_(user_ids),
                                                           Attempt.quiz_id.in_(quiz_ids))).all()
    rows = []
    for attempt_id in attempts:
        order = list(range(len(question_ids)))
        rng.shuffle(order)
        for position, index in enumerate(order):
            options = list("ABCD")
            rng.shuffle(options)
            rows.append({"attempt_id": attempt_id, "position": position, "question_id": question_ids[index],
                         "option_order": options, "response": rng.choice("ABCD"), "saved_at": now, "points": 1.0})
        if len(rows) >= 20000:
            db.session.execute(insert(AttemptAnswer), rows)
            rows = []
    if rows:
        db.session.execute(insert(AttemptAnswer), rows)


# -- one measurement ---------------------------------------------------------------------------------------

class CpuSampler(threading.Thread):
    """Who kept the cores busy, sampled twice a second: each core's busy share (/proc/stat) and the CPU
    seconds of the server's and of locust's processes. A core busier than its process was is a core
    something else on the machine used: the figures of that phase are then not the server's alone."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples, self.watched, self.stopping = [], {}, threading.Event()

    def watch(self, name, pid):
        self.watched[name] = pid

    @staticmethod
    def cores():
        cpus = {}
        try:
            with open("/proc/stat") as stat:
                for line in stat:
                    if line.startswith("cpu") and line[3].isdigit():
                        name, *values = line.split()
                        values = [int(v) for v in values]
                        idle = values[3] + values[4]  # idle + iowait
                        cpus[int(name[3:])] = (sum(values) - idle, sum(values))
        except OSError:
            pass
        return cpus

    @classmethod
    def busy_for(cls, seconds):
        """Each core's busy share over the next `seconds`: what the machine does besides this benchmark."""
        before = cls.cores()
        time.sleep(seconds)
        return {core: round((busy - before[core][0]) / max(1, total - before[core][1]), 2)
                for core, (busy, total) in cls.cores().items() if core in before}

    def run(self):
        while not self.stopping.is_set():
            self.samples.append((time.time(), self.cores(),
                                 {name: process_tree_seconds(pid) for name, pid in list(self.watched.items())}))
            self.stopping.wait(0.5)

    def _inside(self, start, end):
        return [sample for sample in self.samples if start <= sample[0] <= end]

    def core_busy(self, core, start, end):
        inside = [cpus[core] for _t, cpus, _p in self._inside(start, end) if core in cpus]
        if len(inside) < 2:
            return None
        (busy0, total0), (busy1, total1) = inside[0], inside[-1]
        return round((busy1 - busy0) / (total1 - total0), 2) if total1 > total0 else None

    def process_busy(self, name, start, end):
        """The share of one core the named process tree used."""
        inside = [(moment, processes[name]) for moment, _c, processes in self._inside(start, end)
                  if processes.get(name) is not None]
        if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
            return None
        return round((inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0]), 2)


def wait_for_phase(events_path, kind, limit=900):
    """The phase's opening event (its "start" a moment ahead), once locust has written it; None if never."""
    deadline = time.time() + limit
    while time.time() < deadline:
        opened = [json.loads(line) for line in events_path.read_text().splitlines()] if events_path.exists() else []
        phase = next((event for event in opened if event["kind"] == kind), None)
        if phase:
            return phase
        time.sleep(0.2)
    return None


class ReminderLoad(threading.Thread):
    """Runs bench/reminder_load.py through the phase WITH_REMINDERS, on the locust core (the worker is
    another process on the machine; the server's core stays the server's). `outcome`: what it wrote."""

    def __init__(self, url, workdir, events_path, core):
        super().__init__(daemon=True)
        self.url, self.workdir, self.events_path, self.core = url, workdir, events_path, core
        self.outcome = None

    def run(self):
        phase = wait_for_phase(self.events_path, WITH_REMINDERS)
        if phase is None:
            self.outcome = {"error": "phase never opened"}
            return
        seconds = next(p["seconds"] for p in phase_plan() if p["kind"] == WITH_REMINDERS)
        # The app takes a second or so to start: started that much before the window opens.
        time.sleep(max(0.0, phase["start"] - 1.5 - time.time()))
        command = [sys.executable, str(ROOT / "bench" / "reminder_load.py"), self.url, str(self.workdir),
                   str(phase["start"] + seconds - time.time())]
        done = subprocess.run(pinned(command, self.core), capture_output=True, text=True, cwd=ROOT)
        lines = done.stdout.strip().splitlines()
        self.outcome = json.loads(lines[-1]) if done.returncode == 0 and lines else {"error": done.stderr[-500:]}


class Profiler(threading.Thread):
    """Runs `py-spy record` on the gunicorn tree while the phase `kind` lasts; the raw stacks go to `output`."""

    def __init__(self, kind, seconds, events_path, server_pid, output, core):
        super().__init__(daemon=True)
        self.kind, self.seconds, self.events_path, self.server_pid = kind, seconds, events_path, server_pid
        self.output, self.core, self.error = output, core, None

    def run(self):
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        deadline = time.time() + 900
        while time.time() < deadline:
            opened = [json.loads(line) for line in self.events_path.read_text().splitlines()] \
                if self.events_path.exists() else []
            phase = next((event for event in opened if event["kind"] == self.kind), None)
            if phase:
                break
            time.sleep(0.2)
        else:
            self.error = f"phase {self.kind!r} never opened"
            return
        time.sleep(max(0.0, phase["start"] - time.time()))
        # --nonblocking: the workers are not paused to be sampled, so the load is what it was. Stopped
        # with Ctrl-C (py-spy then writes its file) just before the phase ends, so that no request of
        # the next phase is counted.
        spy = subprocess.Popen(pinned([py_spy, "record", "--subprocesses", "--nonblocking", "--rate", "100",
                                       "--format", "raw", "--pid", str(self.server_pid), "--output", str(self.output)],
                                      self.core), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(max(0.0, phase["start"] + self.seconds - 0.3 - time.time()))
        spy.send_signal(signal.SIGINT)
        try:
            output, _ = spy.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            spy.kill()
            output, _ = spy.communicate()
        if not self.output.exists():
            self.error = output[-500:]


def frame_name(frame):
    """'do_execute (sqlalchemy/engine/default.py:951)' -> 'do_execute (sqlalchemy/engine/default.py)';
    py-spy mostly shortens paths itself, the rest are cut after site-packages, the project or the stdlib."""
    function, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", str(ROOT) + "/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "/lib/python3":
                path = "stdlib/" + path.split("/", 1)[-1]
            break
    return f"{function} ({path})"


def summarise_profile(path, top=15):
    """Hot spots of a py-spy raw profile: own time by package and by function, and the project's
    functions by time spent in them and below (the request handling they set off)."""
    own, own_package, below, total = {}, {}, {}, 0
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [frame_name(f) for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
        if not frames or not count.isdigit():
            continue
        count = int(count)
        total += count
        own[frames[-1]] = own.get(frames[-1], 0) + count
        where = frames[-1].split(" (", 1)[1].rstrip(")")
        package = where.split("/", 1)[0].removesuffix(".py")
        own_package[package] = own_package.get(package, 0) + count
        for name in set(frames):
            if name.split(" (", 1)[1].startswith(("learning_app/", "courses/", "quizzes/", "analytics/")):
                below[name] = below.get(name, 0) + count

    def ranked(counts):
        return [{"where": name, "percent": round(100 * count / total, 1)}
                for name, count in sorted(counts.items(), key=lambda item: -item[1])[:top]]

    return {"samples": total, "own_time_by_package": ranked(own_package), "own_time_by_function": ranked(own),
            "project_functions_inclusive": ranked(below)} if total else {"samples": 0}


def local_postgres_pid(url):
    """The local PostgreSQL postmaster, whose backends do the database's share of the work (unpinned)."""
    if not url.startswith("postgresql") or not any(host in url for host in ("@127.0.0.1", "@localhost", "@/")):
        return None
    try:
        import psutil
        for process in psutil.process_iter(["name"]):
            if process.info["name"] in ("postgres", "postmaster") and process.parent() is not None \
                    and process.parent().name() not in ("postgres", "postmaster"):
                return process.pid
    except Exception:  # no psutil, or no permission to look
        return None
    return None


def read_stats(prefix):
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv", newline="") as handle:
            failures = [f"{row['Name']}: {row['Error']} x{row['Occurrences']}" for row in csv.DictReader(handle)]
    return rows, failures


def number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def kind_figures(row, seconds):
    # Requests started inside the phase over its exact length: locust's own Requests/s divides by the
    # span from a name's first to last request, which is not the phase when a name recurs.
    count = int(row["Request Count"]) if row else 0
    return {"requests": count, "failures": int(row["Failure Count"]) if row else 0,
            "rps": round(count / seconds, 1) if seconds else None,
            "p50_ms": number(row and row["50%"]), "p95_ms": number(row and row["95%"]),
            "p99_ms": number(row and row["99%"]),
            "mean_ms": round(number(row and row["Average Response Time"]) or 0, 1)}


def measure(setup, url, workdir, run, core_pair):
    """One gunicorn, one locust run through every phase; the figures per kind."""
    server_core, locust_core = core_pair or (None, None)
    plan_path = Path(workdir) / f"plan-{run}.json"
    timeline_path = Path(workdir) / f"timeline-{run}.json"
    phases = phase_plan()
    events_path = Path(workdir) / f"events-{run}.jsonl"
    plan = {**{k: v for k, v in setup.items() if k != "runs"}, "members": setup["runs"][run], "users": USERS,
            "phases": phases, "timeline_path": str(timeline_path), "events_path": str(events_path)}
    plan["prepared_attempts"] = {login: setup["prepared_attempts"][login] for login in setup["runs"][run]}
    plan_path.write_text(json.dumps(plan))
    prefix = str(Path(workdir) / f"locust-{run}")
    # Both logs are closed in the finally below, once gunicorn and locust have stopped.
    server_log = open(Path(workdir) / f"gunicorn-{run}.log", "w")  # noqa: SIM115
    locust_log = open(Path(workdir) / f"locust-{run}.log", "w")  # noqa: SIM115
    sampler = CpuSampler()
    background = CpuSampler.busy_for(1.0)
    server = locust = None
    profilers = []
    try:
        server, base = start_gunicorn(url, workdir, server_core, server_log)
        sampler.start()
        limit = sum(p["seconds"] for p in phases) + 240  # a safety net: the users end the run themselves
        command = [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                   "-u", str(USERS + 1), "-r", str(USERS + 1), "-t", f"{limit}s", "--host", base, "--csv", prefix,
                   "--only-summary", "--exit-code-on-error", "0", "--loglevel", "WARNING"]
        sampler.watch("server", server.pid)
        if (postgres := local_postgres_pid(url)) is not None:
            # The whole PostgreSQL server: other clients of it on this machine count too.
            sampler.watch("database", postgres)
        locust = subprocess.Popen(pinned(command, locust_core), cwd=ROOT, stdout=locust_log, stderr=subprocess.STDOUT,
                                  env={**os.environ, "BENCH_LOAD_PLAN": str(plan_path)})
        sampler.watch("locust", locust.pid)
        reminders = ReminderLoad(url, workdir, events_path, locust_core)
        reminders.start()
        for kind in PROFILE if run == 0 else []:
            seconds = next(p["seconds"] for p in phases if p["kind"] == kind)
            profilers.append(Profiler(kind, seconds, events_path, server.pid,
                                      Path(workdir) / f"profile-{kind.replace(' ', '-')}.txt", locust_core))
            profilers[-1].start()
        with contextlib.suppress(subprocess.TimeoutExpired):  # killed below; its missing statistics end the benchmark
            locust.wait(timeout=limit + 120)
        if locust.returncode != 0 or not Path(f"{prefix}_stats.csv").exists():
            raise SystemExit(f"locust failed ({locust.returncode}); see {locust_log.name}")
        for profiler in profilers:
            profiler.join(timeout=60)
        reminders.join(timeout=120)
    finally:
        sampler.stopping.set()
        if locust is not None and locust.poll() is None:
            locust.kill()
            locust.wait()
        if server is not None:
            stop_gunicorn(server)
        server_log.close()
        locust_log.close()
    rows, failures = read_stats(prefix)
    timeline = json.loads(timeline_path.read_text())
    boots = worker_boot_times(Path(server_log.name).read_text())
    profile = {}
    for profiler in profilers:
        profile[profiler.kind] = {"phase": profiler.kind, "raw": str(profiler.output), "error": profiler.error}
        if profiler.output.exists():
            profile[profiler.kind] |= summarise_profile(profiler.output)
    health = {"failures": failures[:20], "problems": timeline["problems"], "gunicorn_worker_boots": len(boots),
              "cores_busy_before_run": background,
              "locust_cpu_warning": "CPU usage above" in Path(locust_log.name).read_text()}
    health["reminder_load"] = reminders.outcome
    return figures(rows, timeline, sampler, core_pair, boots) | health | {"profile": profile}


def worker_boot_times(log):
    """When gunicorn started a worker: at start, and again each time one reached max_requests (a worker
    boot imports and creates the whole app, a second or more of the server core's CPU)."""
    moments = []
    for line in log.splitlines():
        match = re.match(r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ([+-]\d{4})\] \[\d+\] \[INFO\] Booting worker", line)
        if match:
            moments.append(datetime.strptime(" ".join(match.groups()), "%Y-%m-%d %H:%M:%S %z").timestamp())
    return moments


def figures(rows, timeline, sampler, core_pair, boots):
    windows = {p["kind"]: p for p in timeline["phases"]}
    missing = [kind for kind, p in windows.items() if p["start"] is None]
    if missing:
        raise SystemExit(f"phases never ran: {missing}; timeline {timeline}")
    kinds, cpu = {}, {}
    for kind in KINDS:
        window = windows[kind]
        kinds[kind] = kind_figures(rows.get(kind), window["end"] - window["start"])
    for kind in ("login page",):
        kinds[kind] = kind_figures(rows.get(kind), windows["login"]["end"] - windows["login"]["start"])
    mixed_window = windows["mixed"]
    mixed = {kind: kind_figures(rows.get(f"mixed: {kind}"), mixed_window["end"] - mixed_window["start"])
             for kind in MIXED_KINDS}
    base = kinds["healthz"]
    for figures_ in [*kinds.values(), *mixed.values()]:
        figures_["ratio_to_healthz"] = round(figures_["rps"] / base["rps"], 3) if base["rps"] else None
        figures_["p95_ratio_to_healthz"] = (round(figures_["p95_ms"] / base["p95_ms"], 2)
                                            if figures_["p95_ms"] and base["p95_ms"] else None)
    learning = kinds["learning page"]["rps"]
    for figures_ in kinds.values():
        figures_["ratio_to_learning_page"] = round(figures_["rps"] / learning, 3) if learning else None
    for kind, window in windows.items():
        start, end = window["start"], window["end"]
        # In cores: 1.0 is one core fully used.
        cpu[kind] = {"server_cpu": sampler.process_busy("server", start, end),
                     "locust_cpu": sampler.process_busy("locust", start, end),
                     "database_cpu": sampler.process_busy("database", start, end)}
        # The log says whole seconds: a boot in the second the phase opened counts.
        cpu[kind]["worker_boots"] = sum(1 for moment in boots if math.floor(start) <= moment < end)
        if core_pair:
            cpu[kind] |= {"server_core_busy": sampler.core_busy(core_pair[0], start, end),
                          "locust_core_busy": sampler.core_busy(core_pair[1], start, end)}
            if cpu[kind]["server_core_busy"] is not None and cpu[kind]["server_cpu"] is not None:
                # Other processes on the machine ran on the server's core: the phase is not the server's alone.
                cpu[kind]["others_on_server_core"] = round(max(0.0, cpu[kind]["server_core_busy"]
                                                               - cpu[kind]["server_cpu"]), 2)
    # Requests per second of server CPU: the same comparison when other processes took part of the
    # server's core during some phases (a shared machine), so that its raw requests/s fell short.
    for kind in kinds:
        used = cpu["login" if kind == "login page" else kind]["server_cpu"]
        kinds[kind]["rps_per_server_core"] = round(kinds[kind]["rps"] / used, 1) if used else None
    for kind in kinds:
        healthz = kinds["healthz"]["rps_per_server_core"]
        own = kinds[kind]["rps_per_server_core"]
        kinds[kind]["ratio_to_healthz_per_server_core"] = round(own / healthz, 3) if own and healthz else None
    return {"kinds": kinds, "mixed": mixed, "cpu": cpu}


# -- the report ---------------------------------------------------------------------------------------------

def medians(runs, section):
    """Every figure's median over the runs; a ratio is taken within each run first (its own baseline)."""
    result = {}
    for kind in runs[0][section]:
        result[kind] = {}
        for figure in runs[0][section][kind]:
            values = [run[section][kind][figure] for run in runs if run[section][kind][figure] is not None]
            result[kind][figure] = round(statistics.median(values), 3) if values else None
    return result


def machine(core_pair):
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    return {"python": platform.python_version(), "platform": platform.platform(), "cpu_count": os.cpu_count(),
            "processor": platform.processor() or model, "pinned": core_pair is not None,
            "server_core": core_pair[0] if core_pair else None, "locust_core": core_pair[1] if core_pair else None,
            "gunicorn_workers": gunicorn_workers(core_pair[0] if core_pair else None),
            "gunicorn_threads": gunicorn_threads()}


def show(report):
    def cell(value, width, digits=1):
        return f"{value:>{width}.{digits}f}" if isinstance(value, (int, float)) else f"{'-':>{width}}"

    # srv/gen/db cpu: cores used by gunicorn, locust, PostgreSQL; others: the server core's share other
    # processes took; boots: gunicorn workers (re)started; xB/cpu: the ratio per CPU second of the server.
    print(f"{'kind':<21}{'req/s':>8}{'xB':>6}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'p95/B':>7}{'fail':>6}"
          f"{'srv cpu':>8}{'others':>7}{'boots':>6}{'gen cpu':>8}{'db cpu':>7}{'xB/cpu':>7}")
    for section, prefix in (("kinds", ""), ("mixed", "mixed: ")):
        for kind, f in report[section].items():
            cpu = report["cpu"].get("mixed" if section == "mixed" else "login" if kind == "login page" else kind, {})
            print(f"{prefix + kind:<21}{cell(f['rps'], 8)}{cell(f['ratio_to_healthz'], 6, 2)}"
                  f"{cell(f['p50_ms'], 8, 0)}{cell(f['p95_ms'], 8, 0)}{cell(f['p99_ms'], 8, 0)}"
                  f"{cell(f['p95_ratio_to_healthz'], 7, 1)}{cell(f['failures'], 6, 0)}"
                  f"{cell(cpu.get('server_cpu'), 8, 2)}{cell(cpu.get('others_on_server_core'), 7, 2)}"
                  f"{cell(cpu.get('worker_boots'), 6, 0)}{cell(cpu.get('locust_cpu'), 8, 2)}"
                  f"{cell(cpu.get('database_cpu'), 7, 2)}{cell(f.get('ratio_to_healthz_per_server_core'), 7, 2)}")
    for target in report["targets"]:
        print(f"target: {target['kind']} {target['figure']} {target['operator']} {target['limit']}: "
              f"{target['value']} -> {'met' if target['met'] else 'MISSED'}")
    for number_, run in enumerate(report["per_run"], start=1):
        shared = [kind for kind, cpu in run["cpu"].items() if (cpu.get("others_on_server_core") or 0) > 0.1]
        if shared:
            print(f"warning: in run {number_} other processes used the server's core during: {', '.join(shared)}")
    for run in report["problems"]:
        if run["problems"] or run["failures"] or run["locust_cpu_warning"]:
            print(f"run {run['run']}: problems {run['problems']} failures {run['failures'][:3]} "
                  f"locust CPU warning {run['locust_cpu_warning']}")
        for problem in run["problems"]:
            if problem.endswith("pool exhausted"):
                kind = "quiz " + problem.split()[0]
                busy = report["per_run"][run["run"] - 1]["cpu"][kind]["server_cpu"]
                verdict = "so its figure holds" if busy and busy >= 0.95 else "so its figure is too low"
                print(f"  {problem}: members whose worker served few others ran ahead (see POOL_RPS); the server "
                      f"used {busy} cores in that phase, {verdict}")


def show_member_pages(report):
    """The member's own pages against B in this run (medians of the runs), and how busy the machine was."""
    machine_ = report["machine"]
    print(f"member pages against /healthz B = {report['kinds']['healthz']['rps']} req/s "
          f"(median of {report['runs']} runs; load average {machine_['load_average_at_start']} at the start, "
          f"{machine_.get('load_average_at_end')} at the end):")
    for kind in MEMBER_PAGES:
        figures_ = report["kinds"][kind]
        print(f"  {kind:<14} {figures_['ratio_to_healthz']:>6} x B   p50 {figures_['p50_ms']} ms   "
              f"per server CPU {figures_['ratio_to_healthz_per_server_core']} x B")


def show_profile(profile):
    print(f"py-spy, phase {profile['phase']!r}, first run: {profile.get('samples', 0)} samples "
          f"{'(' + profile['error'] + ')' if profile.get('error') else ''}")
    for title, key in (("own time by package", "own_time_by_package"), ("own time by function", "own_time_by_function"),
                       ("project functions, inclusive", "project_functions_inclusive")):
        print(f"  {title}:")
        for row in profile.get(key, [])[:12]:
            print(f"    {row['percent']:5.1f}%  {row['where']}")


def main():
    workdir = tempfile.mkdtemp(prefix="load-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir}/load.sqlite"
    database = url.split(":")[0].split("+")[0]
    unknown = [kind for kind in PROFILE if kind not in KINDS + ["mixed"]]
    if unknown:
        raise SystemExit(f"BENCH_LOAD_PROFILE: {unknown} are not phases ({', '.join(KINDS + ['mixed'])})")
    core_pair = cores()
    load_average = [round(x, 2) for x in os.getloadavg()]
    started = time.perf_counter()
    print(f"preparing {MEMBERS} members on {database} in {workdir}", flush=True)
    setup = prepare(url, workdir)
    prepared_in = round(time.perf_counter() - started, 1)
    print(f"prepared in {prepared_in} s", flush=True)
    if core_pair:
        # This script only waits and samples: keep it off the server's core.
        os.sched_setaffinity(0, {core_pair[1]})
    runs = []
    for run in range(RUNS):
        print(f"run {run + 1} of {RUNS}", flush=True)
        runs.append(measure(setup, url, workdir, run, core_pair))
    report = {"benchmark": "load", "database": database,
              "database_server": "in the server's processes" if database == "sqlite" else "separate, not pinned",
              "members": MEMBERS, "users": USERS, "seconds": SECONDS,
              "runs": RUNS, "phases": phase_plan(),
              "machine": machine(core_pair) | {"load_average_at_start": load_average},
              "kinds": medians(runs, "kinds"), "mixed": medians(runs, "mixed"), "cpu": medians(runs, "cpu")}
    report["targets"] = []
    for kind, figure, operator, limit in targets(database):
        value = report["kinds"][kind][figure]
        met = value is not None and (value >= limit if operator == ">=" else value <= limit)
        report["targets"].append({"kind": kind, "figure": figure, "operator": operator, "limit": limit,
                                  "value": value, "met": met})
    report["problems"] = [{"run": i + 1, **{k: run[k] for k in ("problems", "failures", "gunicorn_worker_boots",
                                                                "locust_cpu_warning", "cores_busy_before_run",
                                                                "reminder_load")}}
                          for i, run in enumerate(runs)]
    report["per_run"] = [{k: run[k] for k in ("kinds", "mixed", "cpu")} for run in runs]
    if runs[0]["profile"]:
        report["profile"] = runs[0]["profile"]
    report["prepare_seconds"], report["total_seconds"] = prepared_in, round(time.perf_counter() - started, 1)
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["member_pages"] = {kind: {figure: report["kinds"][kind][figure] for figure in
                                     ("ratio_to_healthz", "p50_ms", "ratio_to_healthz_per_server_core")}
                              for kind in MEMBER_PAGES}
    result = write_report("load", database_family(database), report)
    show(report)
    show_member_pages(report)
    for number_, run in enumerate(runs, start=1):
        print(f"run {number_}: reminders beside the learning page: {run['reminder_load']}")
    for profile in report.get("profile", {}).values():
        show_profile(profile)
    failed = any(run["failures"] for run in runs)
    if PROFILE or failed:  # the server's log says what failed
        print(f"raw profiles, logs and database kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"written {result} ({report['total_seconds']} s)")


if __name__ == "__main__":
    main()

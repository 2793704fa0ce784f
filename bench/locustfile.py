"""Locust users for bench/load.py (not a benchmark of its own: bench/run.py skips this file).

bench/load.py writes a plan (JSON, path in BENCH_LOAD_PLAN) and runs
`locust -f bench/locustfile.py --headless ...` against a gunicorn it started. The plan names the
members to log in as, the course and video lesson, the quizzes and prepared attempts, and the
phases. Every member user goes through the same phases in step: a phase opens only when every
user has prepared for it (the preparation requests are named "setup" and not reported), lasts
exactly its planned seconds, and inside it the users do nothing but that phase's kind of request,
back to back. So a phase's request count divided by its seconds is the throughput of that kind of
request at that concurrency, and the "healthz" phase's is the baseline the others are compared to.

The last phase, "mixed", replays a member's whole journey (learning page, lesson, heart-beats, a
quiz taken and submitted) with every request named "mixed: <kind>", while one anonymous probe
user asks for /healthz throughout ("mixed: healthz"). The timeline (when each phase opened and
closed, and anything that went wrong in preparation) is written to the plan's timeline_path.
"""
import json
import os
import random
import re
import time
from collections import defaultdict
from pathlib import Path

import gevent
from gevent.event import Event
from locust import FastHttpUser, constant, events, task

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
VIEW_TOKEN = re.compile(r'data-token="([0-9a-f]+)"')
ATTEMPT_URL = re.compile(r"/quizzes/attempts/(\d+)")
# A user that cannot prepare for a phase (a failed request) still arrives at the barrier after this,
# so one broken user cannot hold the whole run; load.py then sees the failure counts.
BARRIER_TIMEOUT = 120

_plan_path = os.environ.get("BENCH_LOAD_PLAN")
if not _plan_path:
    raise SystemExit("bench/locustfile.py is driven by bench/load.py, which sets BENCH_LOAD_PLAN")
PLAN = json.loads(Path(_plan_path).read_text())
PHASES = PLAN["phases"]  # [{"kind": "healthz", "seconds": 20}, ...] in order


class Schedule:
    """Phases opened together for all member users: a barrier per phase, and the windows as they happened."""

    def __init__(self, members):
        self.members = members
        self.arrived = defaultdict(int)
        self.opened = defaultdict(Event)
        self.windows = {}
        self.problems = defaultdict(int)
        self.next_member = 0

    def take_member(self):
        # One login id per user, in spawn order: each simulated member is a different account.
        index = self.next_member
        self.next_member += 1
        return PLAN["members"][index % len(PLAN["members"])]

    def wait_for(self, index):
        """Block until every member user has prepared for phase `index`; return its (start, end)."""
        self.arrived[index] += 1
        if self.arrived[index] == self.members:
            # A little slack so that every woken greenlet is running when the window opens.
            start = time.time() + 0.2
            self.windows[index] = (start, start + PHASES[index]["seconds"])
            self.opened[index].set()
            # load.py follows the phases as they open (to profile the server during one of them).
            with open(PLAN["events_path"], "a") as events_file:
                events_file.write(json.dumps({"kind": PHASES[index]["kind"], "start": start}) + "\n")
        if not self.opened[index].wait(BARRIER_TIMEOUT):
            self.problems["barrier timeout"] += 1
            # Open it anyway: a user that never arrives must not stall the others for good.
            start = time.time()
            self.windows.setdefault(index, (start, start + PHASES[index]["seconds"]))
            self.opened[index].set()
        start, end = self.windows[index]
        gevent.sleep(max(0.0, start - time.time()))
        return start, end

    def finished(self, environment):
        self.arrived["done"] += 1
        if self.arrived["done"] == self.members:
            # Quit from a fresh greenlet: quitting kills the users, this one included.
            gevent.spawn_later(0.5, environment.runner.quit)


SCHEDULE = Schedule(PLAN["users"])


@events.quitting.add_listener
def write_timeline(environment, **_kwargs):
    timeline = [{"kind": phase["kind"], "seconds": phase["seconds"],
                 "start": SCHEDULE.windows.get(i, (None, None))[0], "end": SCHEDULE.windows.get(i, (None, None))[1]}
                for i, phase in enumerate(PHASES)]
    Path(PLAN["timeline_path"]).write_text(json.dumps({"phases": timeline, "problems": dict(SCHEDULE.problems)}))


class Member(FastHttpUser):
    """A Party member: the phases in order, the realistic journey last."""
    wait_time = constant(0)
    # Requests are strictly one after another per member, as a browser tab's are.
    concurrency = 1

    def on_start(self):
        self.login_id = SCHEDULE.take_member()
        prepared = PLAN["prepared_attempts"].get(self.login_id, [])
        self.submittable = list(prepared)  # open attempts with saved answers, submitted in the submit phase
        self.autosave_attempt = prepared[0] if prepared else None
        self.startable = list(PLAN["start_quizzes"])  # quizzes this member has no attempt on yet
        self.logged_in = False
        self.csrf = None
        self.view_token = None
        self.position = 0.0

    # -- one request of each kind; `name` says which statistics row it lands in ---------------------

    def check(self, response, expected, problem):
        if response.status_code != expected:
            response.failure(f"{problem}: HTTP {response.status_code}")
            return False
        return True

    def healthz(self, name="healthz"):
        with self.client.get("/healthz", name=name, catch_response=True) as response:
            self.check(response, 200, "healthz")

    def login(self, name="login"):
        """A fresh visitor: the login page (for its CSRF token), then the form."""
        self.client.cookiejar.clear()
        self.logged_in = False
        page_name = "setup" if name == "setup" else name + " page"
        with self.client.get("/auth/login", name=page_name, catch_response=True) as response:
            if not self.check(response, 200, "login page"):
                return False
            token = CSRF.search(response.text).group(1)
        form = {"login_id": self.login_id, "password": PLAN["password"], "csrf_token": token}
        with self.client.post("/auth/login", data=form, name=name, allow_redirects=False,
                              catch_response=True) as response:
            # Success redirects home; a wrong password shows the form again with 200.
            self.logged_in = self.check(response, 302, "login")
            self.csrf = None  # a new session: its CSRF token is fetched before it is needed
            return self.logged_in

    def learning_page(self, name="learning page"):
        with self.client.get("/courses/my", name=name, catch_response=True) as response:
            if self.check(response, 200, "learning page") and name == "setup":
                self.csrf = CSRF.search(response.text).group(1)

    def lesson(self, name="lesson"):
        url = f"/courses/{PLAN['course_id']}/lessons/{PLAN['lesson_key']}"
        with self.client.get(url, name=name, catch_response=True) as response:
            if self.check(response, 200, "lesson"):
                match = VIEW_TOKEN.search(response.text)
                if match:
                    self.view_token = match.group(1)
                else:
                    response.failure("lesson page without a view token")

    def heartbeat(self, name="heartbeat"):
        # What static/js/lesson.js sends every few seconds while the video plays.
        self.position += 1.0
        body = {"token": self.view_token, "played": 1.0, "position": self.position}
        url = f"/courses/{PLAN['course_id']}/lessons/{PLAN['lesson_key']}/progress"
        with self.client.post(url, json=body, headers={"X-CSRFToken": self.csrf}, name=name,
                              catch_response=True) as response:
            self.check(response, 200, "heartbeat")

    def start_quiz(self, quiz_id, name="quiz start"):
        """POST the start form; return the new attempt's id from the redirect (not followed)."""
        with self.client.post(f"/quizzes/{quiz_id}/start", data={"csrf_token": self.csrf}, name=name,
                              allow_redirects=False, catch_response=True) as response:
            location = response.headers.get("Location") or response.headers.get("location") or ""
            match = ATTEMPT_URL.search(location)
            if response.status_code != 302 or not match:
                response.failure(f"quiz start: HTTP {response.status_code} to {location!r}")
                return None
            return int(match.group(1))

    def autosave(self, attempt_id, position, name="quiz autosave"):
        # What static/js/quiz.js sends when a member picks an option.
        with self.client.post(f"/quizzes/attempts/{attempt_id}/answers/{position}",
                              json={"response": random.choice("ABCD")}, headers={"X-CSRFToken": self.csrf},
                              name=name, catch_response=True) as response:
            if self.check(response, 200, "autosave") and '"saved":true' not in response.text.replace(" ", ""):
                response.failure("autosave not acknowledged")

    def submit(self, attempt_id, name="quiz submit"):
        with self.client.post(f"/quizzes/attempts/{attempt_id}/submit", json={}, headers={"X-CSRFToken": self.csrf},
                              name=name, catch_response=True) as response:
            self.check(response, 200, "submit")

    # -- the phases -----------------------------------------------------------------------------------

    def prepare(self, kind):
        """Unmeasured requests a phase needs before its window opens."""
        if kind == "healthz":
            # The baseline is the minimal request, as a load balancer's probe sends it: without the
            # session cookie the warm-up's login page left (a session that flask-login's "strong"
            # protection re-signs on every request).
            self.client.cookiejar.clear()
        if kind in ("healthz", "warm-up", "login"):
            return
        # After the login phase: every member logged in, with the session's CSRF token at hand.
        if not self.logged_in and not self.login(name="setup"):
            SCHEDULE.problems["login failed"] += 1
        if self.csrf is None:
            self.learning_page(name="setup")
        if kind == "heartbeat":
            self.lesson(name="setup")  # the view token the heart-beats report against

    def run_phase(self, kind, end):
        questions = PLAN["questions"]
        position = 0
        while time.time() < end:
            if kind == "healthz":
                self.healthz()
            elif kind == "warm-up":
                # Every worker serves a page and a JSON reply once before anything is measured.
                self.healthz(name="warm-up")
                self.client.get("/auth/login", name="warm-up")
            elif kind == "login":
                self.login()
            elif kind == "learning page":
                self.learning_page()
            elif kind == "learning + reminders":  # bench/load.py runs the reminders beside it
                self.learning_page(name=kind)
            elif kind == "lesson":
                self.lesson()
            elif kind == "heartbeat":
                self.heartbeat()
            elif kind == "quiz start":
                if not self.startable:
                    SCHEDULE.problems["start pool exhausted"] += 1
                    return
                self.start_quiz(self.startable.pop(0))
            elif kind == "quiz autosave":
                self.autosave(self.autosave_attempt, position % questions)
                position += 1
            elif kind == "quiz submit":
                if not self.submittable:
                    SCHEDULE.problems["submit pool exhausted"] += 1
                    return
                self.submit(self.submittable.pop(0))
            elif kind == "mixed":
                self.journey(end)
            else:
                raise ValueError(f"unknown phase {kind!r}")

    def journey(self, end):
        """A member studies: learning page, the video lesson and its heart-beats, then a whole quiz."""
        steps = [lambda: self.learning_page(name="mixed: learning page"),
                 lambda: self.lesson(name="mixed: lesson")]
        steps += [lambda: self.heartbeat(name="mixed: heartbeat")] * PLAN["journey_heartbeats"]
        for step in steps:
            if time.time() >= end:
                return
            step()
        attempt_id = self.start_quiz(PLAN["journey_quiz"], name="mixed: quiz start")
        if attempt_id is None:
            return
        self.client.get(f"/quizzes/attempts/{attempt_id}", name="mixed: quiz page")
        for position in range(PLAN["questions"]):
            if time.time() >= end:
                return
            self.autosave(attempt_id, position, name="mixed: quiz autosave")
        if time.time() < end:
            self.submit(attempt_id, name="mixed: quiz submit")

    @task
    def all_phases(self):
        for index, phase in enumerate(PHASES):
            try:
                self.prepare(phase["kind"])
            except Exception as error:  # a broken page must not keep the others at the barrier
                SCHEDULE.problems[f"setup for {phase['kind']}: {type(error).__name__}"] += 1
            _start, end = SCHEDULE.wait_for(index)
            try:
                self.run_phase(phase["kind"], end)
            except Exception as error:
                SCHEDULE.problems[f"{phase['kind']}: {type(error).__name__}: {error}"[:200]] += 1
                gevent.sleep(max(0.0, end - time.time()))
        SCHEDULE.finished(self.environment)
        gevent.sleep(3600)  # until the runner quits


class HealthProbe(FastHttpUser):
    """Anonymous /healthz during the mixed phase: how the minimal request fares under a realistic load."""
    fixed_count = 1
    wait_time = constant(0)
    concurrency = 1

    @task
    def probe(self):
        index = next((i for i, phase in enumerate(PHASES) if phase["kind"] == "mixed"), None)
        if index is None:
            gevent.sleep(3600)
            return
        SCHEDULE.opened[index].wait()
        start, end = SCHEDULE.windows[index]
        gevent.sleep(max(0.0, start - time.time()))
        while time.time() < end:
            with self.client.get("/healthz", name="mixed: healthz", catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"healthz: HTTP {response.status_code}")
        gevent.sleep(3600)

"""The background jobs' queue, on Huey: one module-level `huey` that the app and the worker share.

- **Where the queue lives.** `JOBS_URL` unset: a SQLite file, `instance/jobs.sqlite3` (one machine, nothing
  to install; `make run` starts a worker beside the server). `JOBS_URL=redis://host:port/db`: Redis, for
  several workers on several machines. `sqlite:////path/file` names another SQLite file (the tests do).
  `init_app` points `huey` at the configured storage; nothing is opened at import time.
- **Jobs with a row.** Long work started by a person (a roster import, a count rebuild) is a `JobRun`
  row plus one queued task, `run_job(job_id, payload)`. The row is committed before the task is queued,
  and a worker claims it with one UPDATE from `queued` to `running`, so a task delivered twice runs once.
  The work runs in one transaction (an import is all rows or none) and the row is finished in the next.
- **Progress** is reported while that transaction is still open, so it cannot go through the database
  (SQLite would wait on its own writer; PostgreSQL would not show it): `Progress` puts (done, total) in
  the queue's key-value store, which the page's JSON endpoint reads; the row keeps the final figures.
- **Kinds** are registered by the packages that own the work (`job_kind("roster_import", ...)`), and
  periodic tasks with `every(minutes=...)` or `register_periodic(...)`: this module imports none of them.
- **Tests** run jobs at once in their own process (`JOBS_IMMEDIATE`, Huey's immediate mode);
  tests/learning_app/test_jobs.py also runs a real worker process on a SQLite queue, and on Redis when
  `TEST_JOBS_URL` is set.
"""
from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, has_app_context
from flask_babel import force_locale
from huey import Huey, crontab
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import update

from ..extensions import db
from ..timezones import utcnow
from ..transactions import RuleError, committing
from .models import JobRun, JobState

logger = logging.getLogger(__name__)

# Configured by init_app; until then an in-memory queue, so importing this module opens nothing.
huey = Huey("learning_app", utc=True, results=False, storage_class=MemoryStorage)
_configured: dict = {}


def storage_for(url: str, instance_path: str):
    """The Huey storage class and its arguments for JOBS_URL (empty: SQLite under the instance folder)."""
    if not url:
        return SqliteStorage, {"filename": os.path.join(instance_path, "jobs.sqlite3")}
    if url.startswith("sqlite:///"):
        return SqliteStorage, {"filename": url.removeprefix("sqlite:///")}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage, {"url": url}
    raise RuntimeError(f"JOBS_URL must be redis://host:port/db or sqlite:///path, not {url!r}")


def configure(url: str, instance_path: str, immediate: bool):
    key = (url, instance_path, immediate)
    if _configured.get("key") == key:
        return
    huey.storage_class, huey.storage_kwargs = storage_for(url, instance_path)
    huey.immediate = immediate
    huey.storage = huey.create_storage()
    _configured["key"] = key


def init_app(app):
    configure(app.config["JOBS_URL"], app.instance_path, app.config["JOBS_IMMEDIATE"])


# -- kinds of job ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JobKind:
    name: str
    run: Callable  # run(job, progress, payload) -> result dict (JSON); raises JobRefused to keep nothing
    label: object  # a lazy gettext string
    result_template: str | None = None  # shows the result on the job's page


KINDS: dict[str, JobKind] = {}


def job_kind(name: str, label, result_template: str | None = None):
    """Register `run(job, progress, payload)` as the work of jobs of kind `name`."""
    def decorate(run):
        KINDS[name] = JobKind(name, run, label, result_template)
        return run
    return decorate


class JobRefused(RuleError):
    """The job's work is refused as a whole (bad rows): nothing it wrote is kept, `result` says why."""

    def __init__(self, result: dict, message: str = ""):
        super().__init__(message)
        self.result = result


# -- progress ---------------------------------------------------------------------------------------------

def _progress_key(job_id: int) -> str:
    return f"job-progress:{job_id}"


class Progress:
    """progress(done, total): called by a job as it goes; stored at most twice a second, and handed to
    `on_change` (a command's progress bar) every time."""

    STORE_EVERY = 0.5  # seconds

    def __init__(self, job_id: int, on_change: Callable[[int, int], None] | None = None):
        self.job_id, self.on_change = job_id, on_change
        self.done = self.total = 0
        self._stored_at = 0.0

    def __call__(self, done: int, total: int | None = None):
        self.done, self.total = done, self.total if total is None else total
        if self.on_change:
            self.on_change(self.done, self.total)
        now = time.monotonic()
        if now - self._stored_at >= self.STORE_EVERY or self.done >= self.total:
            self._stored_at = now
            try:
                huey.put(_progress_key(self.job_id), (self.done, self.total))
            except Exception:  # a queue that is down must not fail the work: the page just waits
                logger.warning("job %s: progress not stored", self.job_id, exc_info=True)


def progress_of(job: JobRun) -> tuple[int, int]:
    """(done, total) of the job: the live figures while it runs, the row's once it is finished."""
    if job.state == JobState.RUNNING:
        try:
            live = huey.get(_progress_key(job.id), peek=True)
        except Exception:
            live = None
        if live:
            return tuple(live)
    return job.done, job.total


def percent(job: JobRun) -> int:
    if job.state == JobState.DONE:
        return 100
    done, total = progress_of(job)
    return min(99, int(100 * done / total)) if total else 0


# -- starting and running ------------------------------------------------------------------------------

def start_job(kind: str, user, params: dict | None = None, payload=None) -> JobRun:
    """Record a job of `kind` started by `user` (None: a command) and queue it; returns its row.

    Commits the row first, so that a worker elsewhere finds it; in immediate mode the job has run when
    this returns. `payload` (the uploaded file's bytes) travels with the queued task, never in the database.
    """
    if kind not in KINDS:
        raise KeyError(kind)
    with committing():
        job = JobRun(kind=kind, started_by_id=user.id if user else None, params=params or {},
                     state=JobState.QUEUED)
        db.session.add(job)
    run_job(job.id, payload)
    return job


def run_here(kind: str, params: dict | None = None, payload=None, on_change=None) -> JobRun:
    """Run a job of `kind` in this process (a command), reporting progress to `on_change(done, total)`."""
    with committing():
        job = JobRun(kind=kind, started_by_id=None, params=params or {}, state=JobState.QUEUED)
        db.session.add(job)
    execute(job.id, payload, on_change)
    db.session.refresh(job)
    return job


def follow(job: JobRun, on_change, interval: float = 0.5) -> JobRun:
    """Wait for a queued job to finish (a command that queued it), handing its progress to
    `on_change(done, total)`; returns the finished row."""
    job_id = job.id
    while True:
        job = db.session.get(JobRun, job_id)
        on_change(*progress_of(job))
        if job.finished:
            return job
        db.session.close()  # end the read, so that the next one sees the worker's commits
        time.sleep(interval)


_worker: dict = {}


def _task_app():
    """The app a task runs in: the caller's (immediate mode), else the worker's (learning_app.jobs.cli)."""
    if has_app_context():
        return current_app._get_current_object()
    if "app" not in _worker:
        from ..factory import create_app  # a worker started without the command
        _worker["app"] = create_app()
    return _worker["app"]


@huey.task(name="run_job")
def run_job(job_id: int, payload=None):
    # A context of its own, so a fresh database session even when run at once inside a request.
    with _task_app().app_context():
        execute(job_id, payload)


def execute(job_id: int, payload=None, on_change=None):
    """Run the job once: claim it, do its work in one transaction, then record how it ended."""
    with committing():
        claimed = db.session.execute(
            update(JobRun).where(JobRun.id == job_id, JobRun.state == JobState.QUEUED)
            .values(state=JobState.RUNNING, started_at=utcnow())).rowcount
    if not claimed:
        logger.info("job %s: already claimed or gone", job_id)
        return
    job = db.session.get(JobRun, job_id)
    kind, progress = KINDS[job.kind], Progress(job_id, on_change)
    try:
        with committing(), force_locale(job.params.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]):
            result = kind.run(job, progress, payload)
            _finish(job, JobState.DONE, result or {}, progress)
        return
    except JobRefused as refusal:
        outcome = refusal.result
    except RuleError as error:
        outcome = {"message": str(error)}
    except Exception:
        logger.exception("job %s (%s) failed", job_id, kind.name)
        outcome = {"message": None}  # the page says that it stopped with an error and kept nothing
    with committing():
        _finish(db.session.get(JobRun, job_id), JobState.FAILED, outcome, progress)


def _finish(job, state, result, progress):
    job.state, job.result, job.finished_at = state, result, utcnow()
    job.done, job.total = progress.done, progress.total
    with contextlib.suppress(Exception):  # a queue that is down keeps the figures; the row has them
        huey.delete(_progress_key(job.id))


# -- periodic tasks -------------------------------------------------------------------------------------

PERIODIC: dict[str, tuple[Callable, int]] = {}
_scheduled: set[str] = set()


def register_periodic(name: str, func: Callable, minutes: int):
    """Have the worker call `func()` every `minutes` (a divisor of 60, or whole hours), in an app
    context and one transaction. Other packages register at import time; this module imports none."""
    if not (0 < minutes < 60 and 60 % minutes == 0) and not (minutes % 60 == 0 and 24 % (minutes // 60) == 0):
        raise ValueError(f"{name}: every {minutes} minutes cannot be written as a schedule")
    PERIODIC[name] = (func, minutes)


def every(minutes: int):
    """A decorator: `@jobs.every(minutes=15)` registers the function as a periodic task."""
    def decorate(func):
        register_periodic(f"{func.__module__}.{func.__qualname__}", func, minutes)
        return func
    return decorate


def _schedule(minutes: int):
    if minutes < 60:
        return crontab(minute=f"*/{minutes}")
    return crontab(minute="0", hour=f"*/{minutes // 60}")


def schedule_periodic_tasks():
    """Hand the registered periodic tasks to Huey's scheduler (the worker calls this before it starts)."""
    for name, (func, minutes) in PERIODIC.items():
        if name in _scheduled:
            continue
        huey.periodic_task(_schedule(minutes), name=name)(_in_app(func))
        _scheduled.add(name)


def _in_app(func):
    def run():
        with _task_app().app_context(), committing():
            func()
    run.__name__ = getattr(func, "__name__", "periodic")
    return run


def fail_stalled_jobs(now=None) -> int:
    """Mark failed the jobs left running longer than JOBS_STALE_MINUTES; returns how many.

    A worker killed in the middle of a job (SIGKILL, a machine lost) leaves its row "running" for good:
    Huey does not hand out again a task already taken. The job's work was one transaction, rolled back
    with the worker, so the row may say that it stopped and kept nothing; its page then says so and the
    person starts it again. A job that really runs longer than the limit and then ends still records
    how it ended (_finish), so the limit is set well above the longest job (a 10,000-row import takes
    seconds, rebuild-counts at 100,000 members minutes)."""
    now = now or utcnow()
    since = now - timedelta(minutes=current_app.config["JOBS_STALE_MINUTES"])
    return db.session.execute(
        update(JobRun).where(JobRun.state == JobState.RUNNING, JobRun.started_at < since)
        .values(state=JobState.FAILED, finished_at=now, result={"message": None})
        # Rows are not matched in Python: SQLite's naive datetimes would not compare with `since`.
        .execution_options(synchronize_session=False)).rowcount


register_periodic("learning_app.jobs.fail_stalled_jobs", fail_stalled_jobs, 15)


def run_worker(app, threads: int, periodic: bool = True):
    """Run a Huey consumer with `threads` worker threads until stopped (SIGINT: finish the running jobs).
    `periodic`: also schedule the periodic tasks (one worker per queue should)."""
    if huey.immediate:
        raise RuntimeError("JOBS_IMMEDIATE is set: jobs run where they are queued, a worker has nothing to do")
    _worker["app"] = app
    schedule_periodic_tasks()
    consumer = huey.create_consumer(workers=threads, worker_type="thread", periodic=periodic, max_delay=1.0)
    consumer.run()

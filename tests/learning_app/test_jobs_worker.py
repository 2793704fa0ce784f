"""A real worker process (`flask --app learning_app worker`) runs what a request queued: on the SQLite queue
always, and on Redis too when TEST_JOBS_URL names one (CI's PostgreSQL run: redis://127.0.0.1:6379/15).

The app and the worker share a database: a SQLite file here (the in-memory one of the other tests is
the test process's own), or the PostgreSQL database of TEST_DATABASE_URL.
"""
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from learning_app import create_app
from learning_app.extensions import db
from learning_app.jobs import huey
from learning_app.models import User
from tests.conftest import FreshContextClient, _prepare_database, _release_database
from tests.learning_app.test_roster_limits import roster_rows

ROOT = Path(__file__).resolve().parents[2]
QUEUES = ["sqlite"] + (["redis"] if os.environ.get("TEST_JOBS_URL") else [])


@pytest.fixture(params=QUEUES)
def app(request, tmp_path):
    """The test's app, queueing for a worker instead of running jobs at once (replaces conftest's `app`)."""
    queue_url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}" if request.param == "sqlite" else os.environ["TEST_JOBS_URL"]
    database_url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'app.sqlite'}"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, JOBS_URL=queue_url, JOBS_IMMEDIATE=False,
                     CREDENTIALS_DIR=str(tmp_path / "credentials"))
    app.test_client_class = FreshContextClient
    with app.app_context():
        _prepare_database()
        huey.flush()  # nothing left over from an earlier run in a shared Redis database
        try:
            yield app
        finally:
            _release_database()


@pytest.fixture
def worker(app, tmp_path):
    """Start a worker process on the app's database and queue; stop it (Ctrl-C) after the test."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               JOBS_URL=app.config["JOBS_URL"], INSTANCE_PATH=str(tmp_path),
               CREDENTIALS_DIR=app.config["CREDENTIALS_DIR"], APP_CONFIG="development")
    with open(tmp_path / "worker.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "learning_app", "worker",
                                    "--threads", "2"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    print((tmp_path / "worker.log").read_text(errors="replace")[-3000:])  # shown when the test fails

def test_a_roster_import_queued_by_a_request_runs_in_a_real_worker_and_its_page_reaches_100(
        app, client, auth, make_user, tree, worker):
    auth.login(make_user(None, roles=["admin"], login_id="worker-admin"))
    response = client.post("/members/import", data={"file": (io.BytesIO(roster_rows(600)), "roster.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    job_url = response.location
    seen = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        progress = client.get(job_url + "/progress").get_json()
        seen.append(progress["state"])
        if progress["finished"]:
            break
        assert worker.poll() is None, "the worker stopped"
        time.sleep(0.2)
    assert progress == {"state": "done", "label": "已完成", "done": 600, "total": 600, "percent": 100,
                        "finished": True}, seen
    assert seen[0] in ("queued", "running")  # the request did not run it itself
    page = client.get(job_url).get_data(as_text=True)
    assert 'value="100"' in page and "新增 600 人" in page
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(User).where(User.login_id.like("M%"))) == 600

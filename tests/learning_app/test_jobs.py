"""Background jobs (learning_app.jobs), run at once in the test's process (JOBS_IMMEDIATE): long imports
become jobs with a page, progress and a result; a job runs once and keeps all of its work or none.
tests/learning_app/test_jobs_worker.py runs them in a real worker process."""
import io

import pytest
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.jobs import JobRun, JobState, progress_of, queue, start_job
from learning_app.models import User
from learning_app.people.services import create_account
from tests.learning_app.test_roster_limits import roster_rows

HEADER = "登录号,姓名,所在支部,人员类别,职务层级,手机号\r\n"


@pytest.fixture
def admin(tree, make_user, auth):
    user = make_user(None, roles=["admin"], login_id="jobs-admin")
    auth.login(user)
    return user


def imported_members():
    return db.session.scalar(select(func.count()).select_from(User).where(User.login_id.like("M%")))


def upload(client, data, name="roster.csv"):
    return client.post("/members/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_a_roster_of_600_rows_is_imported_as_a_job_whose_page_shows_the_counts(client, admin):
    response = upload(client, roster_rows(600))
    assert response.status_code == 302 and "/jobs/" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "已完成" in page and 'value="100"' in page
    assert "新增 600 人" in page
    progress = client.get(response.location + "/progress").get_json()
    assert progress == {"state": "done", "label": "已完成", "done": 600, "total": 600, "percent": 100,
                        "finished": True}
    assert imported_members() == 600


def test_the_one_time_passwords_of_a_job_go_once_to_the_admin_who_started_it(client, admin, auth, make_user):
    job_url = upload(client, roster_rows(501)).location
    job_id = int(job_url.rsplit("/", 1)[1])
    other_admin = make_user(None, roles=["admin"], login_id="other-admin")
    auth.logout()
    auth.login(other_admin)
    assert client.get(job_url).status_code == 200  # admins see every job...
    assert client.post(f"/members/import/jobs/{job_id}/credentials").status_code == 404  # ...not its passwords
    auth.logout()
    auth.login(admin)
    download = client.post(f"/members/import/jobs/{job_id}/credentials")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.get_data(as_text=True).count("\n") == 502  # the header and 501 new accounts
    assert client.post(f"/members/import/jobs/{job_id}/credentials").status_code == 404  # once


def test_one_bad_row_in_600_imports_nothing_and_the_job_page_names_it(client, admin):
    rows = roster_rows(600).decode("utf-8").split("\r\n")
    rows[300] = rows[300].replace("正式党员", "党外人士")  # file row 301
    response = upload(client, "\r\n".join(rows).encode("utf-8"))
    page = client.get(response.location).get_data(as_text=True)
    assert "<tr><td>301</td>" in page and "党外人士" in page and page.count("<tr><td>") == 1
    assert "未导入任何数据" in page
    assert client.get(response.location + "/progress").get_json()["state"] == "failed"
    assert imported_members() == 0


def test_a_roster_under_500_rows_is_still_imported_on_the_spot(client, admin):
    response = upload(client, roster_rows(500))
    assert response.status_code == 200 and imported_members() == 500
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 0


def test_a_csv_over_the_row_cap_is_refused_on_the_form_before_any_job(app, client, admin):
    app.config["ROSTER_MAX_ROWS"] = 700
    response = upload(client, roster_rows(701))
    assert response.status_code == 400 and "700" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 0


def test_a_job_is_hidden_from_everyone_but_its_starter_and_admins(client, admin, auth, make_user, tree):
    job_url = upload(client, roster_rows(501)).location
    auth.logout()
    auth.login(make_user(tree["a1"], supervises=tree["general_a"]))
    assert client.get(job_url).status_code == 404
    assert client.get(job_url + "/progress").status_code == 404
    auth.logout()
    assert client.get(job_url).status_code == 302  # the login wall


@pytest.fixture
def kind(monkeypatch):
    """kind(run) registers `run` as the work of a job kind "test" for this test only."""
    def register(run):
        monkeypatch.setitem(queue.KINDS, "test", queue.JobKind("test", run, "测试"))
    return register


def test_progress_is_seen_while_the_job_runs_and_kept_when_it_is_done(app, kind, monkeypatch):
    monkeypatch.setattr(queue.Progress, "STORE_EVERY", 0)
    seen = []

    def run(job, progress, payload):
        progress(0, 10)
        progress(5)
        seen.append(progress_of(db.session.get(JobRun, job.id)))
        progress(10)
        return {"payload": payload}
    kind(run)
    job = start_job("test", None, payload="data")
    db.session.expire_all()
    assert seen == [(5, 10)]  # read back from the queue's store while the work's transaction was open
    assert (job.state, job.done, job.total, job.result) == (JobState.DONE, 10, 10, {"payload": "data"})
    assert job.started_at and job.finished_at


def test_a_job_that_crashes_keeps_nothing_and_its_page_says_so(app, kind, client, auth, make_user, tree):
    user = make_user(tree["a1"])

    def run(job, progress, payload):
        create_account(None, "half-done", "半途", org_id=tree["a1"].id)
        db.session.flush()
        raise OSError("disk full")
    kind(run)
    job = start_job("test", user)
    db.session.expire_all()
    assert job.state == JobState.FAILED and job.result == {"message": None}
    assert db.session.scalar(select(User).where(User.login_id == "half-done")) is None
    auth.login(user)
    assert "没有保存任何结果" in client.get(f"/jobs/{job.id}").get_data(as_text=True)


def test_a_job_delivered_twice_runs_once(app, kind):
    runs = []
    kind(lambda job, progress, payload: runs.append(job.id) or {})
    job = start_job("test", None)
    queue.execute(job.id)  # the queue hands the same task out again
    assert runs == [job.id]


def test_the_rebuild_of_the_counts_runs_as_a_job_here_or_through_the_queue(runner):
    for args in (["rebuild-counts"], ["rebuild-counts", "--queue"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        assert "Counts rebuilt" in result.output
    kinds = db.session.scalars(select(JobRun.kind).where(JobRun.state == JobState.DONE)).all()
    assert kinds == ["rebuild_counts", "rebuild_counts"]


def test_the_worker_refuses_to_start_when_jobs_run_at_once(runner):
    result = runner.invoke(args=["worker"])
    assert result.exit_code == 1 and "JOBS_IMMEDIATE" in result.output


def test_periodic_tasks_are_registered_by_name_and_run_in_a_transaction(app, monkeypatch, tree):
    monkeypatch.setattr(queue, "PERIODIC", {})
    calls = []

    @queue.every(minutes=15)
    def remind():
        calls.append(db.session.get(User, 1))
    queue.register_periodic("deliver", lambda: None, 1)
    assert set(queue.PERIODIC) == {f"{__name__}.{remind.__qualname__}", "deliver"}
    assert queue.PERIODIC["deliver"][1] == 1
    with pytest.raises(ValueError):
        queue.register_periodic("odd", lambda: None, 7)  # 7 does not divide an hour
    queue._in_app(remind)()
    assert calls == [None]


@pytest.mark.parametrize("url, storage", [("", "SqliteStorage"), ("redis://127.0.0.1:6379/11", "RedisStorage"),
                                          ("sqlite:////tmp/q.sqlite3", "SqliteStorage")])
def test_the_queue_is_sqlite_unless_jobs_url_names_redis(url, storage, tmp_path):
    storage_class, kwargs = queue.storage_for(url, str(tmp_path))
    assert storage_class.__name__ == storage
    if not url:
        assert kwargs == {"filename": str(tmp_path / "jobs.sqlite3")}
    with pytest.raises(RuntimeError):
        queue.storage_for("amqp://elsewhere", str(tmp_path))


def test_the_worker_sends_messages_every_minute_and_queues_reminders_every_quarter_hour(app):
    from learning_app.jobs import queue
    from learning_app.messages import tasks
    assert queue.PERIODIC["learning_app.messages.tasks.deliver_messages"] == (tasks.deliver_messages, 1)
    assert queue.PERIODIC["learning_app.messages.tasks.queue_due_reminders"] == (tasks.queue_due_reminders, 15)


def test_a_job_whose_worker_died_is_marked_stopped_after_the_limit(app, client, auth, make_user, tree):
    from datetime import timedelta

    from learning_app.jobs import fail_stalled_jobs
    from learning_app.timezones import utcnow
    user = make_user(tree["a1"])
    now = utcnow()
    limit = timedelta(minutes=app.config["JOBS_STALE_MINUTES"])
    lost = JobRun(kind="rebuild_counts", started_by_id=user.id, state=JobState.RUNNING, started_at=now - limit * 2)
    running = JobRun(kind="rebuild_counts", started_by_id=user.id, state=JobState.RUNNING,
                     started_at=now - limit / 2)
    waiting = JobRun(kind="rebuild_counts", started_by_id=user.id, state=JobState.QUEUED, created_at=now - limit * 3)
    db.session.add_all([lost, running, waiting])
    db.session.commit()
    assert fail_stalled_jobs(now) == 1
    db.session.commit()
    db.session.expire_all()
    assert (lost.state, running.state, waiting.state) == (JobState.FAILED, JobState.RUNNING, JobState.QUEUED)
    assert lost.result == {"message": None} and lost.finished_at is not None
    assert fail_stalled_jobs(now) == 0  # already stopped
    auth.login(user)
    assert "没有保存任何结果" in client.get(f"/jobs/{lost.id}").get_data(as_text=True)
    assert queue.PERIODIC["learning_app.jobs.fail_stalled_jobs"] == (fail_stalled_jobs, 15)

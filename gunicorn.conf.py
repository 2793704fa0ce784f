"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py 'learning_app:create_app()'`.

Every value can be overridden from the environment (GUNICORN_*), as the README shows.
"""
import os


def _usable_cores() -> int:
    # The cores this process may run on (taskset, cgroup cpusets), not every core of the machine.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# One worker per core, with threads: a request mostly waits on the database, and a thread that
# waits hands the core to another thread of the same process, where several processes on one core
# made the kernel switch between them on every round trip (bench/load.py, one core, PostgreSQL:
# the learning page at 0.21 x /healthz with 3 workers x 2 threads, 0.32 with 1 x 6).
workers = int(os.environ.get("GUNICORN_WORKERS", _usable_cores()))
threads = int(os.environ.get("GUNICORN_THREADS", 6))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))  # large uploads on slow links take time
graceful_timeout = 30
keepalive = 5
# Workers are not recycled by default (GUNICORN_MAX_REQUESTS=0). A recycled gthread worker keeps
# serving the connections it has queued but stops heart-beating, so during an exam rush the arbiter
# killed it after `timeout` seconds and the requests still queued were dropped (seen in
# bench/exam_rush.py with 1,000 members; reproduced with plain gunicorn 27 and --max-requests 20).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 0))
max_requests_jitter = max_requests // 10
# The app is imported once in the master and the workers fork from it: a worker starts in
# milliseconds instead of importing everything again (over a second of CPU each).
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
raw_env = [f"APP_CONFIG={os.environ.get('APP_CONFIG', 'production')}"]


def post_fork(server, worker):
    """A forked worker must not share the master's database connections: each opens its own."""
    flask_app = server.app.callable
    if flask_app is None:
        return
    from learning_app.extensions import db
    with flask_app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)

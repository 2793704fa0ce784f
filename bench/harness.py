"""What the benchmarks share (a helper, not a benchmark: bench/run.py skips it): the production server
started as the README says, and the results files.

SQLite and PostgreSQL runs are separate invocations, so each results file holds one report per
database family and a run replaces only its own database's report.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def database_family(url: str | None) -> str:
    return (url or "sqlite").split(":")[0].split("+")[0]


def write_report(name: str, family: str, report: dict) -> Path:
    out = RESULTS / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    try:
        previous = json.loads(out.read_text()).get("by_database", {})
    except (OSError, ValueError, AttributeError):
        previous = {}
    out.write_text(json.dumps({"benchmark": name, "by_database": {**previous, family: report}},
                              ensure_ascii=False, indent=2))
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_workers(core) -> int:
    """What gunicorn.conf.py starts: one worker per core the server may use (one when pinned)."""
    usable = 1 if core is not None else len(os.sched_getaffinity(0))
    return int(os.environ.get("GUNICORN_WORKERS", usable))


def gunicorn_threads() -> int:
    """Threads per worker, as gunicorn.conf.py sets them."""
    return int(os.environ.get("GUNICORN_THREADS", 6))


def process_tree_seconds(pid):
    """CPU seconds of a process and its children, living or exited."""
    try:
        import psutil
        process = psutil.Process(pid)
        times = process.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        for child in process.children(recursive=True):
            try:
                times = child.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
        return total
    except Exception:  # no psutil, or the process is gone
        return None


def start_gunicorn(url: str, workdir, core, log):
    """gunicorn with gunicorn.conf.py on a free port of 127.0.0.1, pinned to `core` (None: unpinned).
    Returns (process, base URL) once /healthz answers and the workers have finished starting."""
    port = free_port()
    env = {**os.environ, "APP_CONFIG": "production", "SECRET_KEY": "bench", "DATABASE_URL": url,
           "INSTANCE_PATH": str(workdir), "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESS_LOG": "/dev/null",
           "SESSION_COOKIE_SECURE": "0", "LOGIN_FAILURES_PER_ADDRESS": "100000 per minute"}
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "learning_app:create_app()"]
    if core is not None:
        command = ["taskset", "-c", str(core), *command]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited with {server.returncode}; see {log.name}") from None
            time.sleep(0.2)
    else:
        stop_gunicorn(server)
        raise SystemExit(f"gunicorn did not answer /healthz; see {log.name}")
    # The first worker may answer while others are still starting: wait until the server is idle,
    # or the first measurement would pay for it.
    previous = process_tree_seconds(server.pid)
    for _ in range(60):
        time.sleep(0.5)
        current = process_tree_seconds(server.pid)
        if previous is None or current is None or current - previous < 0.05:
            break
        previous = current
    return server, base


def stop_gunicorn(server) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=40)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()

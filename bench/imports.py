"""Imports of large files through the real upload routes: wall time and the server's peak memory.

gunicorn (one worker, as in production) serves a fresh SQLite database; an admin uploads, over HTTP with
CSRF on, files of about 49 MB (just under the 50 MiB upload limit):

- a roster CSV of some 490,000 rows, over ROSTER_MAX_ROWS (refused);
- a roster CSV of 199,000 rows under the cap, each with a name too long (refused, every row named);
- a question CSV of some 527,000 questions (refused, or imported as drafts where there is no cap);
- the first file named .txt, which the form refuses unread: what the upload itself costs.

For each it reports the request's wall time and the worker's memory: its resident size before the upload
and its peak (VmHWM) after, from /proc. `bench/results/imports.json` keeps the figures.
Run alone: `.venv/bin/python bench/imports.py` (about a minute).
"""
import http.client
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import start_gunicorn, stop_gunicorn, write_report  # noqa: E402

FILE_BYTES = 49_000_000  # under the 50 MiB upload limit with the form around it
BRANCH = "基准党委/第一党总支/第一党支部"
PASSWORD = "Bench@2026"


def prepare(url, workdir):
    from learning_app import create_app
    from learning_app.extensions import db
    from learning_app.models import OrgKind, Role
    from learning_app.orgs.services import create_org
    from learning_app.people.services import create_account, grant_role
    from quizzes.models import QuestionBank
    app = create_app("production", SECRET_KEY="bench", SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=workdir)
    with app.app_context():
        db.create_all()
        admin = create_account(None, "admin", "管理员", password=PASSWORD)
        grant_role(None, admin, Role.ADMIN)
        top = create_org(None, "基准党委", OrgKind.COMMITTEE, None)
        create_org(None, "第一党支部", OrgKind.BRANCH, create_org(None, "第一党总支", OrgKind.GENERAL_BRANCH, top))
        bank = QuestionBank(name="基准题库", owner_id=admin.id)
        db.session.add(bank)
        db.session.commit()
        bank_id = bank.id
        db.engine.dispose()
    return bank_id


def write_rows(path, header, row, rows=None):
    """A UTF-8 CSV of `header` and row(index) lines: `rows` of them, or as many as fit in FILE_BYTES."""
    written = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(header + "\r\n")
        index = 0
        while (rows is None or index < rows) and written < FILE_BYTES:
            line = row(index) + "\r\n"
            written += len(line.encode("utf-8"))
            out.write(line)
            index += 1
    return index


def roster_row(name):
    return lambda index: f"M{index:07d},{name}{index},{BRANCH},正式党员,党员,1380000{index % 10000:04d}"


def question_row(index):
    return f"单选题,第{index}题：中国共产党成立于哪一年？,1919,1921,1927,1949,B,,党史"


class Session:
    """Cookies and CSRF tokens, over http.client so that a 49 MB body streams from its file."""

    def __init__(self, base):
        self.host, self.port = base.removeprefix("http://").split(":")
        self.cookies = {}

    def request(self, method, path, body=None, headers=None, timeout=600):
        connection = http.client.HTTPConnection(self.host, int(self.port), timeout=timeout)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";")[0]
        connection.close()
        return response.status, text

    def token(self, path, field="csrf_token"):
        status, page = self.request("GET", path)
        return re.search(rf'name="{field}" type="hidden" value="([^"]+)"', page).group(1)

    def login(self):
        token = self.token("/auth/login")
        body = f"login_id=admin&password={PASSWORD}&csrf_token={token}".encode()
        status, _page = self.request("POST", "/auth/login", body,
                                     {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 302, status

    def upload(self, path, token, file_path, field="file"):
        boundary = uuid.uuid4().hex
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
                f"filename=\"{Path(file_path).name}\"\r\nContent-Type: text/csv\r\n\r\n").encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        size = len(head) + os.path.getsize(file_path) + len(tail)

        def body():
            yield head
            with open(file_path, "rb") as source:
                while chunk := source.read(1024 * 1024):
                    yield chunk
            yield tail
        return self.request("POST", path, body(), {"Content-Type": f"multipart/form-data; boundary={boundary}",
                                                   "Content-Length": str(size)})


def worker_pid(master_pid):
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return int(children[0])


def memory_mb(pid, field):
    status = Path(f"/proc/{pid}/status").read_text()
    return round(int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024, 1)


def main():
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as workdir:
        work = Path(workdir)
        files = {}
        files["roster_over_cap"] = work / "roster-over-cap.csv"
        roster_header = "登录号,姓名,所在支部,人员类别,职务层级,手机号"
        write_rows(files["roster_over_cap"], roster_header, roster_row("张三"))
        files["roster_bad_rows"] = work / "roster-bad-rows.csv"
        long_name = "名" * 45 + "x" * 16  # 61 characters: one more than a name may have
        write_rows(files["roster_bad_rows"], roster_header, roster_row(long_name), rows=199_000)
        files["questions"] = work / "questions.csv"
        write_rows(files["questions"], "题型,题干,选项A,选项B,选项C,选项D,答案,解析,标签", question_row)
        # The cost of the upload itself: the form refuses the type before the file is read.
        files["roster_wrong_type"] = work / "roster.txt"
        files["roster_wrong_type"].symlink_to(files["roster_over_cap"])
        for key, path in files.items():
            print(f"{key}: {path.stat().st_size / 1e6:.1f} MB", flush=True)
        for key, path in files.items():
            url = f"sqlite:///{work}/{key}.sqlite"
            bank_id = prepare(url, str(work))
            with open(work / f"{key}.log", "w") as log:
                os.environ["GUNICORN_WORKERS"] = "1"
                server, base = start_gunicorn(url, work, None, log)
                try:
                    route = "/members/import" if key.startswith("roster") else f"/quizzes/banks/{bank_id}/import"
                    token_page = "/members/import" if key.startswith("roster") else f"/quizzes/banks/{bank_id}"
                    results[key] = {"file_mb": round(path.stat().st_size / 1e6, 1),
                                    **measure_route(base, server, token_page, route, path)}
                finally:
                    stop_gunicorn(server)
            print(key, results[key], flush=True)
    out = write_report("imports", "sqlite", results)
    print(f"written {out}")


def measure_route(base, server, token_page, route, upload_path):
    session = Session(base)
    session.login()
    token = session.token(token_page)
    pid = worker_pid(server.pid)
    before = memory_mb(pid, "VmRSS")
    started = time.perf_counter()
    status, page = session.upload(route, token, upload_path)
    seconds = round(time.perf_counter() - started, 2)
    messages = re.findall(r'<(?:div|p|li)[^>]*class="[^"]*(?:invalid-feedback|alert|error)[^"]*"[^>]*>'
                          r'\s*([^<\s][^<]{0,199})', page)
    return {"seconds": seconds, "rss_before_mb": before, "peak_rss_mb": memory_mb(pid, "VmHWM"),
            "status": status, "response_kb": round(len(page.encode()) / 1024), "messages": messages[:3]}


if __name__ == "__main__":
    main()

"""Benchmark: the supervisor dashboard against the bare SQL aggregates it needs, at two data sizes.

Run by `make bench` (never by `make test`). For each size it generates an organisation in a
fresh SQLite file (or in BENCH_DATABASE_URL's PostgreSQL database), then times, in one process:
  * bare SQL  - the grouped aggregate statements the dashboard issues, executed directly;
  * data      - the dashboard's Python functions (aggregates, roll-up, figures);
  * page      - the whole page through the test client (templates, Plotly JSON);
for the whole tree and for one general branch, median of several runs, and writes
bench/results/dashboard.json with the figures and the machine they ran on.
"""
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import database_family, write_report  # noqa: E402  (bench/ is on sys.path)
from sqlalchemy import event, select  # noqa: E402

from analytics import charts, queries  # noqa: E402
from analytics.filters import Filters  # noqa: E402
from analytics.scale import SCALE_PASSWORD, gather_statistics, generate  # noqa: E402
from learning_app import create_app  # noqa: E402
from learning_app.extensions import db  # noqa: E402
from learning_app.models import Organization, OrgKind, Role, User  # noqa: E402
from learning_app.people.services import grant_role  # noqa: E402

SIZES = [(int(s.split(":")[0]), int(s.split(":")[1]), int(s.split(":")[2]))
         for s in os.environ.get("BENCH_SIZES", "10000:200:100,100000:2000:100").split(",")]
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def median_time(action, runs=RUNS):
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def bare_sql(root, filters):
    """The grouped statements behind the dashboard's figures, executed as they are, results discarded."""
    today = date.today()
    db.session.execute(select(Organization).where(root.subtree_filter())).all()
    queries.hours_by_org_and_bin(root, filters)
    queries.assignment_figures_by_org(root, filters, today)
    queries.completions_over_time(root, filters)
    queries.score_distribution(root, filters)
    queries.question_difficulty(root, filters)
    queries.attendance_by_month(root, filters)
    queries.courses_assigned_within(root)


def dashboard_data(root, filters):
    tree = queries.tree_figures(root, filters)
    children = [node for node in tree.nodes if node.parent_id == root.id]
    charts.completion_by_child(children, tree.total).to_json()
    charts.subtree_treemap(tree.nodes, tree.total, root).to_json()
    charts.funnel_figure(tree.funnel(root)).to_json()
    charts.hours_histogram(tree.hours_distribution, 32).to_json()
    queries.completions_over_time(root, filters)
    queries.score_distribution(root, filters)
    queries.question_difficulty(root, filters)
    queries.attendance_by_month(root, filters)
    queries.courses_assigned_within(root)


def measure(members, branches, courses):
    url = os.environ.get("BENCH_DATABASE_URL")
    workdir = tempfile.mkdtemp(prefix="bench-")
    url = url or f"sqlite:///{workdir}/bench.sqlite"
    app = create_app("production", SECRET_KEY="bench", SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False,
                     SESSION_COOKIE_SECURE=False, RATELIMIT_ENABLED=False, INSTANCE_PATH=workdir)
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        top = generate(members, branches, courses)
        admin = db.session.scalar(select(User).order_by(User.id).limit(1))
        grant_role(None, admin, Role.ADMIN)
        db.session.commit()
        gather_statistics()  # as `flask gen-scale` does: the dashboard reads a settled database
        generated = time.perf_counter() - started
        general = db.session.scalar(select(Organization).where(Organization.kind == OrgKind.GENERAL_BRANCH)
                                    .order_by(Organization.id).limit(1))
        scopes = {"whole tree": top.id, "one general branch": general.id}
        login = admin.login_id
    client = app.test_client()
    client.post("/auth/login", data={"login_id": login, "password": SCALE_PASSWORD})
    result = {"members": members, "branches": branches, "courses": courses, "generate_s": round(generated, 2),
              "scopes": {}}
    for label, org_id in scopes.items():
        with app.app_context():
            root = db.session.get(Organization, org_id)
            filters = Filters()
            bare = median_time(lambda: bare_sql(root, filters))
            data = median_time(lambda: dashboard_data(root, filters))
            counted = {"n": 0}
            listener = lambda *args: counted.__setitem__("n", counted["n"] + 1)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
        page = median_time(lambda: client.get(f"/dashboard/?org={org_id}"))
        with app.app_context():
            counted["n"] = 0
            client.get(f"/dashboard/?org={org_id}")
            event.remove(db.engine, "before_cursor_execute", listener)
        result["scopes"][label] = {"bare_sql_s": round(bare, 4), "data_s": round(data, 4),
                                   "page_s": round(page, 4), "page_to_sql": round(page / bare, 2),
                                   "data_to_sql": round(data / bare, 2), "statements": counted["n"]}
    return result


def main():
    rows = [measure(*size) for size in SIZES]
    growth = None
    if len(rows) >= 2:
        small, large = rows[0]["scopes"]["whole tree"], rows[-1]["scopes"]["whole tree"]
        growth = {"data_ratio": round(rows[-1]["members"] / rows[0]["members"], 1),
                  "page_time_ratio": round(large["page_s"] / small["page_s"], 2),
                  "bare_sql_time_ratio": round(large["bare_sql_s"] / small["bare_sql_s"], 2)}
    largest = rows[-1]["scopes"]
    targets = {
        "page at most 2x its bare SQL at the largest size": all(f["page_to_sql"] <= 2 for f in largest.values()),
        # 1 loads the signed-in user, 1 the chosen node, 1 its breadcrumb when it has ancestors, 8 the figures.
        "at most about 10 statements per page (12)": all(f["statements"] <= 12 for row in rows
                                                         for f in row["scopes"].values()),
        "statements per scope the same at every size": all(
            len({row["scopes"][scope]["statements"] for row in rows}) == 1 for scope in largest),
        "page time grows no faster than the data": bool(growth) and growth["page_time_ratio"] <= growth["data_ratio"],
    }
    report = {"benchmark": "dashboard", "when": time.strftime("%Y-%m-%d %H:%M:%S"),
              "machine": {"python": platform.python_version(), "platform": platform.platform(),
                          "cpus": os.cpu_count(), "processor": platform.processor()},
              "database": database_family(os.environ.get("BENCH_DATABASE_URL")),
              "runs": rows, "growth_10k_to_100k": growth, "targets_met": targets}
    out = write_report("dashboard", report["database"], report)
    print(f"{'members':>8} {'scope':<20} {'bare SQL':>9} {'data':>8} {'page':>8} {'page/SQL':>9} {'stmts':>6}")
    for row in rows:
        for label, figures in row["scopes"].items():
            print(f"{row['members']:>8} {label:<20} {figures['bare_sql_s']:>8.3f}s {figures['data_s']:>7.3f}s "
                  f"{figures['page_s']:>7.3f}s {figures['page_to_sql']:>9.2f} {figures['statements']:>6}")
    if growth:
        print(f"{rows[0]['members']:,} -> {rows[-1]['members']:,} members: data x{growth['data_ratio']}, "
              f"page time x{growth['page_time_ratio']}, "
              f"bare SQL x{growth['bare_sql_time_ratio']}")
    for target, met in targets.items():
        print(f"{'met' if met else 'MISSED':>6}  {target}")
    print(f"written {out}")


if __name__ == "__main__":
    main()

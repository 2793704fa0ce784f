"""Benchmark: the deadline reminders for N members (gen-scale data) computed and queued.

Run by `make bench` (never by `make test`). It generates an organisation of BENCH_REMINDER_MEMBERS
members (default 100,000) in a fresh SQLite file (or in BENCH_DATABASE_URL's PostgreSQL database),
assigns one course to the whole tree with its deadline 7 local days ahead, and then times:
  * queue    - the deadline reminders computed and queued (messages plus their SMS deliveries), committed;
  * again    - the same run once more: nothing new to send, every batch one statement;
  * send-reminders - every registered producer at once, as the command runs them (nothing new either);
and counts the SQL statements of each batch (of BATCH members), which must be the same for every batch.
Target: queue under a minute on either database. Writes bench/results/reminders.json.
"""
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import database_family, write_report  # noqa: E402  (bench/ is on sys.path)
from sqlalchemy import event, func, insert, select  # noqa: E402

from analytics.scale import gather_statistics, generate  # noqa: E402
from courses.models import Assignment, Course  # noqa: E402
from courses.reminders import deadline_reminders  # noqa: E402
from learning_app import create_app  # noqa: E402
from learning_app.extensions import db  # noqa: E402
from learning_app.messages.models import Delivery, Message  # noqa: E402
from learning_app.messages.reminders import Moment, send_due_reminders  # noqa: E402
from learning_app.messages.services import BATCH, notify  # noqa: E402

MEMBERS = int(os.environ.get("BENCH_REMINDER_MEMBERS", "100000"))
BRANCHES = max(20, MEMBERS // 50)
COURSES = 20


def queue_deadline_reminders(moment, counter):
    """Run the deadline producer and notify each batch; the statements of each batch."""
    per_batch, mark = [], counter["n"]
    for due in deadline_reminders(moment):
        notify(due.recipient_ids, due.kind, due.key, due.compose, due.link, now=moment.now)
        per_batch.append(counter["n"] - mark)
        mark = counter["n"]
    return per_batch


def main():
    url = os.environ.get("BENCH_DATABASE_URL")
    workdir = tempfile.mkdtemp(prefix="bench-reminders-")
    url = url or f"sqlite:///{workdir}/bench.sqlite"
    # SMS configured: members with a phone get a pending delivery too, as in production.
    app = create_app("production", SECRET_KEY="bench", SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=workdir,
                     SMS_WEBHOOK_URL="http://127.0.0.1:9/sms")
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        top = generate(MEMBERS, BRANCHES, COURSES)
        moment = Moment.at(datetime.now(UTC))
        course_id = db.session.scalar(select(Course.id).order_by(Course.id).limit(1))
        # One more assignment of a course to the whole tree, due in 7 local days (a bulk insert, as
        # gen-scale's: the "course assigned" messages are not what is measured here).
        db.session.execute(insert(Assignment), [{
            "course_id": course_id, "org_id": top.id, "required": True, "is_active": True, "categories": "",
            "positions": "", "deadline": moment.today + timedelta(days=7), "assigned_by_id": None,
            "created_at": datetime.now(UTC)}])
        db.session.commit()
        gather_statistics()
        generated = time.perf_counter() - started

        counter = {"n": 0}

        def count(*args):
            counter["n"] += 1
        event.listen(db.engine, "before_cursor_execute", count)
        started = time.perf_counter()
        per_batch = queue_deadline_reminders(moment, counter)
        db.session.commit()
        queued = time.perf_counter() - started
        messages = db.session.scalar(select(func.count()).select_from(Message))
        deliveries = db.session.scalar(select(func.count()).select_from(Delivery))
        started = time.perf_counter()
        again_batches = queue_deadline_reminders(moment, counter)
        db.session.commit()
        again = time.perf_counter() - started
        started = time.perf_counter()
        everything = send_due_reminders(now=moment.now)
        db.session.commit()
        command = time.perf_counter() - started
        event.remove(db.engine, "before_cursor_execute", count)

    # The first batch also reads the assignments due; the last may be short (same statements).
    steady = set(per_batch[1:])
    report = {
        "benchmark": "reminders", "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "processor": platform.processor()},
        "database": database_family(os.environ.get("BENCH_DATABASE_URL")),
        "members": MEMBERS, "branches": BRANCHES, "batch": BATCH, "generate_s": round(generated, 1),
        "deadline_reminders": {"messages": messages, "deliveries": deliveries, "batches": len(per_batch),
                               "queue_s": round(queued, 2), "statements_per_batch": sorted(steady),
                               "first_batch_statements": per_batch[0] if per_batch else 0,
                               "again_s": round(again, 2), "again_statements": sum(again_batches) or 1},
        "send_reminders_again": {"s": round(command, 2), "new": everything["channels"]},
    }
    report["targets_met"] = {
        "deadline reminders queued in under a minute": queued < 60,
        "the same statements in every batch": len(steady) <= 1,
        "running again sends nothing new": everything["channels"]["message_centre"] == 0,
    }
    out = write_report("reminders", report["database"], report)
    figures = report["deadline_reminders"]
    print(f"{MEMBERS:,} members: {messages:,} messages and {deliveries:,} SMS deliveries queued in "
          f"{queued:.1f}s, {len(per_batch)} batches of {BATCH}, statements per batch {sorted(steady)} "
          f"(first {figures['first_batch_statements']}); again {again:.1f}s; send-reminders again {command:.1f}s")
    for target, met in report["targets_met"].items():
        print(f"{'met' if met else 'MISSED':>6}  {target}")
    print(f"written {out}")


if __name__ == "__main__":
    main()

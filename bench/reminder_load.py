"""The reminders as a background load, for bench/load.py's phase "learning + reminders".

Run as `python bench/reminder_load.py DATABASE_URL INSTANCE_PATH SECONDS`: for SECONDS it does what the
worker's quarter-hourly reminders do at their heaviest, again and again: every member of the organisation
gets a deadline reminder (a new key each round, so every round writes), queued through notify() in its
batches of 1,000 with a pending SMS delivery each, committed per round as the periodic task commits.
Prints one JSON line: rounds, messages written, seconds.
"""
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from learning_app import create_app  # noqa: E402
from learning_app.extensions import db  # noqa: E402
from learning_app.messages.models import MessageKind  # noqa: E402
from learning_app.messages.services import notify  # noqa: E402
from learning_app.models import User  # noqa: E402


def compose():
    from flask_babel import gettext
    return gettext("Deadline ahead"), "负载测试：课程将于 7 天后截止，请按时完成。"


def main():
    url, instance, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    app = create_app("production", SECRET_KEY="bench", SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=instance,
                     SMS_WEBHOOK_URL="http://127.0.0.1:9/sms")
    rounds = written = 0
    started = time.perf_counter()
    with app.app_context():
        members = db.session.scalars(select(User.id).where(User.org_id.is_not(None))).all()
        while time.perf_counter() - started < seconds:
            written += notify(members, MessageKind.DEADLINE_AHEAD, f"bench-load:{time.time_ns()}", compose)
            db.session.commit()
            rounds += 1
    print(json.dumps({"rounds": rounds, "messages": written, "members": len(members),
                      "seconds": round(time.perf_counter() - started, 1)}), flush=True)


if __name__ == "__main__":
    main()

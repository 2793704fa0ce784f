"""Nothing lost, nothing twice: a `deliver-messages` process SIGKILLed in the middle of 1,000 SMS and
started again sends the rest, and each message reaches the gateway once by its key."""
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from learning_app import create_app
from learning_app.extensions import db
from learning_app.messages import services
from learning_app.messages.models import Delivery, DeliveryStatus, MessageKind
from learning_app.models import OrgKind, User
from learning_app.orgs.services import create_org
from tests.conftest import ON_POSTGRESQL
from tests.learning_app.gateways import Gateway

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 1000
LEASE_SECONDS = 2


@pytest.fixture
def shared_app(request, tmp_path):
    """An app whose database another process can open: PostgreSQL's test database, or a SQLite file."""
    if ON_POSTGRESQL:
        yield request.getfixturevalue("app")
        return
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'crash.sqlite'}",
                     CREDENTIALS_DIR=str(tmp_path / "credentials"))
    with app.app_context():
        db.create_all()
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def daytime_zone() -> str:
    """A zone where it is about noon now, so that the quiet hours do not hold the sends back."""
    offset = 12 - datetime.now(UTC).hour
    return f"Etc/GMT{-offset:+d}"  # POSIX signs: Etc/GMT-8 is UTC+8


def worker(gateway, url):
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("MAIL_", "WECHAT_", "SMS_"))}
    environment.update(DATABASE_URL=url, SMS_WEBHOOK_URL=gateway.sms_url, DELIVERY_CLAIM_SECONDS=str(LEASE_SECONDS),
                       BABEL_DEFAULT_TIMEZONE=daytime_zone(), APP_CONFIG="development", PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "learning_app", "deliver-messages"],
                            cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_a_worker_killed_mid_batch_and_restarted_sends_each_message_once(shared_app):
    with Gateway() as gateway:
        shared_app.config.update(SMS_WEBHOOK_URL=gateway.sms_url)
        branch = create_org(None, "党委", OrgKind.COMMITTEE, None)
        db.session.flush()
        db.session.execute(insert(User), [{"login_id": f"m{n}", "real_name": f"党员{n}", "org_id": branch.id,
                                           "phone": f"139{n:08d}", "password_hash": ""} for n in range(MEMBERS)])
        ids = db.session.scalars(select(User.id)).all()
        services.notify(ids, MessageKind.NOTICE, "notice:1", lambda: ("学习通知", "请按时完成学习。"), "/sites/1")
        db.session.commit()
        url = db.engine.url.render_as_string(hide_password=False)

        gateway.delay = 0.005  # a slow gateway: the kill lands in the middle of the sends
        first = worker(gateway, url)
        deadline = time.monotonic() + 60
        while len(gateway.sms) < 300 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        before_restart = len(gateway.sms)
        assert first.returncode == -signal.SIGKILL and 0 < before_restart < MEMBERS, first.stdout.read()

        time.sleep(LEASE_SECONDS + 0.5)  # the dead worker's claim runs out
        second = worker(gateway, url)
        output, _ = second.communicate(timeout=120)
        assert second.returncode == 0, output

    assert len(gateway.delivered) == MEMBERS  # every message, once by its key
    assert {data["phone"] for data in gateway.delivered.values()} == {f"139{n:08d}" for n in range(MEMBERS)}
    assert len(gateway.sms) - MEMBERS <= 1  # at most the one send in flight at the kill, with the same key
    db.session.remove()
    statuses = dict(db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
    assert statuses == {DeliveryStatus.SENT: MEMBERS}

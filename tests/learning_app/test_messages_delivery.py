"""deliver_due(): email, SMS and WeChat through real local servers; quiet hours, the daily cap and the
digest, retries, the organisation's local day, and a worker killed in the middle of 1,000 sends."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.messages import services
from learning_app.messages.channels.sms import signature
from learning_app.messages.delivery import deliver_due
from learning_app.messages.models import Delivery, DeliveryStatus, Message, MessageKind
from learning_app.timezones import as_utc
from tests.concurrency import on_postgres, run_at_once
from tests.learning_app.gateways import Gateway, SmtpServer

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day, hour, minute=0):
    """A moment given in the organisation's time (Asia/Shanghai), as UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def send_notice(users, key, subject="学习通知", body="请按时完成《党章》学习。", link="/courses/7", now=None):
    services.notify([u.id for u in users], MessageKind.NOTICE, key, lambda: (subject, body), link, now=now)
    db.session.commit()


def deliveries_of(user):
    return db.session.scalars(select(Delivery).where(Delivery.recipient_id == user.id).order_by(Delivery.id)).all()


@pytest.fixture
def gateway(app):
    with Gateway() as running:
        app.config.update(SMS_WEBHOOK_URL=running.sms_url)
        yield running


@pytest.fixture
def member(app, tree, make_user):
    return make_user(tree["a1"], phone="13800000001", real_name="张三")


def test_email_reaches_the_smtp_server_in_chinese(app, member):
    with SmtpServer() as smtp:
        app.config.update(MAIL_URL=smtp.url, MAIL_FROM="dangjian@example.cn", PUBLIC_URL="https://dj.example.cn")
        services.settings_of(member).email = "zhangsan@example.cn"
        send_notice([member], "n:1", now=local(3, 9))
        assert deliver_due(local(3, 9, 5)) == {"email": {"sent": 1, "failed": 0, "delayed": 0}}
    [(recipients, mail)] = smtp.mails
    assert recipients == ["zhangsan@example.cn"]
    assert mail["Subject"] == "学习通知" and mail["From"] == "dangjian@example.cn"
    text = mail.get_content()
    assert "请按时完成《党章》学习。" in text and "https://dj.example.cn/courses/7" in text
    [delivery] = deliveries_of(member)
    assert delivery.status is DeliveryStatus.SENT and mail["Message-ID"] == f"<{delivery.send_key}@example.cn>"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a local test server, no TLS
def test_email_logs_in_when_the_url_gives_a_login(app, member):
    with SmtpServer(login=("dangjian@example.cn", "p@ss word")) as smtp:
        services.settings_of(member).email = "zhangsan@example.cn"
        app.config.update(MAIL_URL=f"smtp://dangjian%40example.cn:wrong@127.0.0.1:{smtp.port}")
        send_notice([member], "n:1", now=local(3, 9))
        assert deliver_due(local(3, 9))["email"]["failed"] == 1
        app.config.update(MAIL_URL=f"smtp://dangjian%40example.cn:p%40ss%20word@127.0.0.1:{smtp.port}")
        assert deliver_due(local(3, 9, 1))["email"]["sent"] == 1
    assert smtp.logins == [("dangjian@example.cn", "wrong"), ("dangjian@example.cn", "p@ss word")]
    assert [recipients for recipients, _ in smtp.mails] == [["zhangsan@example.cn"]]
    [delivery] = deliveries_of(member)
    assert delivery.status is DeliveryStatus.SENT and delivery.attempts == 2


def test_sms_posts_phone_text_and_key_signed_with_the_secret(app, member, gateway):
    app.config.update(SMS_WEBHOOK_SECRET="s3cret")
    send_notice([member], "n:1", now=local(3, 9))
    assert deliver_due(local(3, 9))["sms"]["sent"] == 1
    [(headers, body, data)] = gateway.sms
    [delivery] = deliveries_of(member)
    assert data["phone"] == "13800000001" and "学习通知" in data["text"] and data["key"] == delivery.send_key
    assert headers["X-Signature"] == signature("s3cret", body) != signature("other", body)


def test_wechat_fetches_a_token_keeps_it_and_replaces_it_once_when_expired(app, tree, make_user, gateway):
    app.config.update(WECHAT_APP_ID="wx-test", WECHAT_APP_SECRET="secret", WECHAT_API_BASE=gateway.base,
                      WECHAT_TEMPLATE_ID="tpl-1")
    first, second = make_user(tree["a1"]), make_user(tree["a1"])
    services.settings_of(first).wechat_openid = "o-first"
    services.settings_of(second).wechat_openid = "o-second"
    send_notice([first], "n:1", now=local(3, 9))
    assert deliver_due(local(3, 9))["wechat"]["sent"] == 1
    send_notice([second], "n:2", now=local(3, 10))
    gateway.expire_token_once = True  # WeChat says 42001 to the token kept since the first send
    assert deliver_due(local(3, 10))["wechat"] == {"sent": 1, "failed": 0, "delayed": 0}
    assert gateway.tokens_issued == 2
    sent = [(token, data["touser"], data["template_id"]) for token, data in gateway.template_sends]
    assert sent == [("token-1", "o-first", "tpl-1"), ("token-2", "o-second", "tpl-1")]
    assert gateway.template_sends[1][1]["client_msg_id"] == deliveries_of(second)[0].send_key


def test_a_wechat_token_about_to_expire_is_not_used(app, tree, make_user, gateway):
    app.config.update(WECHAT_APP_ID="wx-short", WECHAT_APP_SECRET="secret", WECHAT_API_BASE=gateway.base,
                      WECHAT_TEMPLATE_ID="tpl-1")
    gateway.token_lifetime = 30  # less than the minute of margin: fetched again for every send
    members = [make_user(tree["a1"]) for _ in range(2)]
    for number, user in enumerate(members):
        services.settings_of(user).wechat_openid = f"o-{number}"
    send_notice(members, "n:1", now=local(3, 9))
    assert deliver_due(local(3, 9))["wechat"]["sent"] == 2
    assert gateway.tokens_issued == 2 and [token for token, _ in gateway.template_sends] == ["token-1", "token-2"]


def test_nothing_goes_out_at_night_and_it_goes_at_seven(app, member, gateway):
    send_notice([member], "n:1", now=local(3, 23))
    assert deliver_due(local(3, 23))["sms"] == {"sent": 0, "failed": 0, "delayed": 1}
    assert as_utc(deliveries_of(member)[0].not_before) == local(4, 7)
    assert deliver_due(local(4, 6, 59))["sms"]["sent"] == 0
    assert gateway.sms == []
    assert deliver_due(local(4, 7))["sms"]["sent"] == 1
    assert len(gateway.sms) == 1


def test_several_messages_go_as_one_digest_and_a_later_one_waits_for_tomorrow(app, member, gateway):
    for number in range(3):
        send_notice([member], f"n:{number}", subject=f"通知{number}", link=f"/sites/{number}", now=local(3, 8))
    assert deliver_due(local(3, 9))["sms"]["sent"] == 3
    [(_, _, data)] = gateway.sms
    assert data["text"].startswith("您有 3 条新消息")
    assert all(f"通知{n}" in data["text"] and f"/sites/{n}" in data["text"] for n in range(3))
    send_notice([member], "n:late", now=local(3, 15))
    assert deliver_due(local(3, 15))["sms"] == {"sent": 0, "failed": 0, "delayed": 1}
    assert as_utc(deliveries_of(member)[-1].not_before) == local(4, 7)
    assert deliver_due(local(4, 7))["sms"]["sent"] == 1
    assert len(gateway.sms) == 2


def test_the_day_is_the_organisations_not_utcs(app, member, gateway):
    send_notice([member], "n:1", now=local(3, 7, 30))  # 23:30 UTC on the 2nd
    assert deliver_due(local(3, 7, 30))["sms"]["sent"] == 1
    send_notice([member], "n:2", now=local(3, 9))  # 01:00 UTC on the 3rd: another UTC day, the same local one
    assert deliver_due(local(3, 9))["sms"]["delayed"] == 1
    send_notice([member], "n:3", now=local(3, 21))
    assert deliver_due(local(4, 7, 5))["sms"]["sent"] == 2  # 23:05 UTC on the 3rd, but a new local day


def test_a_channel_the_member_turned_off_sends_nothing(app, tree, make_user, gateway):
    before, after = make_user(tree["a1"], phone="13800000002"), make_user(tree["a1"], phone="13800000003")
    services.settings_of(before).sms_on = False
    send_notice([before, after], "n:1", now=local(3, 9))
    assert deliveries_of(before) == []
    services.settings_of(after).sms_on = False  # turned off while the delivery waited
    db.session.commit()
    assert deliver_due(local(3, 9))["sms"] == {"sent": 0, "failed": 1, "delayed": 0}
    assert gateway.sms == []
    assert db.session.scalar(select(func.count()).select_from(Message)) == 2  # the message centre has both


def test_a_failing_gateway_is_retried_with_backoff_then_marked_failed(app, member, gateway):
    gateway.fail, gateway.fail_status = 100, 503
    send_notice([member], "n:1", now=local(3, 9))
    moment = local(3, 9)
    for wait in (timedelta(0), timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30)):
        moment += wait
        assert deliver_due(moment)["sms"]["failed"] == 1
        assert deliver_due(moment + wait / 2)["sms"]["failed"] == 0  # not before its time
        assert deliveries_of(member)[0].status is DeliveryStatus.PENDING
    assert deliver_due(moment + timedelta(hours=2))["sms"]["failed"] == 1
    [delivery] = deliveries_of(member)
    assert delivery.status is DeliveryStatus.FAILED and delivery.attempts == 5
    assert delivery.last_error == "SMS gateway answered 503"
    assert len(gateway.sms) == 5 and gateway.delivered == {}
    assert deliver_due(moment + timedelta(days=1))["sms"]["failed"] == 0  # given up: never tried again
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1


def test_a_send_that_failed_once_goes_on_the_retry(app, member, gateway):
    gateway.fail = 1
    send_notice([member], "n:1", now=local(3, 9))
    assert deliver_due(local(3, 9))["sms"]["failed"] == 1
    assert deliver_due(local(3, 9, 1))["sms"]["sent"] == 1
    assert len(gateway.delivered) == 1 and deliveries_of(member)[0].status is DeliveryStatus.SENT


def test_statements_grow_by_one_per_send_only(app, tree, make_user, gateway, count_queries):
    few = [make_user(tree["a1"], phone=f"1380000{n:04d}") for n in range(3)]
    many = [make_user(tree["a2"], phone=f"1390000{n:04d}") for n in range(30)]
    send_notice(few, "n:few", now=local(3, 9))
    with count_queries() as small:
        deliver_due(local(3, 9))
    send_notice(many, "n:many", now=local(3, 9))
    with count_queries() as large:
        deliver_due(local(3, 9))
    assert large["n"] - small["n"] == len(many) - len(few)
    assert len(gateway.delivered) == 33


def test_the_command_sends_and_prints_the_counts(app, member, gateway, runner):
    send_notice([member], "n:1")
    result = runner.invoke(args=["deliver-messages"])
    assert result.exit_code == 0, result.output
    hour = datetime.now(SHANGHAI).hour
    expected = "sms: sent 0, failed 0, delayed 1" if hour >= 22 or hour < 7 else "sms: sent 1, failed 0, delayed 0"
    assert expected in result.output


@on_postgres
def test_two_workers_at_once_send_each_delivery_once(app, tree, make_user, gateway):
    members = [make_user(tree["a1"], phone=f"1370000{n:04d}") for n in range(40)]
    send_notice(members, "n:1", now=local(3, 9))
    gateway.delay = 0.01
    results = run_at_once(app, [lambda: deliver_due(local(3, 9))] * 4)
    assert sum(result["sms"]["sent"] for result in results) == 40
    assert len(gateway.sms) == 40 and len(gateway.delivered) == 40

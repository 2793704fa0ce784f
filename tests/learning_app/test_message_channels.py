"""A member's channels on the account page, and the admin's delivery log."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.messages import services
from learning_app.messages.models import Channel, Delivery, DeliveryStatus, Message, MessageKind, MessageSettings
from learning_app.timezones import local_today, utcnow

ALL_CHANNELS = {"MAIL_URL": "smtp://127.0.0.1:8025", "SMS_WEBHOOK_URL": "http://127.0.0.1:9/sms",
                "WECHAT_APP_ID": "wx-test", "WECHAT_APP_SECRET": "secret"}


@pytest.fixture
def member(tree, make_user):
    return make_user(tree["a1"], real_name="设置党员", phone="13800000000")


def settings_of(member):
    db.session.expire_all()
    return db.session.get(MessageSettings, member.id)


def save(client, **fields):
    data = {"email": "", "wechat_openid": ""} | {name: value for name, value in fields.items() if value is not False}
    return client.post("/messages/channels", data=data)


@pytest.mark.app_config(**ALL_CHANNELS)
def test_the_member_saves_an_address_and_turns_channels_off(client, auth, member):
    auth.login(member)
    page = client.get("/auth/password").get_data(as_text=True)
    assert "电子邮箱" in page and "13800000000" in page and "微信 openid" in page
    assert "站内信中" in page  # the message centre is always on, and the page says so
    response = save(client, email=" dangyuan@example.cn ", email_on="y", sms_on=False,
                    wechat_openid="oAbC-12_3", wechat_on="y")
    assert response.status_code == 302
    settings = settings_of(member)
    assert (settings.email, settings.email_on, settings.sms_on, settings.wechat_openid, settings.wechat_on) == (
        "dangyuan@example.cn", True, False, "oAbC-12_3", True)
    assert "接收渠道已保存。" in client.get("/auth/password").get_data(as_text=True)
    # Unbinding WeChat: the openid left empty.
    save(client, email="dangyuan@example.cn", email_on="y", wechat_openid="", wechat_on="y")
    assert settings_of(member).wechat_openid is None and settings_of(member).sms_on is False


@pytest.mark.app_config(**ALL_CHANNELS)
@pytest.mark.parametrize("email", ["dangyuan", "dang yuan@example.cn", "dangyuan@example", "a@b@example.cn"])
def test_an_invalid_email_is_refused_in_chinese_and_nothing_is_saved(client, auth, member, email):
    auth.login(member)
    response = save(client, email=email, email_on="y", sms_on="y", wechat_on="y")
    assert response.status_code == 400
    assert "请输入电子邮箱地址，例如“name@example.cn”。" in response.get_data(as_text=True)
    assert settings_of(member) is None


@pytest.mark.app_config(**ALL_CHANNELS)
def test_an_invalid_openid_is_refused(client, auth, member):
    auth.login(member)
    response = save(client, wechat_openid="<script>", email_on="y", sms_on="y", wechat_on="y")
    assert response.status_code == 400 and "openid 只含字母" in response.get_data(as_text=True)
    assert settings_of(member) is None


@pytest.mark.app_config(**ALL_CHANNELS)
def test_the_defaults_posted_back_create_no_settings(client, auth, member):
    auth.login(member)
    response = save(client, email_on="y", sms_on="y", wechat_on="y")
    assert response.status_code == 302 and settings_of(member) is None
    assert "没有任何更改。" in client.get("/auth/password").get_data(as_text=True)


@pytest.mark.app_config(MAIL_URL="smtp://127.0.0.1:8025")
def test_only_configured_channels_are_offered_and_the_others_keep_their_choice(client, auth, member):
    with client.application.app_context():
        services.settings_of(member).sms_on = False
        db.session.commit()
    auth.login(member)
    page = client.get("/auth/password").get_data(as_text=True)
    assert 'name="email"' in page and 'name="sms_on"' not in page and 'name="wechat_openid"' not in page
    # A post that names every channel changes only the offered one.
    response = client.post("/messages/channels", data={"email": "a@example.cn", "email_on": "y", "sms_on": "y",
                                                       "wechat_openid": "o-forged", "wechat_on": "y"})
    assert response.status_code == 302
    settings = settings_of(member)
    assert (settings.email, settings.sms_on, settings.wechat_openid) == ("a@example.cn", False, None)


def test_with_no_channel_configured_the_page_says_the_message_centre_is_the_only_one(client, auth, member):
    auth.login(member)
    page = client.get("/auth/password").get_data(as_text=True)
    assert "站内信是唯一的渠道" in page and "/messages/channels" not in page


@pytest.mark.app_config(**ALL_CHANNELS)
def test_a_member_without_a_phone_is_told_so(client, auth, tree, make_user):
    auth.login(make_user(tree["a1"]))
    assert "您的账号没有手机号" in client.get("/auth/password").get_data(as_text=True)


# -- the admin's delivery log ------------------------------------------------------------------------

def deliveries(member, channel, *statuses, when=None, error=None):
    when = when or utcnow()
    for index, status in enumerate(statuses):
        message = Message(recipient_id=member.id, kind=MessageKind.NOTICE, dedupe_key=f"{channel}-{when}-{index}",
                          subject=f"通知{index}", body="")
        db.session.add(message)
        db.session.flush()
        db.session.add(Delivery(message_id=message.id, recipient_id=member.id, channel=channel, status=status,
                                not_before=when, attempts=5 if status == DeliveryStatus.FAILED else 1,
                                sent_at=when if status == DeliveryStatus.SENT else None,
                                last_error=error if status == DeliveryStatus.FAILED else None))
    db.session.commit()


def count_cells(html, day, channel_label):
    """The sent, failed and waiting counts of the day's row for the channel."""
    row = re.search(rf"<tr><td[^>]*>{day}</td><td>{channel_label}</td>(.*?)</tr>", html, re.S)
    assert row, (day, channel_label)
    return [int(cell) for cell in re.findall(r">(\d+)</td>", row.group(1))]


def test_the_admin_sees_counts_per_day_and_channel_and_the_failed_deliveries(client, auth, member, make_user,
                                                                            count_queries):
    admin = make_user(roles=["admin"])
    now = utcnow()
    deliveries(member, Channel.EMAIL, DeliveryStatus.SENT, DeliveryStatus.SENT, DeliveryStatus.FAILED,
               DeliveryStatus.PENDING, when=now, error="550 mailbox unavailable")
    deliveries(member, Channel.SMS, DeliveryStatus.SENT, when=now)
    deliveries(member, Channel.EMAIL, DeliveryStatus.SENT, when=now - timedelta(days=2))
    deliveries(member, Channel.EMAIL, DeliveryStatus.SENT, when=now - timedelta(days=40))  # outside the log's days
    auth.login(admin)
    html = client.get("/admin/deliveries").get_data(as_text=True)
    today = local_today()
    # Columns: sent, failed, waiting (DeliveryStatus order: waiting, sent, failed).
    assert count_cells(html, today, "电子邮件") == [1, 2, 1]
    assert count_cells(html, today, "短信") == [0, 1, 0]
    assert count_cells(html, today - timedelta(days=2), "电子邮件") == [0, 1, 0]
    assert str(today - timedelta(days=40)) not in html
    assert "550 mailbox unavailable" in html and "设置党员" in html and "通知2" in html

    client.get("/admin/deliveries")
    with count_queries() as counted:
        client.get("/admin/deliveries")
    statements = counted["n"]
    deliveries(member, Channel.WECHAT, *[DeliveryStatus.FAILED] * 20, when=now, error="40001 invalid credential")
    with count_queries() as counted:
        assert "40001 invalid credential" in client.get("/admin/deliveries").get_data(as_text=True)
    assert counted["n"] == statements


def test_the_delivery_log_speaks_chinese(app, client, auth, member, make_user):
    app.config.update(MAIL_URL="smtp://127.0.0.1:8025", SMS_WEBHOOK_URL="http://127.0.0.1:9/sms")
    deliveries(member, Channel.SMS, DeliveryStatus.FAILED, when=utcnow(), error="502 gateway")
    auth.login(make_user(roles=["admin"]))
    html = client.get("/admin/deliveries").get_data(as_text=True)
    assert "已配置的渠道：电子邮件、短信。" in html
    assert "发送次数" in html and "作答" not in html  # not the quizzes' word for attempts


@pytest.mark.parametrize("roles", [(), ("author",), ("reviewer",)])
def test_the_delivery_log_is_for_admins_only(client, auth, tree, make_user, roles):
    auth.login(make_user(tree["a1"], roles=roles))
    assert client.get("/admin/deliveries").status_code == 403


def test_a_supervisor_cannot_see_the_delivery_log(client, auth, tree, make_user):
    auth.login(make_user(tree["a1"], supervises=tree["committee"]))
    assert client.get("/admin/deliveries").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0

"""notify(): one message per member and key, in the member's language, with a delivery per channel."""
from flask_babel import gettext
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.messages import queries, services
from learning_app.messages.models import Channel, Delivery, Message, MessageKind
from tests.concurrency import on_postgres, run_at_once


def compose():
    return gettext("Log out"), gettext("Menu")


def messages_of(user):
    return db.session.scalars(select(Message).where(Message.recipient_id == user.id)).all()


def test_each_member_gets_one_message_in_their_language(app, tree, make_user):
    chinese, english = make_user(tree["a1"]), make_user(tree["a1"], locale="en")
    with app.test_request_context():  # a supervisor's request in Chinese sends to an English reader
        assert services.notify([chinese.id, english.id], MessageKind.NOTICE, "notice:1", compose, "/sites/1") == 2
        db.session.commit()
    assert [m.subject for m in messages_of(chinese)] == ["退出登录"]
    assert [m.subject for m in messages_of(english)] == ["Log out"]
    assert messages_of(english)[0].link == "/sites/1"
    assert queries.unread_count(english) == 1


def test_the_same_key_never_messages_a_member_twice(app, tree, make_user):
    member, other = make_user(tree["a1"]), make_user(tree["a1"])
    with app.app_context():
        assert services.notify([member.id], MessageKind.NOTICE, "notice:1", compose) == 1
        assert services.notify([member.id, other.id], MessageKind.NOTICE, "notice:1", compose) == 1
        assert services.notify([member.id], MessageKind.NOTICE, "notice:2", compose) == 1
        db.session.commit()
    assert len(messages_of(member)) == 2 and len(messages_of(other)) == 1


def test_inactive_accounts_get_nothing(app, tree, make_user):
    gone = make_user(tree["a1"], is_active_account=False)
    with app.app_context():
        assert services.notify([gone.id], MessageKind.NOTICE, "notice:1", compose) == 0


def test_deliveries_go_to_configured_channels_the_member_can_be_reached_on(app, tree, make_user):
    app.config.update(MAIL_URL="smtp://127.0.0.1:8025", SMS_WEBHOOK_URL="http://127.0.0.1:9/sms")
    with_phone = make_user(tree["a1"], phone="13800000000")
    with_both = make_user(tree["a1"], phone="13800000001")
    sms_off = make_user(tree["a1"], phone="13800000002")
    nothing = make_user(tree["a1"])
    with app.app_context():
        services.settings_of(with_both).email = "dangyuan@example.cn"
        services.settings_of(sms_off).sms_on = False
        services.settings_of(nothing).wechat_openid = "o-abc"  # WeChat is not configured here
        services.notify([u.id for u in (with_phone, with_both, sms_off, nothing)], MessageKind.NOTICE, "n:1", compose)
        db.session.commit()
        channels = {}
        for recipient_id, channel in db.session.execute(select(Delivery.recipient_id, Delivery.channel)):
            channels.setdefault(recipient_id, set()).add(channel)
    assert channels == {with_phone.id: {Channel.SMS}, with_both.id: {Channel.SMS, Channel.EMAIL}}
    assert len(messages_of(nothing)) == 1 and len(messages_of(sms_off)) == 1  # the message centre is always on


def test_statements_do_not_grow_with_the_recipients(app, tree, make_user, count_queries):
    branch = tree["a1"]
    few = [make_user(branch).id for _ in range(3)]
    many = [make_user(branch).id for _ in range(30)]
    with app.app_context():
        with count_queries() as small:
            services.notify(few, MessageKind.NOTICE, "n:few", compose)
        with count_queries() as large:
            services.notify(many, MessageKind.NOTICE, "n:many", compose)
    assert small["n"] == large["n"]


@on_postgres
def test_the_same_event_seen_at_once_messages_each_member_once(app, tree, make_user):
    members = [make_user(tree["a1"], phone=f"1390000000{i}") for i in range(5)]
    app.config.update(SMS_WEBHOOK_URL="http://127.0.0.1:9/sms")
    ids = [m.id for m in members]
    run_at_once(app, [lambda: services.notify(ids, MessageKind.NOTICE, "notice:9", compose)] * 8)
    assert db.session.scalar(select(func.count()).select_from(Message)) == 5
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 5

"""Writes of the message centre: messages sent, read, and members' channel choices.

notify() is the one way anything messages members. It writes, in the caller's transaction, one
message per recipient in the recipient's language and one pending delivery per external channel the
member can be reached on; the worker sends the deliveries (learning_app.messages.delivery). A
message has a key: the same key never messages the same member twice, however often, and however
concurrently, the event that sends it is seen.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..i18n import speaking
from ..models import User
from ..timezones import utcnow
from .models import Channel, Delivery, Message, MessageKind, MessageSettings

# Recipients are written this many at a time: the statements per batch stay the same for 10 or 100,000.
BATCH = 1000


def configured_channels(config=None) -> list[Channel]:
    """The external channels this deployment has configured, in the order they are tried."""
    config = config if config is not None else current_app.config
    channels = []
    if config.get("MAIL_URL"):
        channels.append(Channel.EMAIL)
    if config.get("SMS_WEBHOOK_URL"):
        channels.append(Channel.SMS)
    if config.get("WECHAT_APP_ID") and config.get("WECHAT_APP_SECRET"):
        channels.append(Channel.WECHAT)
    return channels


def reachable_channels(phone: str | None, settings: MessageSettings | None, configured) -> list[Channel]:
    """The configured channels a member has an address for and has not turned off."""
    address = {Channel.EMAIL: settings.email if settings else None, Channel.SMS: phone,
               Channel.WECHAT: settings.wechat_openid if settings else None}
    return [channel for channel in configured if address[channel] and (settings is None or settings.wants(channel))]


def _insert_ignoring_repeats(table):
    dialect = db.session.get_bind().dialect.name
    statement = (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table))
    return statement.on_conflict_do_nothing()


def notify(recipient_ids: Iterable[int], kind: MessageKind, key: str, compose: Callable[[], tuple[str, str]],
           link: str | None = None, now=None) -> int:
    """Message each recipient once for `key`. compose() gives (subject, body) and is called once per
    language among the recipients, inside it (use flask_babel's gettext or learning_app.i18n's).
    Returns how many messages are new (repeats of the key are left out)."""
    now = now or utcnow()
    configured = configured_channels()
    ids = sorted(set(recipient_ids))
    created = 0
    for start in range(0, len(ids), BATCH):
        created += _notify_batch(ids[start:start + BATCH], kind, key, compose, link, now, configured)
    return created


def _notify_batch(ids, kind, key, compose, link, now, configured) -> int:
    rows = db.session.execute(
        select(User.id, User.locale, User.phone, MessageSettings)
        .outerjoin(MessageSettings, MessageSettings.user_id == User.id)
        .where(User.id.in_(ids), User.is_active_account.is_(True))).all()
    if not rows:
        return 0
    by_language = defaultdict(list)
    for row in rows:
        by_language[row.locale].append(row)
    texts = {}
    for locale in by_language:
        with speaking(locale):
            subject, body = compose()
            texts[locale] = (str(subject)[:200], str(body))
    values = [{"recipient_id": row.id, "kind": kind, "dedupe_key": key, "subject": texts[row.locale][0],
               "body": texts[row.locale][1], "link": link, "created_at": now} for row in rows]
    inserted = db.session.execute(_insert_ignoring_repeats(Message).returning(Message.id, Message.recipient_id),
                                  values).all()
    if configured and inserted:
        reach = {row.id: reachable_channels(row.phone, row.MessageSettings, configured) for row in rows}
        deliveries = [{"message_id": message_id, "recipient_id": recipient_id, "channel": channel,
                       "not_before": now} for message_id, recipient_id in inserted for channel in reach[recipient_id]]
        if deliveries:
            db.session.execute(_insert_ignoring_repeats(Delivery), deliveries)
    return len(inserted)


def mark_read(user, message: Message, now=None) -> None:
    if message.read_at is None:
        message.read_at = now or utcnow()


def mark_all_read(user, now=None) -> int:
    result = db.session.execute(update(Message).where(Message.recipient_id == user.id, Message.read_at.is_(None))
                                .values(read_at=now or utcnow()))
    return result.rowcount


def settings_of(user) -> MessageSettings:
    """The member's channel settings, made (every channel on) the first time they are asked for."""
    settings = db.session.get(MessageSettings, user.id)
    if settings is None:
        settings = MessageSettings(user_id=user.id, email_on=True, sms_on=True, wechat_on=True)
        db.session.add(settings)
    return settings


# What a member may set, and the value each has before they ever set it.
CHANNEL_DEFAULTS = {"email": None, "email_on": True, "sms_on": True, "wechat_openid": None, "wechat_on": True}


def update_channels(user, **choices) -> bool:
    """Store the member's channel choices (only those given: a channel the deployment does not offer
    keeps what it had). Choices equal to what is stored, or to the defaults when nothing is stored yet,
    change nothing, not even by creating the settings row. Returns whether anything changed."""
    unknown = set(choices) - set(CHANNEL_DEFAULTS)
    if unknown:
        raise TypeError(f"not channel settings: {sorted(unknown)}")
    for address in ("email", "wechat_openid"):
        if address in choices:
            choices[address] = (choices[address] or "").strip() or None
    settings = db.session.get(MessageSettings, user.id)
    current = ({name: getattr(settings, name) for name in CHANNEL_DEFAULTS} if settings is not None
               else CHANNEL_DEFAULTS)
    changed = {name: value for name, value in choices.items() if current[name] != value}
    if not changed:
        return False
    if settings is None:
        settings = settings_of(user)
    for name, value in changed.items():
        setattr(settings, name, value)
    return True

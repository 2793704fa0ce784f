"""Reminders that fall due with time: deadlines ahead, quiz windows, base sessions tomorrow, reviews
waiting. The core does not know courses or quizzes (imports flow one way), so each package registers
its producers here when it is imported, as feature packages add their menu entries to
learning_app.templating.NAVIGATION.

A producer is `producer(when) -> iterable of Due`: the reminders due at `when` (a Moment), one Due per
batch of at most messages.services.BATCH recipients. Producers select recipients in SQL batches (keyset
pages of member ids), never one query per member, and leave out members who already have the message
(its key), so that running send-reminders again costs one statement per batch and sends nothing new.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import exists, func, select

from ..extensions import db
from ..timezones import as_utc, utcnow
from .models import Channel, Delivery, Message, MessageKind
from .services import BATCH, notify

# (kind, producer), filled by the feature packages at import (see register()).
PRODUCERS: list[tuple[MessageKind, Callable]] = []

# What send-reminders counts: the message centre (every message) and each external channel.
MESSAGE_CENTRE = "message_centre"


@dataclass(frozen=True)
class Moment:
    """The instant reminders are computed for, and the organisation's local day it falls on."""
    now: datetime
    today: date
    zone: ZoneInfo

    @classmethod
    def at(cls, now: datetime | None = None) -> Moment:
        now = as_utc(now) if now else utcnow()
        zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
        return cls(now, now.astimezone(zone).date(), zone)

    def day_range(self, day: date) -> tuple[datetime, datetime]:
        """The local day `day` as UTC instants: since <= moment < until."""
        start = datetime.combine(day, time.min, self.zone)
        return start.astimezone(UTC), datetime.combine(day + timedelta(days=1), time.min, self.zone).astimezone(UTC)


@dataclass
class Due:
    """One batch of one reminder: these members get message `key` (notify's arguments)."""
    recipient_ids: list[int]
    kind: MessageKind
    key: str
    compose: Callable[[], tuple[str, str]]
    link: str | None = None


def register(kind: MessageKind, producer: Callable[[Moment], Iterable[Due]]) -> None:
    """Add a producer of due reminders (once: packages may be imported by several apps)."""
    if not any(known is producer for _, known in PRODUCERS):
        PRODUCERS.append((kind, producer))


def not_yet_messaged(user_id_column, key: str):
    """SQL: the member in `user_id_column` has no message with this key yet."""
    return ~exists().where(Message.recipient_id == user_id_column, Message.dedupe_key == key)


def member_batches(statement, user_id_column, key: str, size: int = BATCH):
    """The ids `statement` selects (a select of one member id column), in keyset pages of `size`,
    leaving out members who already have message `key`: one statement per page."""
    statement = statement.where(not_yet_messaged(user_id_column, key)).order_by(user_id_column).limit(size)
    last = 0
    while True:
        ids = list(db.session.scalars(statement.where(user_id_column > last)))
        if not ids:
            return
        yield ids
        if len(ids) < size:
            return
        last = ids[-1]


def send_due_reminders(now: datetime | None = None, dry_run: bool = False) -> dict:
    """Queue every reminder due at `now` (default: now): messages and their pending deliveries, in the
    caller's transaction. Returns {"kinds": {kind: messages}, "channels": {channel: messages}}, the
    message centre counted as MESSAGE_CENTRE. A dry run writes nothing (its writes are undone in a
    savepoint) and returns what a real run would queue."""
    moment = Moment.at(now)
    before = db.session.scalar(select(func.max(Message.id))) or 0
    savepoint = db.session.begin_nested() if dry_run else None
    try:
        for _kind, producer in PRODUCERS:
            for due in producer(moment):
                notify(due.recipient_ids, due.kind, due.key, due.compose, due.link, now=moment.now)
        counts = _counts_since(before)
    finally:
        if savepoint is not None:
            savepoint.rollback()
    return counts


def _counts_since(before: int) -> dict:
    kinds = dict(db.session.execute(select(Message.kind, func.count()).where(Message.id > before)
                                    .group_by(Message.kind)).all())
    channels = dict(db.session.execute(select(Delivery.channel, func.count()).where(Delivery.message_id > before)
                                       .group_by(Delivery.channel)).all())
    per_channel = {MESSAGE_CENTRE: sum(kinds.values())}
    per_channel.update({channel.value: channels.get(channel, 0) for channel in Channel})
    return {"kinds": {MessageKind(kind).value: count for kind, count in kinds.items()}, "channels": per_channel}

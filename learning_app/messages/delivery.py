"""The worker's side of the messages: deliver_due() sends the deliveries that are due, through the
channels this deployment configures (learning_app.messages.channels), without nagging and without
losing or repeating a send.

Rules (DESIGN.md "Talking with members", issue 21 items 4 and 7), all in the organisation's local time
(BABEL_DEFAULT_TIMEZONE):
- nothing goes out between 22:00 and 07:00: what falls due then waits until 07:00 (not_before moves;
  nothing is dropped);
- one send per member per local day per channel: a member's due deliveries on a channel go as one
  digest ("您有 3 条新消息", each message's subject and link); if the member already had a send today on
  that channel, they wait until 07:00 tomorrow;
- a send the channel refuses is tried again after 1, 5, 30 minutes and 2 hours; after the fifth try
  the delivery is FAILED with its last_error, for the admin. The message centre keeps the message.

How a send is neither lost nor repeated. A batch is read (on PostgreSQL with FOR UPDATE SKIP LOCKED,
so two workers at once never take the same rows) and *claimed* in one committed transaction: each
group of deliveries that will go as one send gets its send_key, sent_at = now (so that it counts
towards today's send at once) and not_before = now + DELIVERY_CLAIM_SECONDS (the lease). Then each
group is sent, and its outcome (SENT, or the retry or FAILED) is committed right after its send, one
group at a time. So:
- a worker killed anywhere leaves every group it had not sent still PENDING under its claim; when the
  lease runs out, any worker sends those groups again, with the same send_key and contents (the group
  is kept as claimed, not merged with newer deliveries), so nothing is lost;
- of those, only the one group whose send was in flight when the worker died may have reached the
  channel already: that one send can reach the channel twice, with the same key. The channels carry
  the key (SMS "key", email Message-ID, WeChat client_msg_id) so that a gateway that honours it drops
  the repeat. Without the channel's help no worker can do better: a send and its record in the
  database can never be one atomic step. tests/learning_app/test_messages_delivery.py kills a worker
  in the middle of 1,000 SMS and counts each message delivered once by key, and at most one repeat.
- The lease must outlast the sending of one batch (BATCH groups x the channel's timeout of 10 to 20 s
  in the worst case): the default of 15 minutes does.

Statements: per batch a fixed number (read, today's sends, members' addresses, messages, the claim,
the day's cap) plus one UPDATE per send, which is a network round trip anyway, and whose commit is what
bounds a crash to one send in doubt.

On SQLite there is one writer: `make run` runs one worker, and two workers at once are not supported.
On PostgreSQL two workers may still, rarely, both send to one member on one day when each took
different deliveries of that member in the same instant (the day's cap is read, not locked).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext, ngettext
from sqlalchemy import func, select, update

from ..extensions import db
from ..i18n import speaking
from ..models import User
from ..timezones import as_utc, utcnow
from ..transactions import committing
from .channels import ChannelError, Envelope, channel_for
from .models import Channel, Delivery, DeliveryStatus, Message, MessageSettings
from .services import configured_channels

# Deliveries read per batch.
BATCH = 200
# Waits after the 1st, 2nd, 3rd and 4th failed try; the 5th failed try is the last.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(BACKOFF) + 1
QUIET_FROM = time(22, 0)
QUIET_UNTIL = time(7, 0)


@dataclass
class Group:
    """Deliveries that go out as one send: one member, one channel."""
    channel: Channel
    recipient_id: int
    send_key: str | None
    rows: list = field(default_factory=list)
    in_doubt: bool = False


def deliver_due(now: datetime | None = None) -> dict[str, dict[str, int]]:
    """Send what is due at `now` (default: the current time). Returns, per configured channel, how
    many deliveries were sent, failed (this try; retried later unless it was the last) and delayed
    (to the morning, or to tomorrow because the member already had today's send)."""
    fixed = as_utc(now)
    clock = (lambda: fixed) if fixed else utcnow  # a long run claims and records at the real time
    configured = configured_channels()
    counts = {channel.value: {"sent": 0, "failed": 0, "delayed": 0} for channel in configured}
    if not configured:
        return counts
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    senders = {channel: channel_for(channel, current_app.config) for channel in configured}
    while True:
        now = clock()
        local = now.astimezone(zone)
        with committing():
            if local.time() >= QUIET_FROM or local.time() < QUIET_UNTIL:
                _hold_until_morning(now, _next_morning(local), configured, counts)
                return counts
            groups = _claim_batch(now, local, configured, counts)
        if groups is None:
            return counts
        for group, envelope in groups:
            _send(group, envelope, senders[group.channel], clock(), counts)


def _next_morning(local: datetime) -> datetime:
    day = local.date() + timedelta(days=1) if local.time() >= QUIET_UNTIL else local.date()
    return datetime.combine(day, QUIET_UNTIL, local.tzinfo).astimezone(UTC)


def _due(now, configured):
    return (Delivery.status == DeliveryStatus.PENDING, Delivery.not_before <= now, Delivery.channel.in_(configured))


def _hold_until_morning(now, morning, configured, counts):
    for channel, number in db.session.execute(select(Delivery.channel, func.count()).where(*_due(now, configured))
                                              .group_by(Delivery.channel)):
        counts[channel.value]["delayed"] += number
    db.session.execute(update(Delivery).where(*_due(now, configured)).values(not_before=morning),
                       execution_options={"synchronize_session": False})


def _claim_batch(now, local, configured, counts):
    """Read a batch of due deliveries, defer those over the day's cap, claim the rest. Returns the
    groups to send with their envelopes ([] if this batch held none to send), or None when nothing is due."""
    rows = db.session.execute(
        select(Delivery.id, Delivery.message_id, Delivery.recipient_id, Delivery.channel, Delivery.send_key,
               Delivery.attempts)
        .where(*_due(now, configured))
        .order_by(Delivery.channel, Delivery.recipient_id, Delivery.id)
        .limit(BATCH).with_for_update(skip_locked=True)).all()
    if not rows:
        return None
    if len(rows) == BATCH:  # the last member's deliveries may go on in the next batch: keep them whole
        last = (rows[-1].channel, rows[-1].recipient_id)
        whole = [row for row in rows if (row.channel, row.recipient_id) != last]
        rows = whole or rows
    groups = _group(rows)
    # Every moment is written and compared in UTC: SQLite keeps a datetime's wall clock, not its zone.
    midnight = datetime.combine(local.date(), time.min, local.tzinfo).astimezone(UTC)
    busy = set(db.session.execute(
        select(Delivery.recipient_id, Delivery.channel).distinct()
        .where(Delivery.recipient_id.in_({row.recipient_id for row in rows}), Delivery.sent_at >= midnight,
               Delivery.id.not_in([row.id for row in rows]))).all())
    # A claim in doubt (its worker died) is sent again whatever the cap: it is the same send.
    busy |= {(group.recipient_id, group.channel) for group in groups if group.in_doubt}
    capped = [group for group in groups if not group.in_doubt and (group.recipient_id, group.channel) in busy]
    if capped:
        tomorrow = datetime.combine(local.date() + timedelta(days=1), QUIET_UNTIL, local.tzinfo).astimezone(UTC)
        _set(capped, not_before=tomorrow)
        for group in capped:
            counts[group.channel.value]["delayed"] += len(group.rows)
    going = [group for group in groups if group not in capped]
    if not going:
        return []
    envelopes, unreachable = _envelopes(going, local)
    if unreachable:
        _set(unreachable, status=DeliveryStatus.FAILED, last_error="no address, or the member turned this channel off")
        for group in unreachable:
            counts[group.channel.value]["failed"] += len(group.rows)
    lease = now + timedelta(seconds=current_app.config["DELIVERY_CLAIM_SECONDS"])
    claims = [{"id": row.id, "send_key": group.send_key, "sent_at": now, "not_before": lease,
               "attempts": row.attempts + 1} for group, _ in envelopes for row in group.rows]
    db.session.execute(update(Delivery), claims)
    return envelopes


def _group(rows) -> list[Group]:
    groups: dict[tuple, Group] = {}
    for row in rows:
        key = (row.channel, row.recipient_id, row.send_key)
        if key not in groups:
            groups[key] = Group(row.channel, row.recipient_id, row.send_key)
        groups[key].rows.append(row)
    for group in groups.values():
        group.in_doubt = group.send_key is not None  # claimed by a worker that died: same key, same rows
        group.send_key = group.send_key or uuid.uuid4().hex
    return list(groups.values())


def _set(groups, **values):
    db.session.execute(update(Delivery).where(Delivery.id.in_([row.id for group in groups for row in group.rows]))
                       .values(**values), execution_options={"synchronize_session": False})


def _envelopes(groups, local):
    """What each group sends, in its member's language; and the groups whose member cannot be reached."""
    people = {row.id: row for row in db.session.execute(
        select(User.id, User.phone, User.locale, MessageSettings)
        .outerjoin(MessageSettings, MessageSettings.user_id == User.id)
        .where(User.id.in_({group.recipient_id for group in groups})))}
    messages = {row.id: row for row in db.session.execute(
        select(Message.id, Message.subject, Message.body, Message.link, Message.created_at)
        .where(Message.id.in_({row.message_id for group in groups for row in group.rows})))}
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    when = local.strftime("%Y-%m-%d %H:%M")
    ready, unreachable = [], []
    for group in groups:
        person = people.get(group.recipient_id)
        address = _address(person, group.channel) if person else None
        if not address:
            unreachable.append(group)
            continue
        items = sorted((messages[row.message_id] for row in group.rows), key=lambda m: (m.created_at, m.id))
        with speaking(person.locale):
            subject, text = _compose(items, base)
        link = base + items[0].link if len(items) == 1 and items[0].link else (base + "/" if base else None)
        ready.append((group, Envelope(address, subject, text, link, group.send_key, when)))
    return ready, unreachable


def _address(person, channel):
    settings = person.MessageSettings
    if settings is not None and not settings.wants(channel):
        return None
    return {Channel.EMAIL: settings.email if settings else None, Channel.SMS: person.phone,
            Channel.WECHAT: settings.wechat_openid if settings else None}[channel]


def _compose(items, base) -> tuple[str, str]:
    if len(items) == 1:
        item = items[0]
        lines = [item.subject, item.body] + ([base + item.link] if item.link else [])
        return item.subject, "\n\n".join(line for line in lines if line)
    subject = ngettext("You have %(num)d new message", "You have %(num)d new messages", len(items))
    lines = [subject]
    for number, item in enumerate(items, 1):
        lines.append(f"{number}. {item.subject}" + (f"\n   {base}{item.link}" if item.link else ""))
    lines.append(gettext("Read them all in the message centre."))
    return subject, "\n".join(lines)


def _send(group, envelope, sender, now, counts):
    """One send, and its outcome committed at once (see the module's note)."""
    try:
        sender.send(envelope)
    except ChannelError as error:
        _record_failure(group, str(error), now, counts)
        return
    with committing():
        db.session.execute(update(Delivery).where(Delivery.send_key == group.send_key,
                                                  Delivery.status == DeliveryStatus.PENDING)
                           .values(status=DeliveryStatus.SENT, sent_at=now, last_error=None),
                           execution_options={"synchronize_session": False})
    counts[group.channel.value]["sent"] += len(group.rows)


def _record_failure(group, error, now, counts):
    outcomes = []
    for row in group.rows:
        tries = row.attempts + 1
        if tries >= MAX_ATTEMPTS:
            outcomes.append({"id": row.id, "status": DeliveryStatus.FAILED, "last_error": error[:300],
                             "sent_at": None})
        else:
            outcomes.append({"id": row.id, "last_error": error[:300], "sent_at": None, "send_key": None,
                             "not_before": now + BACKOFF[tries - 1]})
    with committing():
        # Rows of one update share their keys: the given-up and the retried go in two statements at most.
        for shape in ({"status"}, {"not_before"}):
            same = [outcome for outcome in outcomes if shape <= outcome.keys()]
            if same:
                db.session.execute(update(Delivery), same)
    counts[group.channel.value]["failed"] += len(group.rows)

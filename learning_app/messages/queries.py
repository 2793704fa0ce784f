"""Reads of the message centre."""
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import User
from ..timezones import local_date, local_day_range
from .models import Delivery, DeliveryStatus, Message


def unread_count_column(user_id):
    """The member's unread count as a column to read with their row (`user_id`, a column): the navbar
    shows it on every page, and a statement of its own cost every page about a fifth of its time."""
    return (select(func.count()).select_from(Message)
            .where(Message.recipient_id == user_id, Message.read_at.is_(None)).scalar_subquery())


def unread_count(user) -> int:
    return db.session.scalar(select(func.count()).select_from(Message)
                             .where(Message.recipient_id == user.id, Message.read_at.is_(None))) or 0


def inbox_query(user):
    """The member's messages, newest first."""
    return select(Message).where(Message.recipient_id == user.id).order_by(Message.created_at.desc(),
                                                                           Message.id.desc())


def message_of_or_404(user, message_id: int) -> Message:
    """The member's own message; anyone else's (or none) is 404, so ids reveal nothing."""
    return db.first_or_404(select(Message).where(Message.id == message_id, Message.recipient_id == user.id))


# -- the admin's delivery log ----------------------------------------------------------------------

def _delivery_day():
    """A delivery's local day: when it was sent, else when it is (or was last) due."""
    return local_date.of(func.coalesce(Delivery.sent_at, Delivery.not_before))


def delivery_counts(since):
    """[(local day, channel, status, count)] of the deliveries since that local day, newest day first,
    counted in SQL: one statement however many deliveries there are."""
    day = _delivery_day()
    return db.session.execute(
        select(day.label("day"), Delivery.channel, Delivery.status, func.count().label("count"))
        .where(func.coalesce(Delivery.sent_at, Delivery.not_before) >= local_day_range(since, None)[0])
        .group_by(day, Delivery.channel, Delivery.status)
        .order_by(day.desc(), Delivery.channel)).all()


def failed_deliveries_query():
    """The failed deliveries with their message, newest first (a select, to paginate)."""
    return (select(Delivery).join(Delivery.message).options(contains_eager(Delivery.message))
            .where(Delivery.status == DeliveryStatus.FAILED)
            .order_by(Delivery.not_before.desc(), Delivery.id.desc()))


def recipients_of(deliveries) -> dict[int, tuple[str, str]]:
    """{user id: (name, member number)} of the deliveries' recipients, in one statement."""
    ids = {delivery.recipient_id for delivery in deliveries}
    if not ids:
        return {}
    return {row.id: (row.real_name, row.login_id)
            for row in db.session.execute(select(User.id, User.real_name, User.login_id).where(User.id.in_(ids)))}

"""Reads of the message centre."""
from sqlalchemy import func, select

from ..extensions import db
from .models import Message


def unread_count(user) -> int:
    return db.session.scalar(select(func.count()).select_from(Message)
                             .where(Message.recipient_id == user.id, Message.read_at.is_(None))) or 0


def inbox_query(user):
    """The member's messages, newest first."""
    return select(Message).where(Message.recipient_id == user.id).order_by(Message.created_at.desc(),
                                                                           Message.id.desc())

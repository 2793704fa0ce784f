"""Messages to members: one row per recipient in the message centre (站内信), and one delivery per
external channel (email, SMS, WeChat) with its own state, so that a failing channel never loses the
message and a send is never repeated (the delivery row is the idempotency key of that send)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import LabelledEnum, _enum_column
from ..timezones import utcnow


class MessageKind(LabelledEnum):
    COURSE_ASSIGNED = "course_assigned"
    DEADLINE_AHEAD = "deadline_ahead"
    QUIZ_OPENS = "quiz_opens"
    QUIZ_CLOSES = "quiz_closes"
    SESSION_TOMORROW = "session_tomorrow"
    SESSION_CHANGED = "session_changed"
    SESSION_CANCELLED = "session_cancelled"
    NOTICE = "notice"
    REVIEW_OUTCOME = "review_outcome"
    REVIEW_WAITING = "review_waiting"
    REMINDER = "reminder"  # a supervisor's "remind those who have not finished"


MessageKind.LABELS = {
    "course_assigned": _l("Course assigned"), "deadline_ahead": _l("Deadline ahead"),
    "quiz_opens": _l("Quiz opens"), "quiz_closes": _l("Quiz closes"),
    "session_tomorrow": _l("Base session tomorrow"), "session_changed": _l("Base session changed"),
    "session_cancelled": _l("Base session cancelled"), "notice": _l("Site notice"),
    "review_outcome": _l("Review outcome"), "review_waiting": _l("Review waiting"),
    "reminder": _l("Reminder from the organisation")}
MessageKind.ZH = {
    "course_assigned": "课程指派", "deadline_ahead": "截止提醒", "quiz_opens": "测验开放",
    "quiz_closes": "测验即将关闭",
    "session_tomorrow": "基地活动明日举行", "session_changed": "基地活动变更", "session_cancelled": "基地活动取消",
    "notice": "站点通知", "review_outcome": "审核结果", "review_waiting": "待审核提醒", "reminder": "组织提醒"}


class Channel(LabelledEnum):
    """The channels beside the message centre, which is always on."""
    EMAIL = "email"
    SMS = "sms"
    WECHAT = "wechat"


Channel.LABELS = {"email": _l("Email"), "sms": _l("SMS"), "wechat": _l("WeChat")}
Channel.ZH = {"email": "电子邮件", "sms": "短信", "wechat": "微信"}


class DeliveryStatus(LabelledEnum):
    PENDING = "pending"  # waiting for the worker (or for the morning, or for tomorrow's turn)
    SENT = "sent"
    FAILED = "failed"    # the channel refused it on its last try; the message centre still has it


DeliveryStatus.LABELS = {"pending": _l("Waiting"), "sent": _l("Sent"), "failed": _l("Failed")}
DeliveryStatus.ZH = {"pending": "等待发送", "sent": "已发送", "failed": "发送失败"}


class Message(db.Model):
    """A message to one member, in their language, as the message centre shows it."""
    __tablename__ = "message"
    __table_args__ = (
        # What makes a reminder idempotent: the same event never messages the same member twice.
        UniqueConstraint("recipient_id", "dedupe_key", name="uq_message_recipient_key"),
        Index("ix_message_recipient_unread", "recipient_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[MessageKind] = _enum_column(MessageKind)
    dedupe_key: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # A path inside the platform (/courses/12), never another site's address.
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    deliveries: Mapped[list[Delivery]] = relationship(back_populates="message", cascade="all, delete-orphan",
                                                      passive_deletes=True)


class Delivery(db.Model):
    """A message's journey through one external channel. (message, channel) is unique: a worker that
    dies mid-batch and starts again finds what it sent marked sent, and sends only the rest."""
    __tablename__ = "message_delivery"
    __table_args__ = (
        UniqueConstraint("message_id", "channel", name="uq_delivery_message_channel"),
        # The worker's question: what is due now?
        Index("ix_delivery_due", "status", "not_before"),
        Index("ix_delivery_recipient_channel", "recipient_id", "channel", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
    # Copied from the message: the daily cap and the digest gather a member's deliveries per channel.
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    channel: Mapped[Channel] = _enum_column(Channel)
    status: Mapped[DeliveryStatus] = _enum_column(DeliveryStatus, default=DeliveryStatus.PENDING)
    # Not before this moment: quiet hours, the daily cap and retries move it on; nothing is dropped.
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The external send this delivery went out in (several, as one digest): the key the channel is given.
    send_key: Mapped[str | None] = mapped_column(String(64), index=True)

    message: Mapped[Message] = relationship(back_populates="deliveries")


class MessageSettings(db.Model):
    """A member's channels. Every channel is on until the member turns it off (and needs an address:
    an email address, the phone on their account, a bound WeChat openid)."""
    __tablename__ = "message_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    wechat_openid: Mapped[str | None] = mapped_column(String(64))
    email_on: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    sms_on: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    wechat_on: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    def wants(self, channel: Channel) -> bool:
        return {Channel.EMAIL: self.email_on, Channel.SMS: self.sms_on, Channel.WECHAT: self.wechat_on}[channel]

"""The external channels beside the message centre: email over SMTP, SMS through an HTTP gateway,
WeChat template messages. Each is configured from the environment (config.py, README "Messages") and
offers one call, send(envelope): it hands one message (or one digest) to the outside world, or raises
ChannelError, which the delivery worker (learning_app.messages.delivery) retries with backoff.

Every send carries the envelope's key (the delivery's send_key): the SMS body's "key", the email's
Message-ID, WeChat's client_msg_id. A gateway that honours it makes a repeated send (after a worker
died between the send and its record) a no-op.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..models import Channel


class ChannelError(Exception):
    """The channel did not take the message (refused, unreachable, timed out). Its text is kept as the
    delivery's last_error, for the admin."""


@dataclass(frozen=True)
class Envelope:
    address: str   # an email address, a phone number, a WeChat openid
    subject: str
    text: str      # the plain-text body, with the links written out
    link: str | None
    key: str       # the idempotency key of this send
    when: str = ""  # the local time of the send, as a member reads it ("2026-12-03 09:00")


def channel_for(channel: Channel, config):
    """The sender of `channel` as this deployment configures it."""
    if channel is Channel.EMAIL:
        from .email import EmailChannel
        return EmailChannel.from_config(config)
    if channel is Channel.SMS:
        from .sms import SmsChannel
        return SmsChannel.from_config(config)
    from .wechat import WeChatChannel
    return WeChatChannel.from_config(config)

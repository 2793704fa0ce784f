"""Email over SMTP. MAIL_URL says where and how:

    smtp://127.0.0.1:8025                      plain SMTP (a local relay)
    smtp://user:password@smtp.example.cn:587?starttls=1     STARTTLS, then login
    smtps://user:password@smtp.example.cn:465               TLS from the start, then login

User and password are URL-quoted (an @ in a login is %40). MAIL_FROM is the sender's address.
"""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

from . import ChannelError, Envelope

TIMEOUT_SECONDS = 20


class EmailChannel:
    def __init__(self, url: str, sender: str):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"MAIL_URL must start with smtp:// or smtps://, not {parts.scheme}://")
        self.tls = parts.scheme == "smtps"
        self.starttls = parse_qs(parts.query).get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender

    @classmethod
    def from_config(cls, config):
        return cls(config["MAIL_URL"], config.get("MAIL_FROM") or "noreply@localhost")

    def compose(self, envelope: Envelope) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = envelope.address
        mail["Subject"] = envelope.subject
        mail["Date"] = formatdate(localtime=False)
        domain = self.sender.rpartition("@")[2] or "localhost"
        # The idempotency key: a relay or a mailbox that has seen this Message-ID drops the repeat.
        mail["Message-ID"] = f"<{envelope.key}@{domain}>"
        mail["X-Idempotency-Key"] = envelope.key
        mail.set_content(envelope.text, charset="utf-8")
        return mail

    def send(self, envelope: Envelope) -> None:
        mail = self.compose(envelope)
        try:
            if self.tls:
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT_SECONDS,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS)
            with client:
                if self.starttls:
                    client.starttls(context=ssl.create_default_context())
                if self.user:
                    client.login(self.user, self.password or "")
                client.send_message(mail)
        except (OSError, smtplib.SMTPException) as error:
            raise ChannelError(f"SMTP: {error}"[:300]) from error

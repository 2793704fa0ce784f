"""SMS through an HTTP gateway, the common shape of Chinese SMS services (or a small adapter in front
of one): a JSON POST to SMS_WEBHOOK_URL of

    {"phone": "13800000000", "text": "...", "key": "<idempotency key>"}

Any 2xx answer means the gateway took the message; anything else (or no answer) is a failure, retried.
With SMS_WEBHOOK_SECRET set, the request carries X-Signature: sha256=<hex HMAC-SHA256 of the exact
body bytes with the secret>, so that the gateway can refuse requests that do not come from here.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request

from . import ChannelError, Envelope

TIMEOUT_SECONDS = 10


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class SmsChannel:
    def __init__(self, url: str, secret: str | None = None):
        self.url = url
        self.secret = secret

    @classmethod
    def from_config(cls, config):
        return cls(config["SMS_WEBHOOK_URL"], config.get("SMS_WEBHOOK_SECRET"))

    def send(self, envelope: Envelope) -> None:
        body = json.dumps({"phone": envelope.address, "text": envelope.text, "key": envelope.key},
                          ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.secret:
            headers["X-Signature"] = signature(self.secret, body)
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                response.read()
                if not 200 <= response.status < 300:
                    raise ChannelError(f"SMS gateway answered {response.status}")
        except urllib.error.HTTPError as error:  # urlopen raises on any status >= 300 it does not follow
            raise ChannelError(f"SMS gateway answered {error.code}") from error
        except (OSError, ValueError) as error:
            raise ChannelError(f"SMS gateway: {error}"[:300]) from error

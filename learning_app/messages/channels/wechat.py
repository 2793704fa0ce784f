"""WeChat template messages (模板消息) from a 公众号, through the official API:

- the access token comes from GET {WECHAT_API_BASE}/cgi-bin/token?grant_type=client_credential&appid=..&secret=..
  and lasts `expires_in` seconds (7200). It is kept per process until a minute before it expires: the
  API limits how often a token may be fetched, and each fetch invalidates the one before it (so several
  worker machines should share one token through a central service in a large deployment; the refresh
  on 40001/42001 below keeps a worker working when another replaced its token);
- a message goes by POST {WECHAT_API_BASE}/cgi-bin/message/template/send?access_token=.. with the
  member's openid, WECHAT_TEMPLATE_ID and the template's fields; the answer's errcode 0 means sent.
  errcode 40001 (invalid token), 40014 (malformed token) or 42001 (expired) makes the channel fetch a
  new token once and send again; any other errcode is a failure, retried later.

The template must have the fields first, keyword1, keyword2 and remark (the classic shape of a
notification template: title, subject, time, text); the link, when PUBLIC_URL is set, opens the page.
client_msg_id carries the idempotency key: WeChat drops a repeat of it.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from . import ChannelError, Envelope

TIMEOUT_SECONDS = 10
TOKEN_ERRORS = {40001, 40014, 42001}
# The token is refreshed this long before WeChat says it expires.
TOKEN_MARGIN_SECONDS = 60

_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def _call(url: str, payload: dict | None = None) -> dict:
    data = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        raise ChannelError(f"WeChat API answered {error.code}") from error
    except (OSError, ValueError) as error:
        raise ChannelError(f"WeChat API: {error}"[:300]) from error


class WeChatChannel:
    def __init__(self, app_id: str, secret: str, template_id: str, api_base: str = "https://api.weixin.qq.com"):
        self.app_id = app_id
        self.secret = secret
        self.template_id = template_id
        self.api_base = api_base.rstrip("/")

    @classmethod
    def from_config(cls, config):
        return cls(config["WECHAT_APP_ID"], config["WECHAT_APP_SECRET"], config.get("WECHAT_TEMPLATE_ID") or "",
                   config.get("WECHAT_API_BASE") or "https://api.weixin.qq.com")

    def access_token(self, fresh: bool = False) -> str:
        key = (self.api_base, self.app_id)
        with _tokens_lock:
            kept = _tokens.get(key)
            if kept and not fresh and kept[1] > time.monotonic():
                return kept[0]
            query = urllib.parse.urlencode({"grant_type": "client_credential", "appid": self.app_id,
                                            "secret": self.secret})
            answer = _call(f"{self.api_base}/cgi-bin/token?{query}")
            if "access_token" not in answer:
                raise ChannelError(f"WeChat token: errcode {answer.get('errcode')} {answer.get('errmsg', '')}"[:300])
            lifetime = int(answer.get("expires_in", 7200))
            _tokens[key] = (answer["access_token"], time.monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, 0))
            return answer["access_token"]

    def payload(self, envelope: Envelope) -> dict:
        payload = {"touser": envelope.address, "template_id": self.template_id, "client_msg_id": envelope.key,
                   "data": {"first": {"value": envelope.subject}, "keyword1": {"value": envelope.subject[:20]},
                            "keyword2": {"value": envelope.when}, "remark": {"value": envelope.text}}}
        if envelope.link and envelope.link.startswith(("http://", "https://")):
            payload["url"] = envelope.link
        return payload

    def send(self, envelope: Envelope) -> None:
        payload = self.payload(envelope)
        for fresh in (False, True):  # a token WeChat no longer takes is replaced once, then the send retried
            token = self.access_token(fresh=fresh)
            answer = _call(f"{self.api_base}/cgi-bin/message/template/send?access_token="
                           f"{urllib.parse.quote(token)}", payload)
            errcode = int(answer.get("errcode", 0))
            if errcode == 0:
                return
            if errcode not in TOKEN_ERRORS:
                break
        raise ChannelError(f"WeChat: errcode {errcode} {answer.get('errmsg', '')}"[:300])

"""Real parts for the channels' tests: an SMTP server (aiosmtpd) and an HTTP server that speaks like an
SMS gateway and like the WeChat API, each in the test process, on a free local port."""
from __future__ import annotations

import json
import socket
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailBox:
    """aiosmtpd's handler: keeps each mail received (its envelope recipients and the parsed message)."""

    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.mails.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


class SmtpServer:
    """With `login` (user, password), the server requires that login before it takes mail."""

    def __init__(self, login=None):
        self.box = MailBox()
        self.port = free_port()
        self.logins = []
        options = {}
        if login:
            def authenticate(server, session, envelope, mechanism, auth_data):
                given = (auth_data.login.decode(), auth_data.password.decode())
                self.logins.append(given)
                return AuthResult(success=given == login)
            options = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port, **options)

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def mails(self):
        return self.box.mails

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class Gateway:
    """Records SMS requests (/sms) and WeChat calls (/cgi-bin/...). On demand: fails the next `fail`
    SMS requests with `fail_status`, answers slowly (`delay` seconds), and expires the WeChat access
    token once (`expire_token_once`). Like a real gateway, it takes a repeated key only once."""

    def __init__(self):
        self.sms = []            # every SMS request as received: (headers, body bytes, parsed JSON)
        self.delivered = {}      # key -> parsed JSON, first time only
        self.tokens_issued = 0
        self.template_sends = []  # (token, parsed JSON)
        self.fail = 0
        self.fail_status = 500
        self.delay = 0.0
        self.expire_token_once = False
        self.token_lifetime = 7200
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                if parts.path == "/cgi-bin/token":
                    with gateway.lock:
                        gateway.tokens_issued += 1
                        token = f"token-{gateway.tokens_issued}"
                    assert parse_qs(parts.query)["grant_type"] == ["client_credential"]
                    return self.answer(200, {"access_token": token, "expires_in": gateway.token_lifetime})
                return self.answer(404, {})

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                parts = urlsplit(self.path)
                if gateway.delay:
                    time.sleep(gateway.delay)
                if parts.path == "/sms":
                    return self.sms(body)
                if parts.path == "/cgi-bin/message/template/send":
                    token = parse_qs(parts.query)["access_token"][0]
                    with gateway.lock:
                        expire = gateway.expire_token_once and token == f"token-{gateway.tokens_issued}"
                        if expire:
                            gateway.expire_token_once = False
                        else:
                            gateway.template_sends.append((token, json.loads(body)))
                    if expire:
                        return self.answer(200, {"errcode": 42001, "errmsg": "access_token expired"})
                    return self.answer(200, {"errcode": 0, "errmsg": "ok", "msgid": 1})
                return self.answer(404, {})

            def sms(self, body):
                data = json.loads(body)
                with gateway.lock:
                    gateway.sms.append((dict(self.headers), body, data))
                    if gateway.fail:
                        gateway.fail -= 1
                        failing = True
                    else:
                        failing = False
                        gateway.delivered.setdefault(data["key"], data)
                return self.answer(gateway.fail_status if failing else 200, {"ok": not failing})

            def answer(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def sms_url(self):
        return f"{self.base}/sms"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

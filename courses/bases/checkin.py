"""Rotating check-in codes: six digits derived from the secret key, the session and the time window.

Nothing is stored: a code is valid for its window and the one before (so one shown just
before it changed still works), is bound to one session, and cannot be guessed without the key.
"""
import hashlib
import hmac
from datetime import datetime

from flask import current_app

WINDOW_SECONDS = 45  # the code changes every 45 s; with the previous window accepted it lives 45–90 s


def _window(moment: datetime) -> int:
    return int(moment.timestamp()) // WINDOW_SECONDS


def code_for(session_id: int, window: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"checkin:{session_id}:{window}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"


def current_code(session_id: int, now: datetime) -> tuple[str, int]:
    """The code to show now and the seconds until it changes."""
    window = _window(now)
    return code_for(session_id, window), WINDOW_SECONDS - int(now.timestamp()) % WINDOW_SECONDS


def code_is_valid(session_id: int, code: str, now: datetime) -> bool:
    # Compared as bytes: compare_digest refuses non-ASCII str (a typed "１２３４５６" must fail, not crash).
    code = (code or "").strip().encode()
    window = _window(now)
    return any(hmac.compare_digest(code, code_for(session_id, w).encode()) for w in (window, window - 1))

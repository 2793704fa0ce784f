"""New accounts' one-time passwords, kept on the server until the admin who imported them downloads
them once (a day at most). With several machines, CREDENTIALS_DIR is shared storage, as UPLOAD_DIR is."""
import os
import secrets
import time
from pathlib import Path

from flask import current_app

from ..spreadsheets import csv_bytes

KEPT_SECONDS = 24 * 3600
HEADER = ["登录号", "姓名", "一次性密码"]


def _path(token: str) -> Path:
    return Path(current_app.config["CREDENTIALS_DIR"]) / f"{token}.csv"


def store(credentials) -> str:
    """Write the (login id, name, password) rows to a file only the server's user reads; returns its token."""
    token = secrets.token_urlsafe(24)
    path = _path(token)
    path.parent.mkdir(parents=True, exist_ok=True)
    expired = time.time() - KEPT_SECONDS
    for old in path.parent.glob("*.csv"):
        if old.stat().st_mtime < expired:
            old.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(csv_bytes(HEADER, credentials))
    return token


def take(token: str | None) -> bytes | None:
    """The file's bytes, once: the file is removed as it is read. None when there is none (any more)."""
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        return None
    path = _path(token)
    if not path.exists():
        return None
    data = path.read_bytes()
    path.unlink()
    return data


def discard(token: str | None):
    if token and token.replace("-", "").replace("_", "").isalnum():
        _path(token).unlink(missing_ok=True)

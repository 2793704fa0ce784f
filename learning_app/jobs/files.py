"""Files a job produced (an Excel export) kept for whoever started it, a day at most, under
`instance/job-files/`. With several machines that folder is shared storage, as UPLOAD_DIR is."""
import os
import secrets
import time
from pathlib import Path

from flask import current_app

KEPT_SECONDS = 24 * 3600


def _folder() -> Path:
    return Path(current_app.instance_path) / "job-files"


def keep(data: bytes, suffix: str) -> str:
    """Store `data`; returns the token that names it (old files go as new ones come)."""
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    expired = time.time() - KEPT_SECONDS
    for old in folder.iterdir():
        if old.stat().st_mtime < expired:
            old.unlink(missing_ok=True)
    token = f"{secrets.token_urlsafe(24)}.{suffix}"
    fd = os.open(folder / token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return token


def read(token: str | None) -> bytes | None:
    """The file's bytes, or None when there is none (any more)."""
    if not token or "/" in token or token.startswith("."):
        return None
    path = _folder() / token
    return path.read_bytes() if path.is_file() else None

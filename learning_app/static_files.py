"""What makes pages light on a slow link: compressed responses, and static files a browser keeps a year.

Compression is the app's own (Flask-Compress), so `make run` and a bare gunicorn send brotli or gzip,
not only a server behind nginx. HTML is compressed too, although it carries CSRF tokens (BREACH): the
part of a Flask-WTF token that repeats from page to page is only the payload of a token signed with
the SECRET_KEY, whose signature changes every second, so recovering it byte by byte forges nothing;
and the sign-in cookies are SameSite=Lax, so the cross-site requests an attacker would have to make by
the thousand (images, fetch) arrive signed out. On a 400 kbps link compression is what brings a member
page under 100 KB.

Every url_for('static', filename=...) gets the file's content hash as `v` (one hook, templates stay
plain). A request whose `v` matches the file as it is now may be cached a year and never revalidated
(immutable); any other static request (no `v`, or an old one) gets a short cache, so an old or
hand-written link still works and never holds a stale file for long.
"""
import hashlib
import os
from functools import lru_cache

from flask import current_app, request
from werkzeug.security import safe_join

from .extensions import compress

YEAR = "public, max-age=31536000, immutable"
SHORT = "public, max-age=600"


@lru_cache(maxsize=512)
def _hash_of(path: str, _mtime_ns: int, _size: int) -> str:
    # Keyed by modification time and size too, so a file edited under `make run` gets a new URL.
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()[:16]


def content_hash(filename: str) -> str | None:
    """The first 16 hex digits of the static file's SHA-256, or None if there is no such file."""
    path = safe_join(current_app.static_folder, filename)
    try:
        stat = os.stat(path) if path else None
    except OSError:
        return None
    if stat is None or not os.path.isfile(path):
        return None
    return _hash_of(path, stat.st_mtime_ns, stat.st_size)


def add_fingerprint(endpoint, values):
    if endpoint == "static" and "filename" in values and "v" not in values:
        digest = content_hash(values["filename"])
        if digest:
            values["v"] = digest


def cache_static_files(response):
    if request.endpoint == "static" and response.status_code in (200, 206, 304):
        filename = (request.view_args or {}).get("filename", "")
        fingerprint = request.args.get("v")
        current = fingerprint and content_hash(filename) == fingerprint
        response.headers["Cache-Control"] = YEAR if current else SHORT
    return response


def init_app(app):
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    # Static files are sent as streams; Flask-Compress streams brotli or deflate, not gzip.
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])
    compress.init_app(app)
    app.url_defaults(add_fingerprint)
    app.after_request(cache_static_files)

"""Passwords, sign-ins, the login loader and the security headers every response carries."""
import functools
import hashlib
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit

from flask import current_app, flash, g, has_request_context, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db, login_manager

# Unambiguous characters (no 0/O, 1/l/I) so a password read off a printed slip is typed right.
ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ONE_TIME_LENGTH = 12

# Scripts and stylesheets come from this site only: no inline script, no eval, no <style> element.
# One exception, for style attributes alone: an EMPTY one (the hash is SHA-256 of ""), which plotly.js
# sets on a colour bar's rectangles before styling them through the CSSOM (which the policy does not
# govern); an empty attribute carries no style, so allowing it lets nothing in. Plotly's own rules
# come from static/vendor/plotly/plotly.css (see its README).
EMPTY_STYLE_HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    f"style-src-attr 'unsafe-hashes' {EMPTY_STYLE_HASH}; img-src 'self' data: blob:; "
    "media-src 'self' blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def hash_password(password: str) -> str:
    """A chosen password: scrypt, a memory-hard KDF (PASSWORD_HASH_METHOD; only tests lower it)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def new_one_time_password() -> tuple[str, str]:
    """A random first-login password and its hash.

    Twelve random characters carry ~69 bits, beyond any brute force, so key
    stretching adds nothing here; a light PBKDF2 keeps a 10,000-row roster import
    to seconds. The member must replace it (hashed with scrypt) at first login.
    """
    password = "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(ONE_TIME_LENGTH))
    return password, generate_password_hash(password, method="pbkdf2:sha256:2000")


def verify_password(password_hash: str, password: str) -> bool:
    if not password_hash or not password:
        return False
    return check_password_hash(password_hash, password)


# A hash to check against when the login id is unknown, so timing does not reveal which ids exist.
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")


def verify_against_dummy(password: str) -> bool:
    check_password_hash(_DUMMY_HASH, password or "x")
    return False


def new_sign_in_key() -> tuple[str, str]:
    """A random key for one sign-in (the cookies carry it) and the hash the server keeps of it."""
    key = secrets.token_urlsafe(32)
    return key, sign_in_key_hash(key)


def sign_in_key_hash(key: str) -> str:
    # The key is random (256 bits): a fast hash suffices, as for the one-time passwords' light PBKDF2.
    return hashlib.sha256(key.encode()).hexdigest()


def sign_in_lifetime() -> timedelta:
    """How long a sign-in lasts at most: as long as the remember-me cookie (Flask-Login's setting)."""
    duration = current_app.config["REMEMBER_COOKIE_DURATION"]
    return duration if isinstance(duration, timedelta) else timedelta(seconds=duration)


def sign_in_is_live(user_id):
    """SQL: the sign-in bound by sign_in_parameters() is the user's (`user_id`, a column or parameter)
    and has not ended. One indexed lookup, put into the statement that reads or checks the user, so a
    signed-in request costs no extra round trip for it."""
    from sqlalchemy import bindparam, exists

    from .models import SignInSession
    return exists().where(SignInSession.key_hash == bindparam("sign_in_key_hash"),
                          SignInSession.user_id == user_id,
                          SignInSession.created_at >= bindparam("signed_in_since"))


def sign_in_parameters(user_id: int, key: str | None) -> dict:
    """The values sign_in_is_live() and signed_in_user_may_act() are bound with."""
    return {"user_id": user_id, "sign_in_key_hash": sign_in_key_hash(key or ""),
            "signed_in_since": datetime.now(UTC) - sign_in_lifetime()}


@functools.cache
def _user_statement():
    # Built once: every signed-in request runs it, and building it costs about as much as running it.
    from sqlalchemy import bindparam, select
    from sqlalchemy.orm import joinedload

    from .messages.queries import unread_count_column
    from .models import User
    return (select(User, unread_count_column(User.id)).where(User.id == bindparam("user_id"), sign_in_is_live(User.id))
            .options(joinedload(User.role_grants)))


def read_signed_in_user(user_id: int, key: str):
    """The user's row with their role grants, if this sign-in of theirs has not ended, else None. Their
    unread messages are counted in the same statement, for the navbar (learning_app.templating)."""
    row = db.session.execute(_user_statement(), sign_in_parameters(user_id, key)).unique().first()
    if row is None:
        return None
    user, g.unread_messages = row
    user.sign_in_key = key
    return user


def password_change_redirect(user):
    """Where a user who must still choose their own password is sent instead of any page, or None."""
    if user.is_authenticated and user.must_change_password:
        flash(_("Please choose your own password before you continue."), "warning")
        return redirect(url_for("auth.change_password"))
    return None


def _parse_session_id(session_id) -> tuple[int, str] | None:
    """(user id, sign-in key) from what User.get_session_id() put in the cookies, or None."""
    user_id, _colon, key = str(session_id).partition(":")
    try:
        return (int(user_id), key) if key else None
    except ValueError:
        return None


@login_manager.user_loader
def load_user(session_id):
    """The signed-in user with their role grants in one statement, if their sign-in has not ended
    (checked in the same statement): every page needs them for its menu and its access rules. The
    two views of learning_app.fast_paths load them their own way."""
    parsed = _parse_session_id(session_id)
    if parsed is None:
        return None
    view = current_app.view_functions.get(request.endpoint) if has_request_context() else None
    load = getattr(view, "load_signed_in_user", read_signed_in_user)
    return load(*parsed)


def local_redirect_target(target) -> str:
    """`target` if it is a path on this site ("/courses/my?page=2"), else the home page: the one check
    for every redirect to an address the request supplied (login's and the language switch's `next`).

    Browsers and Werkzeug drop tabs and newlines from a URL and read a backslash as a slash, so a
    slash, a tab and "/evil.example" become "//evil.example": another site. Only a path that starts
    with one slash and holds no backslash, control or separator character (but the plain space)
    passes, checked also once percent-decoded, so that no layer decoding it again makes it leave."""
    if isinstance(target, str) and all(_is_plain_path(form) for form in (target, unquote(target))):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("main.home")


def _is_plain_path(target: str) -> bool:
    return (target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(unicodedata.category(char)[0] in "CZ" and char != " " for char in target))


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
    if getattr(g, "no_store", False):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app):
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # The cookies name the sign-in, not only the user (User.get_session_id), so that it can be ended.
    login_manager.id_attribute = "get_session_id"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    app.after_request(set_security_headers)

"""Passwords, sign-ins, the login loader and the security headers every response carries."""
import functools
import hashlib
import secrets
import unicodedata
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote, urlsplit

from flask import abort, current_app, flash, g, has_request_context, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import UserMixin, current_user
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
            "signed_in_since": datetime.now(timezone.utc) - sign_in_lifetime()}


def signed_in_user_may_act():
    """SQL for a checks_user_in_statement view's one statement: the signed-in user (bound by
    sign_in_parameters) is active, has chosen their own password, and this sign-in has not ended."""
    from sqlalchemy import and_, bindparam, exists

    from .models import User
    return and_(exists().where(User.id == bindparam("user_id"), User.is_active_account.is_(True),
                               User.must_change_password.is_(False)),
                sign_in_is_live(bindparam("user_id")))


@functools.cache
def _user_statement(alone: bool, read_with=None):
    # Built once: every signed-in request runs it, and building it costs about as much as running it.
    from sqlalchemy import bindparam, select
    from sqlalchemy.orm import joinedload, lazyload

    from .models import User
    statement = (select(User, *(read_with() if read_with else ()))
                 .where(User.id == bindparam("user_id"), sign_in_is_live(User.id)))
    if alone:
        return statement.options(lazyload(User.org), lazyload(User.role_grants))
    return statement.options(joinedload(User.role_grants))


def loads_user_alone(view):
    """Marks a view that reads nothing of the signed-in user but their own row (quiz submit, the
    learning page): their branch and role grants are not loaded with them,
    which costs about a tenth of such a request. They still load on first use if a rule asks."""
    view.loads_user_alone = True
    return view


def reads_with_user(columns):
    """Marks a view that needs a few values besides the signed-in user's row (the learning page: its
    counters). `columns()` gives them as SQL expressions, which may refer to the user's columns; they
    are read in the same statement as the row, sparing a round trip, and the view finds them in
    values_read_with_user()."""
    def mark(view):
        view.reads_with_user = columns
        return view
    return mark


def values_read_with_user():
    """What a reads_with_user view asked for, read with the user's row in this request, or None."""
    return g.get("values_read_with_user")


def without_transaction(view):
    """Marks a view whose statements each stand on their own, so that on PostgreSQL they run outside a
    transaction, sparing the BEGIN and the COMMIT or ROLLBACK round trips (each costs about as much
    as a statement): a view that only reads (the learning page: each statement still sees what was
    committed before it, as at READ COMMITTED), or whose common case is one self-contained statement
    (quiz autosave). Before anything that needs a transaction it calls ensure_transaction()."""
    view.without_transaction = True
    return view


def ensure_transaction() -> None:
    """In a without_transaction view: make the next statements run in a transaction (a lock, then
    the writes it protects). The session gives back its connection and takes one in a transaction."""
    session = db.session()
    if (session.in_transaction()
            and session.connection().get_execution_options().get("isolation_level") == "AUTOCOMMIT"):
        session.rollback()


def checks_user_in_statement(view):
    """Marks a view whose common case is one statement that checks the signed-in user's row itself
    (the account is active, its password chosen) while doing its work: quiz autosave's quick way.
    The row is not read before such a view runs, sparing a round trip to the database; current_user
    is a SessionUser, and whatever else the view does starts with signed_in_user()."""
    view.checks_user_in_statement = True
    return view


class SessionUser(UserMixin):
    """The user the signed session names, before their row is read (see checks_user_in_statement).
    The view's statement refuses an account that is deactivated or must change its password, and a
    sign-in that has ended (signed_in_user_may_act); any other use of the user reads the row, with the
    refusals every other view makes."""

    must_change_password = False  # the view's statement checks it

    def __init__(self, user_id: int, sign_in_key: str):
        self.id = user_id
        self.sign_in_key = sign_in_key

    def __getattr__(self, name):
        # Only for what this class does not have (a translated message asks for the locale).
        return getattr(signed_in_user(), name)


def password_change_redirect(user):
    """Where a user who must still choose their own password is sent instead of any page, or None."""
    if user.is_authenticated and user.must_change_password:
        flash(_("Please choose your own password before you continue."), "warning")
        return redirect(url_for("auth.change_password"))
    return None


def signed_in_user():
    """The signed-in user's row, read now in a checks_user_in_statement view (elsewhere already read),
    refused as every other view refuses them: a deactivated account is sent to the login page as
    login_required would, one that must change its password to the change-password page."""
    user = current_user._get_current_object()
    if not isinstance(user, SessionUser):
        return user
    row = db.session.scalars(_user_statement(True), sign_in_parameters(user.id, user.sign_in_key)).unique().first()
    # Flask-Login keeps the request's user there; from now on current_user is the row.
    login_manager._update_request_context_with_user(row)
    if row is None or not row.is_authenticated:
        abort(login_manager.unauthorized())
    row.sign_in_key = user.sign_in_key
    refusal = password_change_redirect(row)
    if refusal is not None:
        abort(refusal)
    return row


def _parse_session_id(session_id) -> tuple[int, str] | None:
    """(user id, sign-in key) from what User.get_session_id() put in the cookies, or None."""
    user_id, _colon, key = str(session_id).partition(":")
    try:
        return (int(user_id), key) if key else None
    except ValueError:
        return None


@login_manager.user_loader
def load_user(session_id):
    """The signed-in user with their branch and role grants in one statement, if their sign-in has not
    ended (checked in the same statement): every page needs them for its menu and its access rules."""
    parsed = _parse_session_id(session_id)
    if parsed is None:
        return None
    user_id, key = parsed
    view = current_app.view_functions.get(request.endpoint) if has_request_context() else None
    if (getattr(view, "without_transaction", False) and not db.session().in_transaction()
            and db.session.get_bind().dialect.name == "postgresql"):
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    if getattr(view, "checks_user_in_statement", False):
        return SessionUser(user_id, key)
    alone = getattr(view, "loads_user_alone", False)
    read_with = getattr(view, "reads_with_user", None)
    parameters = sign_in_parameters(user_id, key)
    if read_with is None:
        user = db.session.scalars(_user_statement(alone), parameters).unique().first()
    else:
        row = db.session.execute(_user_statement(alone, read_with), parameters).unique().first()
        if row is None:
            return None
        g.values_read_with_user = tuple(row[1:])
        user = row[0]
    if user is not None:
        user.sign_in_key = key
    return user


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

"""Login lockout: failed logins are counted by Flask-Limiter under three keys, and a visitor past any
limit gets the login page back with the reason and the time to try again (HTTP 429).

- per account and address (a few): guessing one member's password from one place stops quickly,
  and stops only there, so the owner still signs in from their own address;
- per address (many, since a village or a school shares one NAT address): one place guessing
  across many accounts stops;
- per account (a ceiling above what one address may try): guessing one account from many places
  stops too. It does not apply at the address the account last signed in from, so attackers
  elsewhere, however many addresses they hold, cannot lock the owner out of their usual place (an
  owner on a new address meets it after LOGIN_FAILURES_PER_ACCOUNT /
  LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS addresses, 10 by default, have guessed).
The address is the client's as the trusted proxies report it (TRUSTED_PROXY_HOPS, README).
Only failed attempts count; a refused attempt counts nothing (the limit is tested before the
password is), so a locked-out guesser cannot push the ceiling further."""
from datetime import UTC, datetime

from flask import current_app, flash, g, render_template, request
from flask_babel import format_time
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import client_address, db, limiter
from ..models import User
from .forms import LoginForm
from .services import normalise_login_id


def _login_id() -> str:
    return normalise_login_id(request.form.get("login_id", "")).lower()


def _account() -> str:
    return "account:" + _login_id()


def _account_and_address() -> str:
    return f"account-address:{client_address()}:{_login_id()}"


def _address() -> str:
    return "address:" + client_address()


def _at_last_login_address() -> bool:
    """Whether the login comes from where this account last signed in successfully."""
    known = db.session.scalar(select(User.last_login_address).where(func.lower(User.login_id) == _login_id()))
    return known is not None and known == client_address()


def _failed(response) -> bool:
    return bool(g.get("login_failed"))


def _setting(name):
    return lambda: current_app.config[name]


LIMITS = (  # setting, key, message, exempt when
    ("LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", _account_and_address,
     lambda: _("Too many wrong passwords for this account from your network."), None),
    ("LOGIN_FAILURES_PER_ADDRESS", _address,
     lambda: _("Too many wrong passwords from your network, for several accounts."), None),
    ("LOGIN_FAILURES_PER_ACCOUNT", _account,
     lambda: _("Too many wrong passwords for this account from many places; logging in to it is paused."),
     _at_last_login_address),
)


def count_failures(view):
    """Put the three limits on the login view; it sets g.login_failed when the credentials are wrong."""
    for setting, key, message, exempt in LIMITS:
        view = limiter.limit(_setting(setting), key_func=key, methods=["POST"], deduct_when=_failed,
                             error_message=message, exempt_when=exempt)(view)
    return view


def refuse(error):
    """The login page again, saying which limit was reached and when logging in works again."""
    resets = [limit.reset_at for limit in limiter.current_limits if limit.breached]
    flash(error.description, "error")
    if resets:
        again = format_time(datetime.fromtimestamp(max(resets), UTC), "short")
        flash(_("You can try again after %(time)s. If you have forgotten your password, ask your branch "
                "secretary or administrator for a new one.", time=again), "info")
    return render_template("auth/login.html", form=LoginForm()), 429

from types import SimpleNamespace

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import client_address, db
from ..messages.forms import ChannelsForm
from ..messages.models import MessageSettings
from ..messages.services import CHANNEL_DEFAULTS, configured_channels
from ..security import local_redirect_target, password_change_redirect
from ..transactions import committing
from . import lockout, services
from .forms import ChangePasswordForm, LoginForm

bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates")

# Endpoints a user who must still change the one-time password may reach.
FIRST_LOGIN_ENDPOINTS = {"auth.change_password", "auth.logout", "auth.sign_out_everywhere", "main.set_language",
                         "main.healthz", "static"}


@bp.before_app_request
def require_password_change():
    # The endpoint first: /healthz and static files need no user loaded.
    if request.endpoint not in FIRST_LOGIN_ENDPOINTS:
        return password_change_redirect(current_user)
    return None


@bp.route("/login", methods=["GET", "POST"])
@lockout.count_failures
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.login_id.data, form.password.data, client_address())
        if user is None:
            g.login_failed = True
            flash(_("Wrong member number or password, or the account is disabled."), "error")
        elif user.one_time_password_expired():
            # Said only to whoever typed the right one-time password.
            flash(_("Your one-time password expired on %(date)s. Ask your branch secretary or administrator "
                    "for a new one.", date=format_date(user.one_time_password_expires_at())), "error")
        else:
            with committing():
                services.start_sign_in(user)
                login_user(user, remember=form.remember.data)
            return redirect(local_redirect_target(request.args.get("next")))
    return render_template("auth/login.html", form=form)


bp.register_error_handler(429, lockout.refuse)  # only the login is limited


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        with committing():
            services.end_sign_in(current_user)
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    """End every sign-in of the member, on this device and any other (a lost phone, a shared computer)."""
    with committing():
        services.sign_out_everywhere(current_user)
    logout_user()
    flash(_("You have been signed out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with committing():
            changed = services.change_password(current_user, form.current_password.data, form.new_password.data)
        if changed:
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.home"))
        form.current_password.errors.append(_("The current password is wrong."))
    return account_page(password_form=form)


def account_page(password_form=None, channels_form=None):
    """The account page: the password, large text, signing out everywhere, and the member's message
    channels (the form of learning_app.messages, offered once the password is their own)."""
    channels = configured_channels()
    if channels_form is None and channels:
        stored = db.session.get(MessageSettings, current_user.id)  # read only: a GET creates no row
        channels_form = ChannelsForm(channels, obj=stored or SimpleNamespace(**CHANNEL_DEFAULTS),
                                     formdata=None)
    return render_template("auth/change_password.html", form=password_form or ChangePasswordForm(formdata=None),
                           channels_form=channels_form, channels=channels)

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from ..models import MemberCategory
from ..orgs.queries import path_label, subtree_member_counts
from ..security import local_redirect_target
from ..templating import home_panels_for, menu_for
from ..transactions import committing

bp = Blueprint("main", __name__, template_folder="templates")


@bp.route("/")
@login_required
def home():
    counts = None
    if current_user.manages_people:
        counts = subtree_member_counts(current_user.visible_orgs_condition())
    return render_template("main/home.html", org_label=path_label(current_user.org),
                           counts=counts, categories=list(MemberCategory), panels=home_panels_for(current_user))


@bp.route("/menu")
def menu():
    """Every menu entry the visitor may use, grouped: the menu without JavaScript (no dropdowns)."""
    return render_template("main/menu.html", sections=menu_for(current_user))


@bp.route("/language", methods=["POST"])
def set_language():
    language = request.form.get("language")
    if language in current_app.config["LANGUAGES"]:
        session["locale"] = language
        if current_user.is_authenticated:
            with committing():
                current_user.locale = language
    return redirect(local_redirect_target(request.form.get("next")))


@bp.route("/login")
def go_to_login():
    """/login, as people type it, leads to the login page; a `next` that is not a path on this site
    becomes the home page, as the login page itself would treat it."""
    target = request.args.get("next")
    if target:
        return redirect(url_for("auth.login", next=local_redirect_target(target)))
    return redirect(url_for("auth.login"))


@bp.route("/large-text", methods=["POST"])
@login_required
def set_large_text():
    """大字模式 on or off, kept on the account so that every device the member signs in on shows it."""
    with committing():
        current_user.large_text = request.form.get("large_text") == "on"
    return redirect(local_redirect_target(request.form.get("next")))


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import jobs
from ..audit.queries import entries_about
from ..extensions import db
from ..jobs.permissions import get_job_or_404
from ..models import MemberCategory, Organization, OrgKind, PositionLevel, Role, RoleGrant
from ..orgs.queries import path_labels, whole_tree
from ..permissions import admin_required, get_member_or_404, people_manager_required
from ..transactions import run_write, write_and_redirect
from . import credentials, roster, services
from .forms import MemberFilterForm, MemberForm, RoleGrantForm, RosterUploadForm
from .queries import members_query

bp = Blueprint("people", __name__, url_prefix="/members", template_folder="templates")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _visible_nodes():
    nodes = whole_tree(current_user.visible_orgs_condition())
    return nodes, path_labels(nodes)


@bp.route("/")
@people_manager_required
def list_members():
    nodes, labels = _visible_nodes()
    form = MemberFilterForm([(n.id, labels[n.id]) for n in nodes], formdata=request.args)
    form.validate()
    org = next((n for n in nodes if n.id == form.org.data), None)
    status = {"active": True, "inactive": False}.get(form.status.data)
    category = form.category.data if form.category.data in MemberCategory._value2member_map_ else None
    query = members_query(current_user, form.q.data or "", org, category, status)
    pagination = db.paginate(query, per_page=current_app.config["MEMBERS_PER_PAGE"], error_out=False)
    return render_template("people/list.html", form=form, pagination=pagination, labels=labels)


@bp.route("/<int:user_id>")
@people_manager_required
def member_detail(user_id):
    member = get_member_or_404(user_id, current_user)
    nodes, labels = _visible_nodes()
    context = {"member": member, "org_label": labels.get(member.org_id, "")}
    if current_user.is_admin:
        context.update(_admin_forms(member, nodes, labels), history=entries_about(member, limit=20))
    return render_template("people/detail.html", **context)


def _admin_forms(member, nodes, labels, edit_form=None, role_form=None):
    edit_form = edit_form or MemberForm(obj=member, prefix="edit")
    # The member's own branch is offered even when deactivated: a save must not move them to the first one.
    edit_form.org_id.choices = [(n.id, labels[n.id]) for n in nodes if n.kind == OrgKind.BRANCH
                                and (n.is_active or n.id == member.org_id)]
    role_form = role_form or RoleGrantForm(prefix="role")
    role_form.org_id.choices = [(0, "—")] + [(n.id, labels[n.id]) for n in nodes if n.is_active]
    return {"edit_form": edit_form, "role_form": role_form}


@bp.route("/<int:user_id>/edit", methods=["POST"])
@admin_required
def edit_member(user_id):
    member = get_member_or_404(user_id, current_user)
    nodes, labels = _visible_nodes()
    form = MemberForm(prefix="edit")
    forms = _admin_forms(member, nodes, labels, edit_form=form)

    def page():
        return render_template("people/detail.html", member=member, org_label=labels.get(member.org_id, ""),
                               history=entries_about(member, limit=20), **forms)
    if not form.validate_on_submit():
        return page(), 400
    return write_and_redirect(lambda: services.update_member(
        current_user, member, real_name=form.real_name.data.strip(), org=db.session.get(Organization, form.org_id.data),
        category=MemberCategory(form.category.data), position=PositionLevel(form.position.data),
        phone=form.phone.data or None), _("Saved."), url_for("people.member_detail", user_id=member.id),
        refused_page=page)


def _member_action(user_id, action, message):
    member = get_member_or_404(user_id, current_user)
    return write_and_redirect(lambda: action(member), message, url_for("people.member_detail", user_id=member.id))


@bp.route("/<int:user_id>/deactivate", methods=["POST"])
@admin_required
def deactivate_member(user_id):
    return _member_action(user_id, lambda m: services.set_member_active(current_user, m, False),
                          _("The account is deactivated."))


@bp.route("/<int:user_id>/reactivate", methods=["POST"])
@admin_required
def reactivate_member(user_id):
    return _member_action(user_id, lambda m: services.set_member_active(current_user, m, True),
                          _("The account is active again."))


@bp.route("/<int:user_id>/reset-password", methods=["POST"])
@admin_required
def reset_password(user_id):
    member = get_member_or_404(user_id, current_user)
    return write_and_redirect(
        lambda: services.reset_password(current_user, member),
        lambda password: _("New one-time password: %(password)s, valid until %(date)s. Give it to the member "
                           "in person; it is shown only this once.", password=password,
                           date=format_date(member.one_time_password_expires_at())),
        url_for("people.member_detail", user_id=member.id))


@bp.route("/<int:user_id>/roles", methods=["POST"])
@admin_required
def grant_role(user_id):
    member = get_member_or_404(user_id, current_user)
    form = RoleGrantForm(prefix="role")
    nodes, labels = _visible_nodes()
    form.org_id.choices = [(0, "—")] + [(n.id, labels[n.id]) for n in nodes if n.is_active]
    target = url_for("people.member_detail", user_id=member.id)
    if not form.validate_on_submit():
        flash(_("Please choose a role."), "error")
        return redirect(target)
    org = db.session.get(Organization, form.org_id.data) if form.org_id.data else None
    return write_and_redirect(lambda: services.grant_role(current_user, member, Role(form.role.data), org),
                              _("Role granted."), target)


@bp.route("/<int:user_id>/roles/<int:grant_id>/revoke", methods=["POST"])
@admin_required
def revoke_role(user_id, grant_id):
    member = get_member_or_404(user_id, current_user)
    grant = db.session.scalar(select(RoleGrant).where(RoleGrant.id == grant_id, RoleGrant.user_id == member.id))
    if grant is None:
        abort(404)
    return write_and_redirect(lambda: services.revoke_role(current_user, grant), _("Role removed."),
                              url_for("people.member_detail", user_id=member.id))


@bp.route("/import", methods=["GET", "POST"])
@admin_required
def import_roster():
    form = RosterUploadForm()
    errors, result = [], None
    if form.validate_on_submit():
        upload, max_rows = form.file.data, current_app.config["ROSTER_MAX_ROWS"]
        if roster.more_rows_than(upload.stream, upload.filename, roster.JOB_ROWS):
            # A long import runs in the background (its page shows the progress, then the outcome), once
            # a CSV over the row cap is refused here, without holding the file.
            outcome = run_write(lambda: roster.check_row_cap(upload.stream, upload.filename, max_rows), quiet=True)
            if not outcome.refused:
                job = jobs.start_job("roster_import", current_user, {"filename": upload.filename,
                                                                     "locale": str(get_locale())},
                                     payload=upload.stream.read())
                return redirect(url_for("jobs.show_job", job_id=job.id))
        else:
            # A file that cannot be read is said on the form; bad rows are listed and nothing is imported.
            outcome = run_write(lambda: roster.import_roster(current_user, upload.stream, upload.filename, max_rows),
                                quiet=True)
        if outcome.refused:
            form.file.errors.append(str(outcome.refusal))
        else:
            result, errors = outcome.result
        if result and result.credentials:
            credentials.discard(session.pop("credentials_token", None))
            session["credentials_token"] = credentials.store(result.credentials)
    status = 400 if (errors or form.file.errors) else 200
    return render_template("people/import.html", form=form, errors=errors, result=result,
                           more_errors=len(errors) >= roster.LISTED_ERRORS), status


def _credentials_response(data):
    if data is None:
        abort(404)
    return Response(data, mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=one-time-passwords.csv", "Cache-Control": "no-store"})


@bp.route("/import/credentials", methods=["POST"])
@admin_required
def download_credentials():
    return _credentials_response(credentials.take(session.pop("credentials_token", None)))


@bp.route("/import/jobs/<int:job_id>/credentials", methods=["POST"])
@admin_required
def download_job_credentials(job_id):
    """The one-time passwords of an import run in the background, once, for the admin who started it."""
    job = get_job_or_404(job_id, current_user, need="own")
    return _credentials_response(credentials.take((job.result or {}).get("credentials_token")))


@bp.route("/import/template.<any(xlsx, csv):kind>")
@admin_required
def roster_template(kind):
    if kind == "xlsx":
        data, mimetype = roster.template_workbook(), XLSX_TYPE
    else:
        data, mimetype = roster.template_csv(), "text/csv"
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename=roster-template.{kind}"})

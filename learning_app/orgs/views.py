from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..models import Organization, OrgKind
from ..permissions import admin_required
from ..transactions import run_write, write_and_redirect
from . import queries, services
from .forms import MoveOrgForm, OrgForm, RenameOrgForm, parent_choices

bp = Blueprint("orgs", __name__, url_prefix="/admin/orgs", template_folder="templates")


def _get_org(org_id):
    org = db.session.get(Organization, org_id)
    if org is None:
        abort(404)
    return org


@bp.route("/")
@admin_required
def org_tree():
    nodes = queries.whole_tree()
    return render_template("orgs/tree.html", tree=queries.nest(nodes),
                           member_counts=queries.member_counts_by_org())


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def create_org():
    nodes = queries.whole_tree()
    form = OrgForm()
    form.parent_id.choices = parent_choices(nodes, queries.path_labels(nodes), blank=True)
    if form.validate_on_submit():
        parent = db.session.get(Organization, form.parent_id.data) if form.parent_id.data else None
        kind = OrgKind(form.kind.data)
        outcome = run_write(lambda: services.create_org(current_user, form.name.data, kind, parent),
                            lambda org: _("Organisation “%(name)s” created.", name=org.name))
        if not outcome.refused:
            return redirect(url_for("orgs.org_tree"))
    return render_template("orgs/new.html", form=form)


def _edit_forms(org, nodes):
    rename = RenameOrgForm(obj=org, prefix="rename")
    # The current parent is offered and selected: a form saved untouched must not move the node.
    move = MoveOrgForm(prefix="move", parent_id=org.parent_id)
    move.parent_id.choices = parent_choices(nodes, queries.path_labels(nodes), exclude_within=org)
    return rename, move


@bp.route("/<int:org_id>")
@admin_required
def edit_org(org_id):
    org = _get_org(org_id)
    nodes = queries.whole_tree()
    rename, move = _edit_forms(org, nodes)
    return render_template("orgs/edit.html", org=org, rename_form=rename, move_form=move,
                           org_label=queries.path_labels(nodes)[org.id],
                           member_count=queries.member_counts_by_org(org.subtree_filter()))


def _org_page(org) -> str:
    return url_for("orgs.edit_org", org_id=org.id)


@bp.route("/<int:org_id>/rename", methods=["POST"])
@admin_required
def rename_org(org_id):
    org = _get_org(org_id)
    form = RenameOrgForm(prefix="rename")
    if not form.validate_on_submit():
        flash(_("Please enter a name of at most 120 characters."), "error")
        return redirect(url_for("orgs.edit_org", org_id=org.id))
    return write_and_redirect(lambda: services.rename_org(current_user, org, form.name.data), _("Renamed."),
                              _org_page(org))


@bp.route("/<int:org_id>/move", methods=["POST"])
@admin_required
def move_org(org_id):
    org = _get_org(org_id)
    form = MoveOrgForm(prefix="move")
    nodes = queries.whole_tree()
    form.parent_id.choices = parent_choices(nodes, queries.path_labels(nodes), exclude_within=org)
    if not form.validate_on_submit():
        flash(_("Please choose a valid new parent organisation."), "error")
        return redirect(url_for("orgs.edit_org", org_id=org.id))
    new_parent = _get_org(form.parent_id.data)
    return write_and_redirect(lambda: services.move_org(current_user, org, new_parent), _("Moved."), _org_page(org))


@bp.route("/<int:org_id>/deactivate", methods=["POST"])
@admin_required
def deactivate_org(org_id):
    org = _get_org(org_id)
    return write_and_redirect(lambda: services.set_org_active(current_user, org, False), _("Deactivated."),
                              _org_page(org))


@bp.route("/<int:org_id>/reactivate", methods=["POST"])
@admin_required
def reactivate_org(org_id):
    org = _get_org(org_id)
    return write_and_redirect(lambda: services.set_org_active(current_user, org, True), _("Reactivated."),
                              _org_page(org))


@bp.route("/<int:org_id>/delete", methods=["POST"])
@admin_required
def delete_org(org_id):
    org = _get_org(org_id)
    return write_and_redirect(lambda: services.delete_org(current_user, org),
                              _("Organisation “%(name)s” deleted.", name=org.name), url_for("orgs.org_tree"),
                              refused_target=_org_page(org))

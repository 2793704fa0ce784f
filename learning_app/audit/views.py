from flask import Blueprint, render_template, request

from ..extensions import db
from ..permissions import admin_required
from . import queries
from .labels import action_label, describe

bp = Blueprint("audit", __name__, url_prefix="/admin/audit", template_folder="templates")


@bp.record_once
def register(state):
    state.app.jinja_env.globals.update(audit_action_label=action_label)

PER_PAGE = 50


@bp.route("/")
@admin_required
def list_entries():
    action = request.args.get("action", "")
    actor = request.args.get("actor", "")[:40]
    pagination = db.paginate(queries.entries_query(action, actor), per_page=PER_PAGE, error_out=False)
    names = queries.names_for_entries(pagination.items)
    rows = [describe(entry, names) for entry in pagination.items]
    actions = [(code, action_label(code)) for code in queries.known_actions()]
    return render_template("audit/list.html", pagination=pagination, rows=rows, actions=actions,
                           action=action, actor=actor)

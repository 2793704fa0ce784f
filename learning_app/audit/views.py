from flask import Blueprint, render_template, request

from ..extensions import db
from ..permissions import admin_required
from . import queries

bp = Blueprint("audit", __name__, url_prefix="/admin/audit", template_folder="templates")

PER_PAGE = 50


@bp.route("/")
@admin_required
def list_entries():
    action = request.args.get("action", "")
    actor = request.args.get("actor", "")[:40]
    pagination = db.paginate(queries.entries_query(action, actor), per_page=PER_PAGE, error_out=False)
    return render_template("audit/list.html", pagination=pagination, actions=queries.known_actions(),
                           action=action, actor=actor)

"""Analytics' background jobs (learning_app.jobs): the count rebuild (`flask rebuild-counts` runs it with a
progress bar, or queues it for the worker with --queue), and Excel exports of long action lists."""
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from courses.services.learning import complete_courses_left_incomplete, recount_lessons_done
from learning_app.extensions import db
from learning_app.jobs import files, job_kind
from learning_app.models import User
from learning_app.orgs.queries import path_labels

from . import exports, queries
from .counts import rebuild
from .filters import Filters
from .permissions import get_dashboard_root

STEPS = 3


@job_kind("rebuild_counts", _l("Rebuilding the dashboard counts"))
def rebuild_counts_job(job, progress, payload=None) -> dict:
    """Complete the courses whose every requirement is met but which were left incomplete, then
    recompute every per-branch count, in one transaction."""
    progress(0, STEPS)
    recount_lessons_done()
    progress(1, STEPS)
    repaired = complete_courses_left_incomplete()
    progress(2, STEPS)
    rebuild()
    progress(3, STEPS)
    return {"repaired": repaired}


@job_kind("list_export", _l("Excel export"), result_template="analytics/export_job_result.html")
def export_list_job(job, progress, payload=None) -> dict:
    """An action list as Excel, made with the rights of whoever asked for it (checked again here)."""
    params = job.params
    viewer = db.session.get(User, job.started_by_id)
    root = get_dashboard_root(params.get("org"), viewer)
    filters = Filters.from_args(MultiDict(params.get("args", {})))
    rows = db.session.execute(queries.action_list(root, filters, params["kind"], params.get("sort", "branch"))).all()
    progress(0, len(rows))
    labels = path_labels(queries.subtree_nodes(root))
    data, _mimetype = exports.action_list_file(params["kind"], rows, labels, "xlsx")
    progress(len(rows), len(rows))
    return {"rows": len(rows), "file": files.keep(data, "xlsx"), "name": params["name"]}

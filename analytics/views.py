"""The supervisor dashboard, its action lists, exports and the printable report."""
from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from learning_app.jobs import files, start_job
from learning_app.jobs.permissions import get_job_or_404
from learning_app.models import MemberCategory
from learning_app.orgs.queries import ancestors_of, path_labels
from learning_app.permissions import people_manager_required
from learning_app.templating import add_navigation
from learning_app.timezones import local_today
from learning_app.transactions import write_and_redirect

from . import charts, evaluation, exports, queries, reminders
from .cli import gen_scale_command, rebuild_counts_command
from .filters import Filters
from .forms import RemindForm
from .permissions import get_dashboard_root

bp = Blueprint("analytics", __name__, url_prefix="/dashboard", template_folder="templates")
PER_PAGE = 50


@bp.record_once
def register(state):
    add_navigation(17, "analytics.dashboard", _l("Dashboard"), lambda user: user.manages_people, "statistics")
    add_navigation(18, "analytics.report", _l("Monthly report"), lambda user: user.manages_people, "statistics")
    add_navigation(19, "analytics.site_evaluation", _l("Site evaluation"), lambda user: user.manages_people,
                   "statistics")
    state.app.cli.add_command(gen_scale_command)
    state.app.cli.add_command(rebuild_counts_command)


def figure_json(figure) -> Markup:
    """Plotly JSON safe inside <script type="application/json"> (no "</script>" can end it early)."""
    return _script_json(charts.figure_json(figure))


def _script_json(text: str) -> Markup:
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _trail(root):
    """The breadcrumb from the top the viewer may see down to `root` (no query for a top node)."""
    nodes = ancestors_of(root) if root.parent_id else [root]
    return [node for node in nodes if current_user.can_see_org(node)]


def _context(root, filters):
    tree = queries.tree_figures(root, filters)
    children = [node for node in tree.nodes if node.parent_id == root.id]
    return tree, children, _trail(root), path_labels(tree.nodes)


@bp.route("/")
@people_manager_required
def dashboard():
    root = get_dashboard_root(request.args.get("org", type=int), current_user)
    filters = Filters.from_args(request.args)
    tree, children, trail, labels = _context(root, filters)
    total = tree.total[root.id]
    required = current_app.config["YEARLY_STUDY_HOURS"]["member"]
    per_day = queries.completions_over_time(root, filters)
    stages = tree.funnel(root)
    bands = queries.score_distribution(root, filters)
    difficulty = queries.question_difficulty(root, filters)
    hours_bins = tree.hours_distribution
    months = queries.attendance_by_month(root, filters)
    deadline = tree.earliest_deadline
    figures = {
        "completion": figure_json(charts.completion_by_child(children, tree.total))
        if any(tree.total[node.id].assigned for node in children) else None,
        "treemap": figure_json(charts.subtree_treemap(tree.nodes, tree.total, root)) if total.members else None,
        "timeline": figure_json(charts.completion_line(per_day, total.assigned, deadline)) if per_day else None,
        "funnel": figure_json(charts.funnel_figure(stages)) if stages["assigned"] else None,
        "scores": figure_json(charts.score_histogram(bands)) if bands else None,
        "difficulty": figure_json(charts.difficulty_bars(difficulty)) if difficulty else None,
        "hours": figure_json(charts.hours_histogram(hours_bins, required)) if total.members else None,
        "hours_share": figure_json(charts.hours_share_by_child(children, tree.total))
        if any(tree.total[node.id].members for node in children) else None,
        "attendance": figure_json(charts.attendance_bars(months)) if months else None,
    }
    return render_template(
        "analytics/dashboard.html", root=root, filters=filters, tree=tree, children=children, trail=trail,
        total=total, figures=figures, stages=stages, bands=bands, difficulty=difficulty, hours_bins=hours_bins,
        months=months, per_day=per_day, deadline=deadline, labels=labels,
        courses=queries.courses_assigned_within(root), today=local_today(), categories=MemberCategory.choices())


def _trail_and_labels(root):
    """The breadcrumb and the branch names of the subtree, without the figures a list does not show."""
    return _trail(root), path_labels(queries.subtree_nodes(root))


def _list_rows(root, filters, kind):
    if kind not in queries.LIST_KINDS:
        abort(404)
    return queries.action_list(root, filters, kind, request.args.get("sort", "branch"))


@bp.route("/lists/<kind>")
@people_manager_required
def action_list(kind):
    root = get_dashboard_root(request.args.get("org", type=int), current_user)
    filters = Filters.from_args(request.args)
    page = max(1, request.args.get("page", 1, type=int))
    if kind not in queries.LIST_KINDS:
        abort(404)
    rows, total = queries.action_list_page(root, filters, kind, request.args.get("sort", "branch"), page, PER_PAGE)
    trail, labels = _trail_and_labels(root)
    reminded = reminders.reminded_today(root, filters, kind)
    return render_template("analytics/list.html", root=root, filters=filters, kind=kind, rows=rows, total=total,
                           remind_form=RemindForm(), reminded=reminded,
                           titles={"not_started": _("Not started"), "overdue": _("Overdue"),
                                   "below_hours": _("Below the hours requirement")}, today=local_today(),
                           page=page, pages=max(1, -(-total // PER_PAGE)), trail=trail, labels=labels,
                           sort=request.args.get("sort", "branch"))


@bp.route("/lists/<kind>/remind", methods=["POST"])
@people_manager_required
def remind_list(kind):
    """"提醒未完成的党员": message everyone on the list (at most once a day per list)."""
    root = get_dashboard_root(request.args.get("org", type=int), current_user)
    filters = Filters.from_args(request.args)
    if kind not in queries.LIST_KINDS:
        abort(404)
    form = RemindForm()  # CSRF is checked for every POST (learning_app.extensions.csrf)
    back = url_for("analytics.action_list", kind=kind, org=root.id, **filters.as_args())
    if not form.validate():
        flash(reminders.note_too_long(), "error")
        return redirect(back)
    return write_and_redirect(
        lambda: reminders.remind_list(current_user, root, filters, kind, form.note.data or ""),
        lambda reminder: ngettext("Reminded %(num)s member.", "Reminded %(num)s members.", reminder.recipients), back)


@bp.route("/lists/<kind>.<any(xlsx, csv):fmt>")
@people_manager_required
def export_list(kind, fmt):
    root = get_dashboard_root(request.args.get("org", type=int), current_user)
    filters = Filters.from_args(request.args)
    if fmt == "xlsx" and kind in queries.LIST_KINDS \
            and queries.action_list_total(root, filters, kind) > current_app.config["EXPORT_JOB_ROWS"]:
        # A long Excel file is made in the background; the job's page offers it when it is ready.
        job = start_job("list_export", current_user, {
            "org": root.id, "kind": kind, "sort": request.args.get("sort", "branch"), "args": filters.as_args(),
            "name": f"{kind}-{local_today().isoformat()}.xlsx", "locale": str(get_locale())})
        return redirect(url_for("jobs.show_job", job_id=job.id))
    rows = queries.db.session.execute(_list_rows(root, filters, kind)).all()
    _trail, labels = _trail_and_labels(root)
    data, mimetype = exports.action_list_file(kind, rows, labels, fmt)
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename={kind}-{local_today().isoformat()}.{fmt}",
        "Cache-Control": "no-store"})


@bp.route("/exports/<int:job_id>")
@people_manager_required
def download_export(job_id):
    """The Excel file an export job made, for the person who asked for it."""
    job = get_job_or_404(job_id, current_user, need="own")
    result = job.result or {}
    data = files.read(result.get("file"))
    if data is None:
        abort(404)
    return Response(data, mimetype=exports.XLSX, headers={
        "Content-Disposition": f"attachment; filename={result['name']}", "Cache-Control": "no-store"})


@bp.route("/branches.<any(xlsx, csv):fmt>")
@people_manager_required
def export_branches(fmt):
    root = get_dashboard_root(request.args.get("org", type=int), current_user)
    filters = Filters.from_args(request.args)
    tree, _children, _trail, labels = _context(root, filters)
    data, mimetype = exports.branch_table_file(tree, labels, fmt)
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename=branches-{local_today().isoformat()}.{fmt}",
        "Cache-Control": "no-store"})


@bp.route("/report")
@people_manager_required
def report():
    """A printable monthly or quarterly report for one node."""
    root = get_dashboard_root(request.args.get("org", type=int), current_user)
    period = exports.Period.from_args(request.args)
    filters = Filters(date_from=period.start, date_to=period.end, year=period.start.year)
    tree, children, trail, labels = _context(root, filters)
    return render_template("analytics/report.html", root=root, period=period, tree=tree, children=children,
                           labels=labels, months=queries.attendance_by_month(root, filters),
                           stages=tree.funnel(root), printable=request.args.get("print") == "1")


@bp.route("/sites")
@people_manager_required
def site_evaluation():
    """Monthly, quarterly or year-end evaluation of the sites in the viewer's subtree."""
    root = get_dashboard_root(request.args.get("org", type=int), current_user)
    if request.args.get("view") == "year":
        year = exports.year_from_args(request.args)
        period = exports.Period("year", date(year, 1, 1), date(year, 12, 31))
    else:
        period = exports.Period.from_args(request.args)
    return render_template("analytics/sites.html", root=root, period=period,
                           scores=evaluation.evaluate_sites(root, period.start, period.end))

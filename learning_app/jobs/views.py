"""A job's page: its progress (polled, or refreshed without JavaScript) and its result."""
from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required

from .permissions import get_job_or_404
from .queue import KINDS, percent, progress_of

bp = Blueprint("jobs", __name__, url_prefix="/jobs", template_folder="templates")


@bp.route("/<int:job_id>")
@login_required
def show_job(job_id):
    job = get_job_or_404(job_id, current_user)
    done, total = progress_of(job)
    return render_template("jobs/job.html", job=job, kind=KINDS.get(job.kind), done=done, total=total,
                           percent=percent(job))


@bp.route("/<int:job_id>/progress")
@login_required
def job_progress(job_id):
    job = get_job_or_404(job_id, current_user)
    done, total = progress_of(job)
    return jsonify(state=job.state.value, label=str(job.state.label), done=done, total=total,
                   percent=percent(job), finished=job.finished)

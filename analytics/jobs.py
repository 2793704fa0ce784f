"""The dashboard's count rebuild as a background job (learning_app.jobs): `flask rebuild-counts` runs it
with a progress bar, or queues it for the worker with --queue."""
from flask_babel import lazy_gettext as _l

from courses.services.learning import complete_courses_left_incomplete, recount_lessons_done
from learning_app.jobs import job_kind

from .counts import rebuild

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

"""Who sees a job: the person who started it, or an admin; only the starter takes what it produced
(the new accounts' one-time passwords). To anyone else the job does not exist (404)."""
from ..extensions import db
from ..permissions import Need, authorise
from .models import JobRun

JOB_NEEDS = {
    "see": Need(lambda user, job: job.can_see(user), 404),
    "own": Need(lambda user, job: user.is_authenticated and user.id == job.started_by_id, 404),
}


def get_job_or_404(job_id: int, user, need: str = "see") -> JobRun:
    return authorise(db.session.get(JobRun, job_id), user, need, JOB_NEEDS)

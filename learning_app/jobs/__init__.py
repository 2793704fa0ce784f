"""Background jobs (Huey): the queue, jobs with progress for long work, and periodic tasks.

learning_app/jobs/queue.py says how it works; the other packages use these names only.
"""
from .models import JobRun, JobState
from .queue import (
    JobRefused,
    Progress,
    every,
    fail_stalled_jobs,
    follow,
    huey,
    init_app,
    job_kind,
    percent,
    progress_of,
    register_periodic,
    run_here,
    start_job,
)

__all__ = ["JobRefused", "JobRun", "JobState", "Progress", "every", "fail_stalled_jobs", "follow", "huey", "init_app",
           "job_kind", "percent", "progress_of", "register_periodic", "run_here", "start_job"]

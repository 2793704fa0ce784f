"""`flask --app learning_app gen-scale`: a generated organisation for benchmarks, with a progress bar."""
import time

import click
from flask.cli import with_appcontext

from learning_app.jobs import JobState, follow, run_here, start_job
from learning_app.jobs.cli import ProgressBar
from learning_app.transactions import committing_command

from . import jobs  # noqa: F401  (registers the rebuild as a kind of job)
from .scale import SCALE_PASSWORD, Progress, gather_statistics, generate


@click.command("gen-scale")
@click.option("--members", default=10_000, show_default=True)
@click.option("--branches", default=200, show_default=True)
@click.option("--courses", default=20, show_default=True)
@click.option("--seed", default=2026, show_default=True)
@with_appcontext
def gen_scale_command(members, branches, courses, seed):
    """Generate an organisation of MEMBERS members in BRANCHES branches with COURSES courses."""
    started = time.perf_counter()
    bars = {}

    def report(done, total, label):
        bar = bars.get(label)
        if bar is None:
            bar = bars[label] = click.progressbar(length=total, label=f"{label:>16}")
            bar.__enter__()
            bar.last = 0
        bar.update(done - bar.last)
        bar.last = done
        if done >= total:
            bar.__exit__(None, None, None)

    with committing_command():
        top = generate(members, branches, courses, seed, Progress(report))
    gather_statistics()
    click.echo(f"Generated “{top.name}” (organisation {top.id}) in {time.perf_counter() - started:.1f} s. "
               f"Members log in with the password {SCALE_PASSWORD}.")


@click.command("rebuild-counts")
@click.option("--queue", "queued", is_flag=True,
              help="Queue it for the worker (flask worker) and follow its progress, instead of running it here.")
@with_appcontext
def rebuild_counts_command(queued):
    """Recompute the dashboard's per-branch counts from enrolments, attempts and assignments, after
    completing the courses whose every requirement is met but which were left incomplete."""
    started = time.perf_counter()
    bar = ProgressBar("Rebuilding")
    try:
        job = follow(start_job("rebuild_counts", None), bar) if queued else run_here("rebuild_counts", on_change=bar)
    finally:
        bar.close()
    if job.state != JobState.DONE:
        raise click.ClickException((job.result or {}).get("message") or "The rebuild failed: see the log.")
    if job.result.get("repaired"):
        click.echo(f"{job.result['repaired']} course completions repaired (their study hours credited).")
    click.echo(f"Counts rebuilt in {time.perf_counter() - started:.1f} s.")

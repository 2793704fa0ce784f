"""`flask --app learning_app worker`: runs the jobs' worker (a Huey consumer) until stopped."""
import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from .queue import run_worker, storage_for


@click.command("worker")
@click.option("--threads", type=int, default=None,
              help="Jobs run at the same time (default: JOBS_WORKER_THREADS, 2).")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Schedule the periodic tasks: in one worker only when several share a queue.")
@with_appcontext
def worker_command(threads, periodic):
    """Run the background worker: queued jobs and the periodic tasks (Ctrl-C lets running jobs finish)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = current_app._get_current_object()
    threads = threads or app.config["JOBS_WORKER_THREADS"]
    storage, options = storage_for(app.config["JOBS_URL"], app.instance_path)
    click.echo(f"Worker: {threads} threads, queue {options.get('filename') or options.get('url')}")
    try:
        run_worker(app, threads, periodic)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error


class ProgressBar:
    """A click progress bar fed by a job's Progress(on_change=...): commands show their jobs' progress."""

    def __init__(self, label):
        self.label, self.bar, self.shown = label, None, 0

    def __call__(self, done, total):
        if self.bar is None and total:
            self.bar = click.progressbar(length=total, label=self.label)
            self.bar.__enter__()
        if self.bar is not None:
            self.bar.update(done - self.shown)
            self.shown = done

    def close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def init_app(app):
    app.cli.add_command(worker_command)


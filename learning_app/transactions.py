"""Where a write commits: here, and nowhere else.

Services change the session and flush; they never commit. A request (or a CLI command) commits once,
when its work is done, through one of the helpers below, which are the only code that calls
`db.session.commit()` or `rollback()` for views and commands (tests/test_transaction_boundary.py scans
the views, services and commands for any other).

- `committing()` is the boundary itself: the block's writes are committed when it ends, rolled back when
  it raises. Views whose writes cannot be refused (signing in, the language switch, a lesson opened)
  and CLI commands (`committing_command()`) use it directly.
- A **RuleError** is a change the rules forbid; its message is for the user. Every refusal derives from
  it (a package's own kind: OrgRuleError, AuthoringError, AttemptError, UploadRefused, ...;
  tests/test_transaction_boundary.py checks that no other exception class is used for one).
  `run_write()` runs a service call inside `committing()` and turns a RuleError into the flashed
  message, here and only here: views never catch a RuleError themselves. `write_and_redirect()` is
  run_write followed by the usual redirect; a form that must keep what was typed passes
  `refused_page` and is shown again with status 400.
- **keeps_changes**: a refusal that must be remembered sets it on its class (a wrong check-in code
  counts towards a limit and is audited; an attempt refused because its time ran out has just been
  graded). Then what the service wrote before raising is committed instead of rolled back.
- **JSON endpoints** (quiz autosave, submit, the lesson heartbeat) call `run_write(..., quiet=True)`:
  nothing is flashed, and the view answers the refusal (`outcome.refusal`) with its own JSON body and
  status code (409 for a refusal, 400 for a malformed report). Their fast paths (learning_app.fast_paths:
  views outside a transaction on PostgreSQL) commit through the same helpers; committing a session whose
  connection is in autocommit mode only hands the connection back.
- A service's result (the new lesson, the new bank) comes back as `outcome.result`, and a redirect
  `target` or success `message` may be a function of it.

Outside these helpers only two places end a transaction, neither of them to keep a write: the 500 handler
(learning_app/errors.py) rolls back what a crashed request left, and learning_app.fast_paths'
ensure_transaction() gives back an autocommit connection before a fast-path view takes a lock.
"""
from contextlib import contextmanager
from typing import Any, NamedTuple

import click
from flask import flash, redirect

from .extensions import db


class RuleError(ValueError):
    """A change the rules forbid; its message is for the user. Every package's rule errors derive from it."""

    # A refusal that must be remembered (a wrong check-in code counts towards a limit, and is audited)
    # sets this: what the service wrote before raising is committed instead of rolled back.
    keeps_changes = False


@contextmanager
def committing():
    """Commit what the block wrote; roll it back if the block raises (a RuleError that keeps_changes
    commits instead), and let the exception go on."""
    try:
        yield
    except RuleError as error:
        if error.keeps_changes:
            db.session.commit()
        else:
            db.session.rollback()
        raise
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


@contextmanager
def committing_command():
    """committing() for a CLI command: a RuleError is printed and the command exits with status 1."""
    try:
        with committing():
            yield
    except RuleError as error:
        raise click.ClickException(str(error)) from error


class Outcome(NamedTuple):
    """What run_write did: the service's result, or the RuleError that refused it."""
    result: Any = None
    refusal: RuleError | None = None

    @property
    def refused(self) -> bool:
        return self.refusal is not None


def run_write(action, message=None, *, quiet=False) -> Outcome:
    """Run `action` (a service call) and commit. On success flash `message` (text, or a function of the
    result; None flashes nothing). On a RuleError flash its message (unless `quiet`: a JSON endpoint
    answers it itself) and return it as the outcome's refusal."""
    try:
        with committing():
            result = action()
    except RuleError as error:
        if not quiet:
            flash(str(error), "error")
        return Outcome(refusal=error)
    if message is not None:
        flash(message(result) if callable(message) else message, "success")
    return Outcome(result=result)


def write_and_redirect(action, message, target, *, refused_target=None, refused_page=None):
    """run_write(action, message), then redirect to `target` (a URL, or a function of the result).

    A refusal redirects to `refused_target` (default: `target`, which must then be a URL), or with
    `refused_page` shows that page again instead (status 400), so that a form keeps what was typed."""
    outcome = run_write(action, message)
    if outcome.refused:
        if refused_page is not None:
            return refused_page(), 400
        return redirect(refused_target or target)
    return redirect(target(outcome.result) if callable(target) else target)

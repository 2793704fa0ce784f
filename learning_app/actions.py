"""The one way a view runs a write: commit and say so, or roll back and say which rule it broke."""
from flask import flash, redirect

from .extensions import db


class RuleError(ValueError):
    """A change the rules forbid; its message is for the user. Every package's rule errors derive from it."""

    # A refusal that must be remembered (a wrong check-in code counts towards a limit, and is audited)
    # sets this: what the service wrote before raising is committed instead of rolled back.
    keeps_changes = False


def perform(action, message, target, refused_page=None):
    """Run `action` (a service call); flash `message` on success or the rule error, then redirect.

    With `refused_page`, a refusal shows that page again instead (status 400), so that a form keeps
    what was typed into it."""
    try:
        action()
    except RuleError as error:
        if error.keeps_changes:
            db.session.commit()
        else:
            db.session.rollback()
        flash(str(error), "error")
        if refused_page is not None:
            return refused_page(), 400
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(target)

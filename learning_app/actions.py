"""The one way a view runs a write: commit and say so, or roll back and say which rule it broke."""
from flask import flash, redirect

from .extensions import db


class RuleError(ValueError):
    """A change the rules forbid; its message is for the user. Every package's rule errors derive from it."""

    # A refusal that must be remembered (a wrong check-in code counts towards a limit, and is audited)
    # sets this: what the service wrote before raising is committed instead of rolled back.
    keeps_changes = False


def perform(action, message, target):
    """Run `action` (a service call); flash `message` on success or the rule error, then redirect."""
    try:
        action()
    except RuleError as error:
        if error.keeps_changes:
            db.session.commit()
        else:
            db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(target)

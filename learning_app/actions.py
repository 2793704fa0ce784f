"""The one way a view runs a write: commit and say so, or roll back and say which rule it broke."""
from flask import flash, redirect

from .extensions import db


class RuleError(ValueError):
    """A change the rules forbid; its message is for the user. Every package's rule errors derive from it."""


def perform(action, message, target):
    """Run `action` (a service call); flash `message` on success or the rule error, then redirect."""
    try:
        action()
    except RuleError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(target)

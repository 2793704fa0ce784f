"""What the site and base views share."""
from flask import flash, redirect

from learning_app.extensions import db

from ..services import BaseRuleError


def guard(action, message, target):
    """Run one service: commit and say so, or roll back and show the rule it broke; then redirect."""
    try:
        action()
    except BaseRuleError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(target)

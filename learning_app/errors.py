"""Friendly error pages in the user's language."""
from flask import render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from .extensions import db

MESSAGES = {
    400: lambda: _("The request could not be understood."),
    403: lambda: _("You do not have permission to open this page."),
    404: lambda: _("The page you asked for does not exist or is not visible to you."),
    405: lambda: _("This action is not allowed here."),
    413: lambda: _("The file is too large to upload."),
    429: lambda: _("Too many attempts. Please wait a few minutes and try again."),
    500: lambda: _("Something went wrong on our side. Please try again later."),
}


def render_error(code, message=None):
    return render_template("errors/error.html", code=code,
                           message=message or MESSAGES[code]()), code


def init_app(app):
    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, lambda error, code=code: render_error(code))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _("The form has expired or was not sent from this site. "
                                   "Please go back, reload the page and try again."))

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_error(500)

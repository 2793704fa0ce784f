"""One guard for all input: a control character anywhere in a request is refused with 400.

PostgreSQL cannot store NUL in text, so a NUL in a login id, a search or a title reached the database and
ended in a 500 (before signing in, for the login form). The other C0 control characters (all but tab, LF
and CR) are refused as well, not stripped: no keyboard or browser form sends them, so they come from a
script or a damaged paste, and stripping would silently change what was sent (a password would then
work without its character); stored, they would break every Excel export (openpyxl refuses them) and XML.

Checked: the path, query argument names and values, form field names and values, the names of uploaded
files, and every key and string of a JSON body. What an uploaded file holds is for its importer to judge.
URL-encoded forms and JSON are read before the view runs. A multipart body is checked when it is first
read (GuardedRequest), not before the view: the upload views raise the body size limit first, and
reading the body earlier would hold large material to the site-wide limit.
"""
import re

from flask import Request, jsonify, request
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest

from .errors import render_error

# And half a UTF-16 surrogate pair, which only JSON can carry ("\ud800"): it cannot be encoded as UTF-8,
# so the database refuses it and a page showing it fails.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


class ControlCharacterInInput(BadRequest):
    description = "The request contains a control character."


def holds_control_character(value) -> bool:
    """Whether a string, or any key or string inside parsed JSON, holds a control character."""
    pending = [value]
    while pending:  # not recursive: JSON may nest deeper than Python's recursion limit
        item = pending.pop()
        if isinstance(item, str):
            if CONTROL_CHARACTER.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _fields_hold_control_character(fields) -> bool:
    return any(holds_control_character(key) or holds_control_character(values)
               for key, values in fields.lists())


class GuardedRequest(Request):
    """Checks form fields and upload names whenever the body is parsed, whoever parses it first."""

    def _load_form_data(self) -> None:
        if self.__dict__.get("_control_character_refused"):
            raise ControlCharacterInInput()
        super()._load_form_data()
        names = [name for key, upload in self.files.items(multi=True) for name in (key, upload.filename or "")]
        if _fields_hold_control_character(self.form) or holds_control_character(names):
            # Nothing of the refused body stays readable, should anyone catch the error.
            self.__dict__.update(form=ImmutableMultiDict(), files=ImmutableMultiDict(),
                                 _control_character_refused=True)
            raise ControlCharacterInInput()


def refuse_control_characters():
    if holds_control_character(request.path) or _fields_hold_control_character(request.args):
        raise ControlCharacterInInput()
    if request.mimetype == "application/x-www-form-urlencoded":
        request.form  # noqa: B018 (reading it parses it, and GuardedRequest checks the fields as it parses them)
    elif request.is_json and holds_control_character(request.get_json(silent=True)):
        raise ControlCharacterInInput()


def answer_refusal(error):
    message = _("The request contains a control character (such as NUL), which no form sends. "
                "Please remove it and try again.")
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify({"error": message}), 400
    return render_error(400, message)


def init_app(app):
    app.request_class = GuardedRequest
    # Registered before the extensions' hooks (CSRF, rate limits) so refused input reaches none of them.
    app.before_request(refuse_control_characters)
    app.register_error_handler(ControlCharacterInInput, answer_refusal)

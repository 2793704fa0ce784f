"""The dashboard's one form: the supervisor's short note with "提醒未完成的党员"."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional

from .reminders import NOTE_LENGTH


class RemindForm(FlaskForm):
    note = StringField(_l("A short note for the members (optional)"),
                       validators=[Optional(), Length(max=NOTE_LENGTH)])

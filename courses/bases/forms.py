from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import MultiCheckboxField
from .models import BaseKind

WALK_INS_LABEL = _l("Accept walk-ins: members who did not sign up may check in too")


class SiteForm(FlaskForm):
    org_id = SelectField(_l("Organisation"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Site name"), validators=[DataRequired(), Length(max=120)])
    welcome = TextAreaField(_l("Welcome text"), validators=[Optional(), Length(max=5000)])


class StaffForm(FlaskForm):
    login_id = StringField(_l("Member number of the new staff member"), validators=[DataRequired(), Length(max=40)])


class NoticeForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[DataRequired(), Length(max=20000)])


class FeatureForm(FlaskForm):
    course_id = SelectField(_l("Course"), coerce=int, validators=[DataRequired()])


class CollectiveStudyForm(FlaskForm):
    title = StringField(_l("Topic"), validators=[DataRequired(), Length(max=200)])
    held_at = DateTimeLocalField(_l("Held at"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    minutes = IntegerField(_l("Minutes"), default=60, validators=[DataRequired(), NumberRange(min=5, max=600)])
    hours = DecimalField(_l("Study hours credited"), places=1, default=1,
                         validators=[DataRequired(), NumberRange(min=0.1, max=24)])
    course_id = SelectField(_l("Course studied (optional)"), coerce=int, validators=[Optional()])
    lesson_keys = MultiCheckboxField(_l("Lessons studied"), validators=[Optional()])
    attendee_ids = MultiCheckboxField(_l("Who attended"), coerce=int, validators=[Optional()])
    scanned = TextAreaField(_l("Scanned or typed member numbers, one per line"), validators=[Optional()])


class CorrectionForm(FlaskForm):
    login_id = StringField(_l("Member number"), validators=[DataRequired(), Length(max=40)])
    present = SelectField(_l("Correction"), choices=[("add", _l("Add as present")), ("remove", _l("Remove"))])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class BaseForm(FlaskForm):
    org_id = SelectField(_l("Registered by organisation"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=BaseKind.choices)
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    capacity = IntegerField(_l("Capacity"), default=50, validators=[DataRequired(), NumberRange(min=1, max=100000)])
    contact = StringField(_l("Contact"), validators=[Optional(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


class SessionForm(FlaskForm):
    topic = StringField(_l("Topic"), validators=[DataRequired(), Length(max=200)])
    starts_at = DateTimeLocalField(_l("Starts at"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends at"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    hours = DecimalField(_l("Study hours credited"), places=1, default=2,
                         validators=[DataRequired(), NumberRange(min=0.1, max=24)])
    capacity = IntegerField(_l("Places"), default=50, validators=[DataRequired(), NumberRange(min=1, max=100000)])
    course_id = SelectField(_l("Linked course (optional)"), coerce=int, validators=[Optional()])
    invited = MultiCheckboxField(_l("Invited organisations (with everything under them)"), coerce=int,
                                 validators=[DataRequired()])
    accepts_walk_ins = BooleanField(WALK_INS_LABEL)


class WalkInForm(FlaskForm):
    """The one setting of a session its staff change on the session page."""
    accepts_walk_ins = BooleanField(WALK_INS_LABEL)


class RescheduleForm(FlaskForm):
    """A session's new time; the members signed up are told."""
    starts_at = DateTimeLocalField(_l("Starts at"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends at"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])


class CheckInForm(FlaskForm):
    code = StringField(_l("Check-in code"), validators=[DataRequired(), Length(min=6, max=6)])


class MarkForm(FlaskForm):
    login_id = StringField(_l("Member number"), validators=[DataRequired(), Length(max=40)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])

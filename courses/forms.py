from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from learning_app.models import MemberCategory, PositionLevel

from .models import LessonKind
from .services.assignment import check_deadline
from .services.authoring import AuthoringError


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class CourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=5000)])
    tags = StringField(_l("Topics (专题), separated by commas"), validators=[Optional(), Length(max=300)])
    hours = DecimalField(_l("Study hours credited on completion"), places=1,
                         validators=[DataRequired(), NumberRange(min=0.1, max=200)])
    audience_categories = MultiCheckboxField(_l("Meant for (leave all unticked for everyone)"),
                                             choices=MemberCategory.choices, validators=[Optional()])
    audience_positions = MultiCheckboxField(_l("Position levels (leave all unticked for everyone)"),
                                            choices=PositionLevel.choices, validators=[Optional()])
    media_completion_ratio = IntegerField(_l("Share of a video or audio that must be played (%)"), default=90,
                                          validators=[DataRequired(), NumberRange(min=10, max=100)])
    reading_seconds = IntegerField(_l("Seconds an article or document must stay open"), default=60,
                                   validators=[DataRequired(), NumberRange(min=5, max=3600)])


class ChapterForm(FlaskForm):
    title = StringField(_l("Chapter title"), validators=[DataRequired(), Length(max=200)])


class LessonForm(FlaskForm):
    title = StringField(_l("Lesson title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=LessonKind.choices, validators=[DataRequired()])


class LessonEditForm(FlaskForm):
    title = StringField(_l("Lesson title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[Optional(), Length(max=200_000)])
    duration_seconds = IntegerField(_l("Duration in seconds (for video and audio)"),
                                    validators=[Optional(), NumberRange(min=1, max=24 * 3600)])
    required = BooleanField(_l("Required for completion"), default=True)


class UploadForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file to upload."))])
    caption = StringField(_l("Caption"), validators=[Optional(), Length(max=200)])


class ReviewForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])


class AssignForm(FlaskForm):
    org_id = SelectField(_l("Organisation (with everything under it)"), coerce=int, validators=[DataRequired()])
    categories = MultiCheckboxField(_l("Only these member categories (none ticked: all)"),
                                    choices=MemberCategory.choices, validators=[Optional()])
    positions = MultiCheckboxField(_l("Only these position levels (none ticked: all)"),
                                   choices=PositionLevel.choices, validators=[Optional()])
    required = BooleanField(_l("Required"), default=True)
    deadline = DateField(_l("Deadline"), validators=[Optional()])

    def validate_deadline(self, field):
        try:
            check_deadline(field.data)
        except AuthoringError as error:
            raise ValidationError(str(error)) from error

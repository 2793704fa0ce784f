from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
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

from courses.forms import MultiCheckboxField
from learning_app.models import MemberCategory, PositionLevel

from .models import GradingMethod, QuestionType, ReviewPolicy

OPTION_LETTERS = "ABCDEF"


class BankForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    audience_categories = MultiCheckboxField(_l("Daily practice for (none ticked: everyone)"),
                                             choices=MemberCategory.choices, validators=[Optional()])
    audience_positions = MultiCheckboxField(_l("Position levels (none ticked: everyone)"),
                                            choices=PositionLevel.choices, validators=[Optional()])


class QuestionForm(FlaskForm):
    type = SelectField(_l("Type"), choices=lambda: [(QuestionType.ZH[t.value], t.label) for t in QuestionType])
    stem = TextAreaField(_l("Question"), validators=[DataRequired(), Length(max=5000)])
    option_a = StringField(_l("Option A"), validators=[Optional(), Length(max=1000)])
    option_b = StringField(_l("Option B"), validators=[Optional(), Length(max=1000)])
    option_c = StringField(_l("Option C"), validators=[Optional(), Length(max=1000)])
    option_d = StringField(_l("Option D"), validators=[Optional(), Length(max=1000)])
    option_e = StringField(_l("Option E"), validators=[Optional(), Length(max=1000)])
    option_f = StringField(_l("Option F"), validators=[Optional(), Length(max=1000)])
    answer = StringField(_l("Answer"), validators=[Optional(), Length(max=2000)])
    explanation = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=5000)])
    tags = StringField(_l("Tags, separated by commas"), validators=[Optional(), Length(max=300)])
    partial = BooleanField(_l("Multiple choice: partial credit for partly right answers"))


class ImportForm(FlaskForm):
    file = FileField(_l("Question file (.xlsx, .csv, .gift or Aiken .txt)"),
                     validators=[FileRequired(_l("Choose a file to upload."))])


class QuizForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    course_id = SelectField(_l("Final quiz of course"), coerce=int, validators=[Optional()])
    org_id = SelectField(_l("Standalone test open to (with everything under it)"), coerce=int,
                         validators=[Optional()])
    time_limit_minutes = IntegerField(_l("Time limit in minutes (empty: none)"),
                                      validators=[Optional(), NumberRange(min=1, max=600)])
    opens_at = DateTimeLocalField(_l("Opens at"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    closes_at = DateTimeLocalField(_l("Closes at"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    max_attempts = IntegerField(_l("Attempts allowed (empty: unlimited)"),
                                validators=[Optional(), NumberRange(min=1, max=100)])
    pass_percent = DecimalField(_l("Pass mark (%)"), default=60,
                                validators=[DataRequired(), NumberRange(min=0, max=100)])
    grading_method = SelectField(_l("Which attempt counts"), choices=GradingMethod.choices)
    review_policy = SelectField(_l("Show correct answers and explanations"), choices=ReviewPolicy.choices)
    shuffle_questions = BooleanField(_l("Shuffle the questions for each attempt"), default=True)
    shuffle_options = BooleanField(_l("Shuffle the options for each attempt"), default=True)


class FixedItemForm(FlaskForm):
    question_id = IntegerField(_l("Question number"), validators=[DataRequired()])


class DrawForm(FlaskForm):
    bank_id = SelectField(_l("Bank"), coerce=int, validators=[DataRequired()])
    tag = StringField(_l("Tag (empty: any)"), validators=[Optional(), Length(max=60)])
    draw_count = IntegerField(_l("Number of questions"), default=5,
                              validators=[DataRequired(), NumberRange(min=1, max=200)])


class GradeForm(FlaskForm):
    points = DecimalField(_l("Points"), validators=[DataRequired(), NumberRange(min=0)])
    feedback = TextAreaField(_l("Feedback"), validators=[Optional(), Length(max=2000)])

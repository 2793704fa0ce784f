from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..models import MemberCategory, PositionLevel, Role


class MemberFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(_l("Search name, number or phone"), validators=[Optional(), Length(max=60)])
    org = SelectField(_l("Organisation"), coerce=int, validators=[Optional()])
    category = SelectField(_l("Member category"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()],
                         choices=[("", _l("All")), ("active", _l("Active")), ("inactive", _l("Deactivated"))])

    def __init__(self, org_choices, **kwargs):
        super().__init__(**kwargs)
        self.org.choices = [(0, _l("All my organisations"))] + org_choices
        self.category.choices = [("", _l("All categories"))] + MemberCategory.choices()


class MemberForm(FlaskForm):
    real_name = StringField(_l("Real name"), validators=[DataRequired(), Length(max=60)])
    org_id = SelectField(_l("Branch"), coerce=int, validators=[DataRequired()])
    category = SelectField(_l("Member category"), choices=MemberCategory.choices, validators=[DataRequired()])
    position = SelectField(_l("Position level"), choices=PositionLevel.choices, validators=[DataRequired()])
    phone = StringField(_l("Phone"), validators=[
        Optional(), Regexp(r"^1\d{10}$", message=_l("Enter an 11-digit mobile number."))])


class RoleGrantForm(FlaskForm):
    role = SelectField(_l("Role"), choices=Role.choices, validators=[DataRequired()])
    org_id = SelectField(_l("Over organisation (supervisors only)"), coerce=int, validators=[Optional()])


class RosterUploadForm(FlaskForm):
    file = FileField(_l("Roster file (.xlsx or .csv)"), validators=[
        FileRequired(_l("Choose a file to upload.")),
        FileAllowed(["xlsx", "csv"], _l("Upload an Excel (.xlsx) or CSV (.csv) file."))])

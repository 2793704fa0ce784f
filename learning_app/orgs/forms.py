from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..models import OrgKind


def parent_choices(nodes, labels, exclude_within=None, blank=False):
    choices = [(0, _l("(none: top of the tree)"))] if blank else []
    for node in nodes:
        if not node.is_active:
            continue
        if exclude_within is not None and node.is_within(exclude_within):
            continue
        if node.kind == OrgKind.BRANCH:
            continue
        choices.append((node.id, labels[node.id]))
    return choices


class OrgForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=OrgKind.choices, validators=[DataRequired()])
    parent_id = SelectField(_l("Parent organisation"), coerce=int)


class RenameOrgForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])


class MoveOrgForm(FlaskForm):
    parent_id = SelectField(_l("New parent organisation"), coerce=int, validators=[DataRequired()])

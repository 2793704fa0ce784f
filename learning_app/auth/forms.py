from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

MIN_PASSWORD_LENGTH = 8


class LoginForm(FlaskForm):
    login_id = StringField(_l("Member number or phone"), validators=[DataRequired(), Length(max=40)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Stay logged in on this device"))


def strong_enough(form, field):
    password = field.data or ""
    if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
        raise ValidationError(_l("Use both letters and digits."))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[
        DataRequired(),
        Length(min=MIN_PASSWORD_LENGTH, max=200,
               message=lazy_ngettext("The password must have at least %(min)d character.",
                                     "The password must have at least %(min)d characters.",
                                     MIN_PASSWORD_LENGTH, min=MIN_PASSWORD_LENGTH)),
        strong_enough,
    ])
    confirm_password = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("The two new passwords differ."))])

    def validate_new_password(self, field):
        if field.data and field.data == self.current_password.data:
            raise ValidationError(_l("Choose a password different from the current one."))

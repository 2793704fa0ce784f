"""The member's channels, on their account page: only those the deployment configured are offered."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length, Optional, Regexp

from .models import Channel

# A plain check (one @, a dot in the domain, no spaces): whether the address exists only a sent mail tells.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
# The openid a 公众号 gives a follower: letters, digits, - and _.
OPENID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")

# The form's fields for each channel.
CHANNEL_FIELDS = {Channel.EMAIL: ("email", "email_on"), Channel.SMS: ("sms_on",),
                  Channel.WECHAT: ("wechat_openid", "wechat_on")}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ChannelsForm(FlaskForm):
    email = StringField(_l("Email address"), filters=[_strip], validators=[
        Optional(), Length(max=254),
        Regexp(EMAIL_PATTERN, message=_l("Enter an email address such as name@example.cn."))])
    email_on = BooleanField(_l("Send me messages by email"))
    sms_on = BooleanField(_l("Send me messages by SMS"))
    wechat_openid = StringField(_l("WeChat openid"), filters=[_strip], validators=[
        Optional(), Length(max=64),
        Regexp(OPENID_PATTERN, message=_l("An openid has only letters, digits, - and _."))])
    wechat_on = BooleanField(_l("Send me messages on WeChat"))

    def __init__(self, channels, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channels = list(channels)
        for channel, names in CHANNEL_FIELDS.items():
            if channel not in self.channels:
                for name in names:
                    delattr(self, name)

    def choices(self) -> dict:
        """The offered fields' values, for services.update_channels."""
        return {name: getattr(self, name).data for channel in self.channels for name in CHANNEL_FIELDS[channel]}

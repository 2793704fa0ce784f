"""The site-plus-base blueprint: /sites for learning sites, /bases for bases and their sessions."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from learning_app.models import Role
from learning_app.templating import add_navigation

from ...completion import register_requirement
from ..reminders import register_reminders
from ..services import required_base_sessions_met

bp = Blueprint("bases", __name__, template_folder="../templates")


@bp.record_once
def register(state):
    add_navigation(14, "bases.my_site", _l("My site"), lambda user: user.is_member, "life")
    add_navigation(15, "bases.list_sessions", _l("Bases"), lambda user: user.is_member or user.manages_people,
                   "life")
    add_navigation(16, "bases.manage_sites", _l("Learning sites"), lambda user: user.manages_people, "life")
    add_navigation(24, "bases.notice_review_queue", _l("Notice review"), lambda user: user.has_role(Role.REVIEWER),
                   "manage")
    register_requirement(required_base_sessions_met)
    register_reminders()


from . import bases, sites  # noqa: E402,F401  (the modules add their routes to bp)

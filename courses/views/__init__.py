"""The courses blueprint; its routes live in one module per concern."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from learning_app.models import Role
from learning_app.signals import demo_seeded
from learning_app.templating import add_home_panel, add_navigation

from ..demo import seed_demo_courses
from ..queries import learning_summary
from ..reminders import register_reminders

bp = Blueprint("courses", __name__, url_prefix="/courses", template_folder="../templates")

EVENT_LABELS = {"create": _l("Created"), "submit": _l("Submitted for review"), "withdraw": _l("Withdrawn"),
                "approve": _l("Approved and published"), "reject": _l("Sent back"),
                "new_revision": _l("New revision started")}
SOURCE_LABELS = {"course": _l("Course completed"), "base_session": _l("Base session attended"),
                 "collective_study": _l("Collective study")}


@bp.record_once
def register_navigation(state):
    add_navigation(10, "courses.my_learning", _l("My learning"), lambda user: user.is_member, "study")
    add_navigation(11, "courses.catalog", _l("Courses"), lambda user: user.is_member, "study")
    add_navigation(20, "courses.my_courses", _l("My courses"),
                   lambda user: user.has_role(Role.AUTHOR) or user.is_admin, "manage")
    add_navigation(21, "courses.review_queue", _l("Review queue"), lambda user: user.has_role(Role.REVIEWER),
                   "manage")
    state.app.jinja_env.globals.update(event_labels=EVENT_LABELS, source_labels=SOURCE_LABELS)
    demo_seeded.connect(seed_demo_courses)
    add_home_panel(10, "courses/panels/home.html", learning_summary, lambda user: user.is_member)
    register_reminders()


from . import authoring, files, learning, review  # noqa: E402,F401  (the modules add their routes to bp)

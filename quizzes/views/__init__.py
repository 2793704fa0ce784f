"""The quizzes blueprint; its routes live in one module per concern."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from courses.completion import register_requirement
from learning_app.models import Role
from learning_app.signals import demo_seeded
from learning_app.templating import add_home_panel, add_navigation

from ..cli import import_questions_command
from ..completion import final_quizzes_passed
from ..demo import seed_demo_quiz
from ..reminders import register_reminders
from ..services.practice import practice_summary
from .formatting import option_shares, plain_options, response_text, status_label, type_label

bp = Blueprint("quizzes", __name__, url_prefix="/quizzes", template_folder="../templates")


@bp.record_once
def register(state):
    add_navigation(12, "quizzes.list_quizzes", _l("Quizzes"), lambda user: user.is_member, "study")
    add_navigation(13, "quizzes.practice", _l("Daily practice"), lambda user: user.is_member, "study")
    add_navigation(22, "quizzes.list_banks", _l("Question banks"),
                   lambda user: user.has_role(Role.AUTHOR) or user.is_admin, "manage")
    add_navigation(23, "quizzes.question_review_queue", _l("Question review"),
                   lambda user: user.has_role(Role.REVIEWER), "manage")
    register_requirement(final_quizzes_passed)
    add_home_panel(20, "quizzes/panels/home.html", practice_summary, lambda user: user.is_member)
    state.app.jinja_env.globals.update(response_text=response_text, plain_options=plain_options,
                                       option_shares=option_shares, type_label=type_label,
                                       status_label=status_label)
    state.app.cli.add_command(import_questions_command)
    demo_seeded.connect(seed_demo_quiz)
    register_reminders()


from . import authoring, practice, review, taking  # noqa: E402,F401  (the modules add their routes to bp)

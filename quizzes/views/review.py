"""Reviewers approve questions before members see them, one by one or a whole page at once."""
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from learning_app.extensions import db
from learning_app.models import Role
from learning_app.transactions import write_and_redirect

from .. import queries
from ..permissions import get_question_for_review
from ..services import banks
from . import bp


def _reviewer_required():
    if not current_user.has_role(Role.REVIEWER):
        abort(403)


@bp.route("/review")
@login_required
def question_review_queue():
    _reviewer_required()
    pagination = db.paginate(queries.questions_awaiting_review(current_user), per_page=50, error_out=False)
    return render_template("quizzes/review/queue.html", pagination=pagination)


@bp.route("/review/<int:question_id>/<any(approve, reject):decision>", methods=["POST"])
@login_required
def decide_question(question_id, decision):
    _reviewer_required()
    question = get_question_for_review(question_id, current_user)
    if decision == "approve":
        return write_and_redirect(lambda: banks.approve_question(current_user, question), _("Approved."),
                                  url_for("quizzes.question_review_queue"))
    return write_and_redirect(lambda: banks.reject_question(current_user, question, request.form.get("comment", "")),
                              _("Sent back to the author."), url_for("quizzes.question_review_queue"))


@bp.route("/review/approve", methods=["POST"])
@login_required
def approve_questions():
    """Approve the ticked questions together (an imported bank can hold hundreds)."""
    _reviewer_required()

    def approve_ticked():
        question_ids = request.form.getlist("question_id", type=int)
        for question_id in question_ids:
            banks.approve_question(current_user, get_question_for_review(question_id, current_user))
        return len(question_ids)
    return write_and_redirect(approve_ticked, lambda approved: ngettext(
        "%(num)s question approved.", "%(num)s questions approved.", approved),
        url_for("quizzes.question_review_queue"))

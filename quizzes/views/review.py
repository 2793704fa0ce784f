"""Reviewers approve questions before members see them, one by one or a whole page at once."""
from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from learning_app.extensions import db
from learning_app.permissions import reviewer_required
from learning_app.transactions import write_and_redirect

from .. import queries
from ..permissions import get_question_or_404
from ..services import banks
from . import bp


@bp.route("/review")
@reviewer_required
def question_review_queue():
    pagination = db.paginate(queries.questions_awaiting_review(current_user), per_page=50, error_out=False)
    return render_template("quizzes/review/queue.html", pagination=pagination)


@bp.route("/review/<int:question_id>/<any(approve, reject):decision>", methods=["POST"])
@reviewer_required
def decide_question(question_id, decision):
    question = get_question_or_404(question_id, current_user, need="review")
    if decision == "approve":
        return write_and_redirect(lambda: banks.approve_question(current_user, question), _("Approved."),
                                  url_for("quizzes.question_review_queue"))
    return write_and_redirect(lambda: banks.reject_question(current_user, question, request.form.get("comment", "")),
                              _("Sent back to the author."), url_for("quizzes.question_review_queue"))


@bp.route("/review/approve", methods=["POST"])
@reviewer_required
def approve_questions():
    """Approve the ticked questions together (an imported bank can hold hundreds)."""

    def approve_ticked():
        question_ids = request.form.getlist("question_id", type=int)
        for question_id in question_ids:
            banks.approve_question(current_user, get_question_or_404(question_id, current_user, need="review"))
        return len(question_ids)
    return write_and_redirect(approve_ticked, lambda approved: ngettext(
        "%(num)s question approved.", "%(num)s questions approved.", approved),
        url_for("quizzes.question_review_queue"))

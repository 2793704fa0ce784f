"""Reviewers approve questions before members see them, one by one or a whole page at once."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from learning_app.extensions import db
from learning_app.models import Role

from .. import queries
from ..permissions import get_question_for_review
from ..services import banks
from ..services.banks import QuestionRuleError
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
    try:
        if decision == "approve":
            banks.approve_question(current_user, question)
        else:
            banks.reject_question(current_user, question, request.form.get("comment", ""))
    except QuestionRuleError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Approved.") if decision == "approve" else _("Sent back to the author."), "success")
    return redirect(url_for("quizzes.question_review_queue"))


@bp.route("/review/approve", methods=["POST"])
@login_required
def approve_questions():
    """Approve the ticked questions together (an imported bank can hold hundreds)."""
    _reviewer_required()
    approved = 0
    try:
        for question_id in request.form.getlist("question_id", type=int):
            banks.approve_question(current_user, get_question_for_review(question_id, current_user))
            approved += 1
    except QuestionRuleError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(ngettext("%(num)s question approved.", "%(num)s questions approved.", approved), "success")
    return redirect(url_for("quizzes.question_review_queue"))

"""Reviewers approve courses or send them back with comments (先审后发)."""
from flask import abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learning_app.permissions import reviewer_required
from learning_app.transactions import write_and_redirect

from .. import queries
from ..forms import ReviewForm
from ..permissions import get_course_or_404
from ..services import review
from . import bp
from .rendering import lesson_html


@bp.route("/review")
@reviewer_required
def review_queue():
    return render_template("courses/review/queue.html", courses=queries.review_queue(current_user))


@bp.route("/review/<int:course_id>")
@login_required
def review_course(course_id):
    course = get_course_or_404(course_id, current_user, need="review")
    revision = queries.load_revision(course.latest.id)
    file_ids = {f.id for f in queries.files_of_course(course.id)}  # once, not once per lesson
    return render_template("courses/review/course.html", course=course, revision=revision,
                           form=ReviewForm(), history=queries.course_history(course),
                           article_html={lesson.key: lesson_html(course, revision, lesson, file_ids)
                                         for lesson in revision.lessons},
                           can_decide=course.can_review(current_user))


@bp.route("/review/<int:course_id>/<any(approve, reject):decision>", methods=["POST"])
@login_required
def decide_course(course_id, decision):
    course = get_course_or_404(course_id, current_user, need="review")
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    decide, message = ((review.approve, _("Published: members can now see the course.")) if decision == "approve"
                       else (review.return_to_author, _("Sent back to the author with your comments.")))
    return write_and_redirect(lambda: decide(course, current_user, form.comment.data or ""), message,
                              url_for("courses.review_queue"),
                              refused_target=url_for("courses.review_course", course_id=course.id))

"""每日一练: five questions a day, voluntary; points and streak are the member's own."""
from flask import redirect, render_template, request, url_for
from flask_login import current_user

from learning_app.permissions import member_required
from learning_app.transactions import committing

from ..models import QuestionType
from ..services import practice as practice_services
from . import bp


def _responses(questions, form):
    responses = {}
    for question in questions:
        name = f"p{question.id}"
        if question.type == QuestionType.MULTIPLE:
            responses[str(question.id)] = form.getlist(name)
        else:
            responses[str(question.id)] = form.get(name) or None
    return responses


@bp.route("/practice", methods=["GET", "POST"])
@member_required
def practice():
    with committing():  # the day's questions are drawn on the first visit
        day = practice_services.todays_practice(current_user)
        questions = practice_services.questions_of(day) if day else []
        if request.method == "POST" and day is not None:
            practice_services.answer_practice(current_user, day, _responses(questions, request.form))
    if request.method == "POST" and day is not None:
        return redirect(url_for("quizzes.practice"))
    return render_template("quizzes/practice.html", day=day, questions=questions, types=QuestionType,
                           streak=practice_services.streak(current_user),
                           points=practice_services.total_points(current_user))

"""Members take quizzes: start or resume, autosave every answer, submit once, see the allowed review."""
from flask import jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learning_app.fast_paths import checks_user_in_statement, ensure_transaction, signed_in_user
from learning_app.models import utcnow
from learning_app.permissions import member_required
from learning_app.timezones import as_utc
from learning_app.transactions import committing, run_write, write_and_redirect

from .. import queries
from ..models import QuestionType
from ..permissions import get_attempt_or_404, get_own_attempt_answer, get_quiz_or_404
from ..services import attempts as attempt_services
from . import bp


@bp.route("/")
@member_required
def list_quizzes():
    return render_template("quizzes/taking/list.html", quizzes=queries.quizzes_for_member(current_user))


@bp.route("/<int:quiz_id>")
@login_required
def view_quiz(quiz_id):
    quiz = get_quiz_or_404(quiz_id, current_user, need="take")
    current = attempt_services.open_attempt(current_user, quiz)
    if current is not None and attempt_services.has_ended(current):
        with committing():
            attempt_services.finish_if_expired(current)
    return render_template("quizzes/taking/quiz.html", quiz=quiz,
                           attempts=queries.member_attempts(current_user, quiz),
                           result=attempt_services.result_for(current_user, quiz))


@bp.route("/<int:quiz_id>/start", methods=["POST"])
@login_required
def start_attempt(quiz_id):
    quiz = get_quiz_or_404(quiz_id, current_user, need="take")
    # The id is read before the commit expires the attempt.
    return write_and_redirect(lambda: attempt_services.start_or_resume(current_user, quiz).id, None,
                              lambda attempt_id: url_for("quizzes.take_attempt", attempt_id=attempt_id),
                              refused_target=url_for("quizzes.view_quiz", quiz_id=quiz.id))


def _display_options(answer):
    """The options in the attempt's order, relabelled A, B, C for display; values stay the stored keys."""
    by_key = {option["key"]: option["text"] for option in answer.question.options}
    return [(chr(ord("A") + index), key, by_key.get(key, "")) for index, key in enumerate(answer.option_order)]


@bp.route("/attempts/<int:attempt_id>")
@login_required
def take_attempt(attempt_id):
    attempt = get_attempt_or_404(attempt_id, current_user)
    if attempt_services.has_ended(attempt):
        with committing():
            attempt_services.finish_if_expired(attempt)
        return redirect(url_for("quizzes.attempt_result", attempt_id=attempt_id))
    deadline = as_utc(attempt.deadline_at)
    seconds_left = max(0, int((deadline - utcnow()).total_seconds())) if deadline else None
    return render_template("quizzes/taking/attempt.html", attempt=attempt, quiz=attempt.quiz,
                           options={a.position: _display_options(a) for a in attempt.answers},
                           types=QuestionType, seconds_left=seconds_left)


def _response_from_form(answer, form):
    name = f"q{answer.position}"
    kind = answer.question.type
    if kind == QuestionType.MULTIPLE:
        return form.getlist(name)
    value = form.get(name)
    if value in (None, ""):
        return None
    return value


@bp.route("/attempts/<int:attempt_id>/answers/<int:position>", methods=["POST"])
@login_required
@checks_user_in_statement  # see learning_app.fast_paths
def autosave_answer(attempt_id, position):
    """Autosave one answer (JSON {"response": ...}); idempotent, refused after the deadline."""
    payload = request.get_json(silent=True)
    well_formed = isinstance(payload, dict) and "response" in payload
    with committing():
        saved_at = well_formed and attempt_services.save_known_answer(current_user, attempt_id, position,
                                                                       payload["response"])
    if saved_at:
        return jsonify({"saved": True, "position": position, "saved_at": saved_at.isoformat()})
    # The full way, which also says what is wrong: not signed in (login page), not the member's (404),
    # malformed (400), closed (409).
    ensure_transaction()
    member = signed_in_user()
    slot = get_own_attempt_answer(attempt_id, position, member)
    if not well_formed:
        return jsonify({"error": _("The answer is malformed.")}), 400
    # A refusal keeps what was written (AttemptError.keeps_changes): an expired attempt was just graded.
    outcome = run_write(lambda: attempt_services.save_locked_answer(member, slot, payload["response"]), quiet=True)
    if outcome.refused:
        return jsonify({"error": str(outcome.refusal), "closed": outcome.refusal.closed}), 409
    _stored, saved_at = outcome.result
    return jsonify({"saved": True, "position": position, "saved_at": saved_at.isoformat()})


@bp.route("/attempts/<int:attempt_id>/save", methods=["POST"])
@login_required
def save_all(attempt_id):
    """The form without JavaScript: save every answer, then submit if asked."""
    attempt = get_attempt_or_404(attempt_id, current_user)
    submitting = request.form.get("action") == "submit"

    def save_every_answer():
        for answer in attempt.answers:
            response = _response_from_form(answer, request.form)
            if response is not None or answer.response is not None:
                attempt_services.save_answer(current_user, attempt, answer.position, response)
        if submitting:
            attempt_services.submit(current_user, attempt)
    # A refusal keeps the answers saved before it (AttemptError.keeps_changes).
    outcome = run_write(save_every_answer, None if submitting else _("Your answers are saved."))
    if not outcome.refused and not submitting:
        return redirect(url_for("quizzes.take_attempt", attempt_id=attempt.id))
    return redirect(url_for("quizzes.attempt_result", attempt_id=attempt.id)
                    if attempt.open_slot != 1 else url_for("quizzes.take_attempt", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit_attempt(attempt_id):
    attempt = get_attempt_or_404(attempt_id, current_user)

    def summary():
        return {"status": attempt.status.value, "score": attempt.score, "passed": attempt.passed,
                "result_url": url_for("quizzes.attempt_result", attempt_id=attempt.id)}

    def submit_and_summarise():
        attempt_services.submit(current_user, attempt)
        return summary()  # read before the commit expires the attempt, which would cost another query
    outcome = run_write(submit_and_summarise)
    result = summary() if outcome.refused else outcome.result
    if request.is_json:
        return jsonify(result)
    return redirect(result["result_url"])


@bp.route("/attempts/<int:attempt_id>/result")
@login_required
def attempt_result(attempt_id):
    attempt = get_attempt_or_404(attempt_id, current_user)
    if attempt_services.has_ended(attempt):
        with committing():
            attempt_services.finish_if_expired(attempt)
    if attempt.open_slot == 1:
        return redirect(url_for("quizzes.take_attempt", attempt_id=attempt.id))
    return render_template("quizzes/taking/result.html", attempt=attempt, quiz=attempt.quiz,
                           review=attempt_services.may_see_review(attempt),
                           options={a.position: _display_options(a) for a in attempt.answers}, types=QuestionType)

"""Authors keep question banks (written or imported) and set up quizzes; they see statistics and grade."""
import os
import secrets
import shutil
from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from courses.models import Course, encode_set
from learning_app.extensions import db
from learning_app.models import utcnow
from learning_app.orgs.queries import path_labels, whole_tree
from learning_app.permissions import author_required
from learning_app.timezones import local_to_utc, utc_to_local
from learning_app.transactions import committing, run_write, write_and_redirect

from .. import queries
from ..forms import BankForm, DrawForm, FixedItemForm, GradeForm, ImportForm, QuestionForm, QuizForm
from ..importers import parse_questions
from ..importers.table import template_csv, template_workbook
from ..models import Attempt, AttemptAnswer, Question, QuestionStatus, QuestionType
from ..permissions import get_bank_or_404, get_quiz_or_404
from ..services import attempts as attempt_services
from ..services import banks, quizzes
from . import bp

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/banks", methods=["GET", "POST"])
@author_required
def list_banks():
    form = BankForm()
    if form.validate_on_submit():
        return write_and_redirect(lambda: banks.create_bank(current_user, form.name.data, form.description.data or "",
                                                            encode_set(form.audience_categories.data),
                                                            encode_set(form.audience_positions.data)),
                                  _("Question bank created."),
                                  lambda bank: url_for("quizzes.view_bank", bank_id=bank.id),
                                  refused_target=url_for("quizzes.list_banks"))
    return render_template("quizzes/authoring/banks.html", banks=queries.banks_for(current_user), form=form)


@bp.route("/banks/<int:bank_id>")
@login_required
def view_bank(bank_id):
    bank = get_bank_or_404(bank_id, current_user, need="edit")
    status = request.args.get("status")
    status = status if status in QuestionStatus._value2member_map_ else None
    pagination = db.paginate(queries.bank_questions(bank, status), per_page=50, error_out=False)
    return render_template("quizzes/authoring/bank.html", bank=bank, pagination=pagination,
                           counts=queries.status_counts(bank), import_form=ImportForm(), status=status)


@bp.route("/banks/<int:bank_id>/submit", methods=["POST"])
@login_required
def submit_bank(bank_id):
    bank = get_bank_or_404(bank_id, current_user, need="edit")
    drafts = db.session.scalars(queries.bank_questions(bank, QuestionStatus.DRAFT)).all()
    return write_and_redirect(lambda: banks.submit_questions(current_user, drafts),
                              ngettext("%(num)s question submitted for review.",
                                       "%(num)s questions submitted for review.", len(drafts)),
                              url_for("quizzes.view_bank", bank_id=bank.id))


@bp.route("/import-template.<any(xlsx, csv):kind>")
@author_required
def question_template(kind):
    data, mimetype = (template_workbook(), XLSX_TYPE) if kind == "xlsx" else (template_csv(), "text/csv")
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename=question-template.{kind}"})


def _pending_path(token):
    return Path(current_app.instance_path) / "question-imports" / f"{token}.upload"


def _discard_pending_import():
    pending = session.pop("question_import", None)
    if pending:
        _pending_path(pending["token"]).unlink(missing_ok=True)


@bp.route("/banks/<int:bank_id>/import", methods=["POST"])
@login_required
def preview_import(bank_id):
    """Parse the upload and show what would be imported; nothing is written until confirmed."""
    bank = get_bank_or_404(bank_id, current_user, need="edit")
    form = ImportForm()
    if not form.validate_on_submit():
        flash(_("Choose a file to upload."), "error")
        return redirect(url_for("quizzes.view_bank", bank_id=bank.id))
    name = form.file.data.filename or "questions"
    _discard_pending_import()  # an earlier preview not confirmed: this one replaces it
    token = secrets.token_urlsafe(16)
    path = _pending_path(token)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "wb") as kept:  # kept for the confirmation, copied in chunks: never whole in memory
            shutil.copyfileobj(form.file.data.stream, kept, 1024 * 1024)
        with open(path, "rb") as source:
            # Nothing is written yet: run_write only says a refusal (a bad line) on the preview page.
            outcome = run_write(lambda: parse_questions(source, name), quiet=True)
    except BaseException:
        path.unlink(missing_ok=True)  # nothing will confirm it
        raise
    if outcome.refused:
        path.unlink(missing_ok=True)
        return render_template("quizzes/authoring/import_preview.html", bank=bank, error=str(outcome.refusal),
                               parsed=[], name=name), 400
    parsed = outcome.result
    session["question_import"] = {"token": token, "name": os.path.basename(name)[:200], "bank": bank.id}
    return render_template("quizzes/authoring/import_preview.html", bank=bank, parsed=parsed, error=None,
                           name=name, plain=True)


@bp.route("/banks/<int:bank_id>/import/confirm", methods=["POST"])
@login_required
def confirm_import(bank_id):
    bank = get_bank_or_404(bank_id, current_user, need="edit")
    pending = session.pop("question_import", None)
    if not pending or pending.get("bank") != bank.id or not _pending_path(pending["token"]).exists():
        flash(_("Upload the file again: the preview has expired."), "error")
        return redirect(url_for("quizzes.view_bank", bank_id=bank.id))
    path = _pending_path(pending["token"])

    def import_pending():
        with open(path, "rb") as source:
            parsed = parse_questions(source, pending["name"])
        banks.import_parsed(current_user, bank, parsed, pending["name"])
        return len(parsed)
    try:
        run_write(import_pending, lambda count: ngettext(
            "%(num)s question imported as a draft. Submit it for review when ready.",
            "%(num)s questions imported as drafts. Submit them for review when ready.", count))
    finally:
        path.unlink(missing_ok=True)
    return redirect(url_for("quizzes.view_bank", bank_id=bank.id))


def _keep_weights(question, parsed, partial: bool) -> None:
    """The editor has no field for options' own weights (GIFT's %n%, Moodle's single choice with partial
    credit): an edit that keeps the options, the answer and partial credit keeps the weights too."""
    unchanged = (parsed.type == question.type.value and parsed.answer == question.answer
                 and [option["text"] for option in parsed.options] == [option["text"] for option in question.options])
    if unchanged and question.partial_credit and (partial or parsed.type == "single"):
        parsed.options, parsed.partial_credit = [dict(option) for option in question.options], True


def _form_from_question(question):
    form = QuestionForm(obj=question)
    if request.method == "GET":
        form.type.data = QuestionType.ZH[question.type.value]
        for option in question.options:
            field = getattr(form, f"option_{option['key'].lower()}", None)
            if field is not None:
                field.data = option["text"]
        answer = question.answer
        form.answer.data = ("".join(answer) if question.type == QuestionType.MULTIPLE else
                            ("对" if answer else "错") if question.type == QuestionType.TRUE_FALSE else
                            "|".join(answer) if isinstance(answer, list) else str(answer or ""))
        form.tags.data = ", ".join(question.tag_names)
        form.partial.data = question.partial_credit
    return form


@bp.route("/banks/<int:bank_id>/questions/new", methods=["GET", "POST"])
@bp.route("/banks/<int:bank_id>/questions/<int:question_id>", methods=["GET", "POST"])
@login_required
def edit_question(bank_id, question_id=None):
    bank = get_bank_or_404(bank_id, current_user, need="edit")
    question = None
    if question_id is not None:
        question = db.session.get(Question, question_id)
        if question is None or question.bank_id != bank.id:
            abort(404)
    form = _form_from_question(question) if question else QuestionForm()
    if form.validate_on_submit():  # which also reads the question as an import would (form.parsed)
        parsed = form.parsed
        if question is not None:
            _keep_weights(question, parsed, form.partial.data)
        action = (lambda: banks.edit_question(current_user, question, parsed)) if question else \
            (lambda: banks.add_question(current_user, bank, parsed))
        return write_and_redirect(action, _("Saved as a draft."), url_for("quizzes.view_bank", bank_id=bank.id))
    return render_template("quizzes/authoring/question.html", bank=bank, question=question, form=form)


# Quizzes ---------------------------------------------------------------------------------------

def _quiz_choices(form):
    courses = db.session.scalars(db.select(Course).where(Course.published_revision_id.is_not(None))
                                 .order_by(Course.id.desc())).all()
    courses = [course for course in courses if course.can_edit(current_user)]  # admins: every course
    form.course_id.choices = [(0, "—")] + [(c.id, c.published.title) for c in courses]
    nodes = whole_tree()
    labels = path_labels(nodes)
    form.org_id.choices = [(0, _("Every member"))] + [(n.id, labels[n.id]) for n in nodes if n.is_active]


def _quiz_settings(form) -> dict:
    return {"title": form.title.data.strip(), "description": form.description.data or "",
            "course_id": form.course_id.data or None, "org_id": form.org_id.data or None,
            "time_limit_minutes": form.time_limit_minutes.data, "opens_at": local_to_utc(form.opens_at.data),
            "closes_at": local_to_utc(form.closes_at.data), "max_attempts": form.max_attempts.data,
            "pass_percent": float(form.pass_percent.data), "grading_method": form.grading_method.data,
            "review_policy": form.review_policy.data, "shuffle_questions": form.shuffle_questions.data,
            "shuffle_options": form.shuffle_options.data}


@bp.route("/manage")
@author_required
def list_owned_quizzes():
    return render_template("quizzes/authoring/quizzes.html", quizzes=queries.quizzes_owned(current_user))


@bp.route("/manage/new", methods=["GET", "POST"])
@bp.route("/manage/<int:quiz_id>", methods=["GET", "POST"])
@author_required
def edit_quiz(quiz_id=None):
    quiz = get_quiz_or_404(quiz_id, current_user, need="edit") if quiz_id else None
    form = QuizForm(obj=quiz)
    _quiz_choices(form)
    if request.method == "GET" and quiz:
        form.course_id.data, form.org_id.data = quiz.course_id or 0, quiz.org_id or 0
        form.grading_method.data, form.review_policy.data = quiz.grading_method.value, quiz.review_policy.value
        form.opens_at.data, form.closes_at.data = utc_to_local(quiz.opens_at), utc_to_local(quiz.closes_at)
    if form.validate_on_submit():
        settings = _quiz_settings(form)

        def save():
            if quiz is None:
                return quizzes.create_quiz(current_user, **settings).id
            quizzes.update_quiz(current_user, quiz, **settings)
            return quiz.id
        outcome = run_write(save, _("Saved."))
        if not outcome.refused:
            return redirect(url_for("quizzes.edit_quiz", quiz_id=outcome.result))
    draw_form = DrawForm(prefix="draw")
    draw_form.bank_id.choices = [(b.id, b.name) for b in queries.banks_for(current_user)]
    return render_template("quizzes/authoring/quiz.html", quiz=quiz, form=form, draw_form=draw_form,
                           fixed_form=FixedItemForm(prefix="fixed"),
                           problems=quizzes.problems_before_publishing(quiz) if quiz else [])


@bp.route("/manage/<int:quiz_id>/items", methods=["POST"])
@login_required
def add_quiz_item(quiz_id):
    quiz = get_quiz_or_404(quiz_id, current_user, need="edit")
    target = url_for("quizzes.edit_quiz", quiz_id=quiz.id)
    fixed, draw = FixedItemForm(prefix="fixed"), DrawForm(prefix="draw")
    draw.bank_id.choices = [(b.id, b.name) for b in queries.banks_for(current_user)]
    if request.form.get("kind") == "fixed" and fixed.validate_on_submit():
        question = db.session.get(Question, fixed.question_id.data)
        if question is None or not question.bank.can_edit(current_user):
            flash(_("There is no such question in your banks."), "error")
            return redirect(target)
        return write_and_redirect(lambda: quizzes.add_fixed_question(current_user, quiz, question),
                                  _("Question added."), target)
    if request.form.get("kind") == "draw" and draw.validate_on_submit():
        bank = get_bank_or_404(draw.bank_id.data, current_user, need="edit")
        return write_and_redirect(lambda: quizzes.add_random_draw(current_user, quiz, bank, draw.tag.data,
                                                                  draw.draw_count.data),
                                  _("Random draw added."), target)
    flash(_("Please fill in the form correctly."), "error")
    return redirect(target)


@bp.route("/manage/<int:quiz_id>/items/<int:item_id>/delete", methods=["POST"])
@login_required
def remove_quiz_item(quiz_id, item_id):
    quiz = get_quiz_or_404(quiz_id, current_user, need="edit")
    return write_and_redirect(lambda: quizzes.remove_item(current_user, quiz, item_id), _("Removed."),
                              url_for("quizzes.edit_quiz", quiz_id=quiz.id))


@bp.route("/manage/<int:quiz_id>/<any(publish, unpublish):action>", methods=["POST"])
@login_required
def publish_quiz(quiz_id, action):
    quiz = get_quiz_or_404(quiz_id, current_user, need="edit")
    return write_and_redirect(lambda: quizzes.set_published(current_user, quiz, action == "publish"),
                              _("Published.") if action == "publish" else _("Withdrawn."),
                              url_for("quizzes.edit_quiz", quiz_id=quiz.id))


@bp.route("/manage/<int:quiz_id>/results")
@login_required
def quiz_results(quiz_id):
    quiz = get_quiz_or_404(quiz_id, current_user, need="grade")
    with committing():
        for attempt in queries.open_expired_attempts(quiz, utcnow()):
            attempt_services.finish_if_expired(attempt)
    return render_template("quizzes/authoring/results.html", quiz=quiz, stats=queries.question_statistics(quiz),
                           counts=queries.attempt_status_counts(quiz), queue=queries.grading_queue(quiz),
                           grade_form=GradeForm())


@bp.route("/manage/<int:quiz_id>/grade/<int:answer_id>", methods=["POST"])
@login_required
def grade_answer(quiz_id, answer_id):
    quiz = get_quiz_or_404(quiz_id, current_user, need="grade")
    answer = db.session.get(AttemptAnswer, answer_id)
    attempt = db.session.get(Attempt, answer.attempt_id) if answer else None
    if attempt is None or attempt.quiz_id != quiz.id:
        abort(404)
    form = GradeForm()
    target = url_for("quizzes.quiz_results", quiz_id=quiz.id)
    if not form.validate_on_submit():
        flash(_("Enter the points."), "error")
        return redirect(target)
    return write_and_redirect(lambda: attempt_services.grade_by_hand(current_user, answer, float(form.points.data),
                                                                     form.feedback.data or ""),
                              _("Graded."), target)

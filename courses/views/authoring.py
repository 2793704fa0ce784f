"""Authors write courses: metadata, chapters, lessons, files; then submit them for review."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learning_app.extensions import csrf
from learning_app.permissions import author_required
from learning_app.transactions import write_and_redirect

from .. import queries
from ..forms import ChapterForm, CourseForm, LessonEditForm, LessonForm, UploadForm
from ..models import FileKind, LessonKind, decode_set, encode_set
from ..permissions import get_course_or_404
from ..services import authoring, review
from ..services.authoring import LESSON_FILE_KINDS
from ..uploads import discarded_if_refused, limit_for, save_upload
from . import bp


def _course_fields(form: CourseForm) -> dict:
    return {
        "summary": (form.summary.data or "").strip(),
        "tags": [t.strip() for t in (form.tags.data or "").replace("，", ",").split(",") if t.strip()][:10],
        "hours": form.hours.data,
        "audience_categories": encode_set(form.audience_categories.data),
        "audience_positions": encode_set(form.audience_positions.data),
        "media_completion_ratio": form.media_completion_ratio.data / 100,
        "reading_seconds": form.reading_seconds.data,
    }


@bp.route("/authoring")
@author_required
def my_courses():
    return render_template("courses/authoring/list.html", courses=queries.authored_courses(current_user))


@bp.route("/authoring/new", methods=["GET", "POST"])
@author_required
def create_course():
    form = CourseForm()
    if form.validate_on_submit():
        fields = _course_fields(form)
        return write_and_redirect(lambda: authoring.create_course(current_user, form.title.data, **fields),
                                  _("Course created. Add chapters and lessons, then submit it for review."),
                                  lambda course: url_for("courses.edit_course", course_id=course.id),
                                  refused_target=url_for("courses.create_course"))
    return render_template("courses/authoring/new.html", form=form)


def _course_form_for(revision):
    form = CourseForm(obj=revision)
    if request.method == "GET":
        form.tags.data = ", ".join(revision.tags or [])
        form.audience_categories.data = decode_set(revision.audience_categories)
        form.audience_positions.data = decode_set(revision.audience_positions)
        form.media_completion_ratio.data = round(revision.media_completion_ratio * 100)
    return form


@bp.route("/authoring/<int:course_id>", methods=["GET", "POST"])
@login_required
def edit_course(course_id):
    course = get_course_or_404(course_id, current_user, need="edit")
    revision = queries.load_revision(course.latest.id)
    form = _course_form_for(revision)
    if form.validate_on_submit():
        return write_and_redirect(lambda: authoring.update_course(course, current_user, title=form.title.data,
                                                                   **_course_fields(form)),
                                  _("Saved."), _course_page(course))
    return render_template(
        "courses/authoring/edit.html", course=course, revision=revision, form=form,
        chapter_form=ChapterForm(prefix="chapter"), lesson_form=LessonForm(prefix="lesson"),
        upload_form=UploadForm(prefix="cover"), files=queries.files_of_course(course.id),
        problems=review.problems_before_submission(revision), history=queries.course_history(course))


def _course_page(course) -> str:
    """Where an author's change of the course comes back to."""
    return url_for("courses.edit_course", course_id=course.id)


@bp.route("/authoring/<int:course_id>/chapters", methods=["POST"])
@login_required
def add_chapter(course_id):
    course = get_course_or_404(course_id, current_user, need="edit")
    form = ChapterForm(prefix="chapter")
    if not form.validate_on_submit():
        flash(_("Enter a chapter title of at most 200 characters."), "error")
        return redirect(url_for("courses.edit_course", course_id=course.id))
    return write_and_redirect(lambda: authoring.add_chapter(course, current_user, form.title.data),
                              _("Chapter added."), _course_page(course))


@bp.route("/authoring/<int:course_id>/chapters/<int:position>/<any(up, down, delete):action>", methods=["POST"])
@login_required
def change_chapter(course_id, position, action):
    course = get_course_or_404(course_id, current_user, need="edit")
    if action == "delete":
        return write_and_redirect(lambda: authoring.delete_chapter(course, current_user, position),
                                  _("Chapter deleted."), _course_page(course))
    offset = -1 if action == "up" else 1
    return write_and_redirect(lambda: authoring.move_chapter(course, current_user, position, offset), _("Moved."),
                              _course_page(course))


@bp.route("/authoring/<int:course_id>/chapters/<int:position>/lessons", methods=["POST"])
@login_required
def add_lesson(course_id, position):
    course = get_course_or_404(course_id, current_user, need="edit")
    form = LessonForm(prefix="lesson")
    if not form.validate_on_submit():
        flash(_("Enter a lesson title and choose its kind."), "error")
        return redirect(url_for("courses.edit_course", course_id=course.id))
    return write_and_redirect(
        lambda: authoring.add_lesson(course, current_user, position, form.title.data, LessonKind(form.kind.data)),
        _("Lesson added."), lambda lesson: url_for("courses.edit_lesson", course_id=course.id, lesson_key=lesson.key),
        refused_target=_course_page(course))


@bp.route("/authoring/<int:course_id>/lessons/<lesson_key>/<any(up, down, delete):action>", methods=["POST"])
@login_required
def change_lesson(course_id, lesson_key, action):
    course = get_course_or_404(course_id, current_user, need="edit")
    if action == "delete":
        return write_and_redirect(lambda: authoring.delete_lesson(course, current_user, lesson_key),
                                  _("Lesson deleted."), _course_page(course))
    offset = -1 if action == "up" else 1
    return write_and_redirect(lambda: authoring.move_lesson(course, current_user, lesson_key, offset), _("Moved."),
                              _course_page(course))


def _find_lesson(revision, lesson_key):
    for lesson in revision.lessons:
        if lesson.key == lesson_key:
            return lesson
    abort(404)


@bp.route("/authoring/<int:course_id>/lessons/<lesson_key>", methods=["GET", "POST"])
@login_required
def edit_lesson(course_id, lesson_key):
    course = get_course_or_404(course_id, current_user, need="edit")
    revision = queries.load_revision(course.latest.id)
    lesson = _find_lesson(revision, lesson_key)
    form = LessonEditForm(obj=lesson)
    if form.validate_on_submit():
        return write_and_redirect(lambda: authoring.update_lesson(
            course, current_user, lesson_key, title=form.title.data.strip(), body=form.body.data or "",
            required=form.required.data, duration_seconds=form.duration_seconds.data),
            _("Saved."), url_for("courses.edit_lesson", course_id=course.id, lesson_key=lesson_key))
    files = queries.files_of_course(course.id)
    return render_template("courses/authoring/lesson.html", course=course, revision=revision, lesson=lesson,
                           form=form, upload_form=UploadForm(prefix="upload"), files=files,
                           images=[f for f in files if f.kind == FileKind.IMAGE],
                           accepted=LESSON_FILE_KINDS[lesson.kind])


def _allow_large_body():
    # Material can be far larger than the site-wide request limit; the kind's own limit is checked while saving.
    request.max_content_length = max(limit_for(kind) for kind in FileKind) + 1024 * 1024
    # The upload views are exempt from the app-wide CSRF hook: it runs before the view and would read the
    # body under the site-wide limit (413 for any large video). The token is checked here instead.
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()


def _store_upload(course, form, allowed, use):
    """Save the upload (or UploadRefused), record it, then `use(stored)`; a refused use removes the file
    from disk again (its row is rolled back). Returns the stored file."""
    upload = form.file.data
    saved = save_upload(upload.stream, upload.filename or "", allowed)
    stored = authoring.record_file(course, current_user, saved, upload.filename or "")
    with discarded_if_refused(stored.storage_name):
        use(stored)
    return stored


def _uploaded(stored):
    return _("“%(name)s” uploaded.", name=stored.original_name)


@bp.route("/authoring/<int:course_id>/lessons/<lesson_key>/files", methods=["POST"])
@login_required
@csrf.exempt
def upload_lesson_file(course_id, lesson_key):
    course = get_course_or_404(course_id, current_user, need="edit")
    _allow_large_body()
    lesson = _find_lesson(queries.load_revision(course.latest.id), lesson_key)
    target = url_for("courses.edit_lesson", course_id=course.id, lesson_key=lesson_key)
    form = UploadForm(prefix="upload")
    if not form.validate_on_submit():
        flash(_("Choose a file to upload."), "error")
        return redirect(target)
    return write_and_redirect(lambda: _store_upload(
        course, form, LESSON_FILE_KINDS[lesson.kind],
        lambda stored: authoring.attach_file(course, current_user, lesson_key, stored, form.caption.data or "")),
        _uploaded, target)


@bp.route("/authoring/<int:course_id>/cover", methods=["POST"])
@login_required
@csrf.exempt
def upload_cover(course_id):
    course = get_course_or_404(course_id, current_user, need="edit")
    _allow_large_body()
    form = UploadForm(prefix="cover")
    if not form.validate_on_submit():
        flash(_("Choose a file to upload."), "error")
        return redirect(url_for("courses.edit_course", course_id=course.id))
    return write_and_redirect(lambda: _store_upload(course, form, {FileKind.IMAGE},
                                                    lambda stored: authoring.set_cover(course, current_user, stored)),
                              _("Cover uploaded."), _course_page(course))


@bp.route("/authoring/<int:course_id>/<any(submit, withdraw):action>", methods=["POST"])
@login_required
def submit_course(course_id, action):
    course = get_course_or_404(course_id, current_user, need="edit")
    if action == "submit":
        return write_and_redirect(lambda: review.submit_for_review(course, current_user),
                                  _("Submitted for review. A reviewer will approve it or send it back with comments."),
                                  _course_page(course))
    return write_and_redirect(lambda: review.withdraw_from_review(course, current_user),
                              _("Withdrawn from review; you can edit it again."), _course_page(course))

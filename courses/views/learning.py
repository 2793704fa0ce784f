"""Members learn: my learning, the catalog, a course, its lessons, progress reports, the ledger."""
from math import ceil
from types import SimpleNamespace

from flask import abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from learning_app.extensions import db
from learning_app.fast_paths import serves_kept_page
from learning_app.i18n import gettext as _
from learning_app.i18n import ngettext, request_translations
from learning_app.orgs.queries import path_labels, whole_tree
from learning_app.permissions import member_required, people_manager_required
from learning_app.templating import format_hours
from learning_app.timezones import local_today
from learning_app.transactions import committing, run_write, write_and_redirect

from .. import page_cache, queries, rendered_lessons
from ..forms import AssignForm
from ..models import EnrolmentSource, LessonKind
from ..permissions import can_learn, get_assignment_or_404, get_course_or_404
from ..services import assignment as assignment_services
from ..services import learning
from . import bp


def _course_cards(items):
    """The cards' links and labels, made here rather than in the template: there each is a call back
    into Python per card, and those calls cost more than the rest of the page."""
    due_label, overdue_label = _("Due %(date)s"), _("Overdue since %(date)s")
    cards = []
    for item in items:
        deadline_label = None
        if item["deadline"] and not item["completed"]:
            deadline_label = (overdue_label if item["overdue"] else due_label) % {"date": item["deadline"]}
        # Attributes, not keys: Jinja tries an attribute before a key, and a miss costs an exception.
        cards.append(SimpleNamespace(**item, url=url_for("courses.view_course", course_id=item["course_id"]),
                                     hours_label=ngettext("%(hours)s study hour", "%(hours)s study hours",
                                                          item["hours"], hours=format_hours(item["hours"])),
                                     deadline_label=deadline_label))
    return cards


@bp.route("/my")
@member_required
@serves_kept_page(page_cache.versions_with_member)  # see learning_app.fast_paths
def my_learning():
    member = current_user._get_current_object()  # not the proxy: the queries read the member often
    return page_cache.cached_page(member, lambda: _render_my_learning(member))


def _render_my_learning(member):
    year = local_today().year
    hours, required = queries.hours_in_year(member, year), member.yearly_hours_required
    return render_template("courses/learning/my.html", items=_course_cards(queries.my_learning(member)),
                           hours=hours, year=year, required_hours=required,
                           hours_percent=min(100, round(100 * hours / required)) if required else 100)


@bp.route("/")
@member_required
def catalog():
    search = request.args.get("q", "")[:60]
    pagination = db.paginate(queries.catalog_query(current_user, search), per_page=20, error_out=False)
    return render_template("courses/learning/catalog.html", pagination=pagination, search=search)


def _source(course):
    return learning.enrolment_source(current_user, course)


@bp.route("/<int:course_id>")
@login_required
def view_course(course_id):
    course = get_course_or_404(course_id, current_user, need="learn")
    revision = queries.load_revision(course.published_revision_id)
    enrolment = queries.enrolment_of(current_user, course)
    # An assigned course is the member's already (its first lesson enrols them): no "add to my learning".
    assigned = enrolment is None and _source(course) == EnrolmentSource.ASSIGNED
    return render_template("courses/learning/course.html", course=course, revision=revision,
                           enrolment=enrolment, assigned=assigned,
                           progress=queries.progress_by_key(current_user, course),
                           assignments=queries.course_assignments(course, current_user)
                           if current_user.manages_people else [])


@bp.route("/<int:course_id>/enrol", methods=["POST"])
@login_required
def enrol(course_id):
    course = get_course_or_404(course_id, current_user, need="learn")

    def add_to_my_learning():
        if _source(course) == EnrolmentSource.ASSIGNED:  # assigned, perhaps outside its audience
            learning.ensure_enrolment(current_user, course, EnrolmentSource.ASSIGNED)
        else:
            assignment_services.enrol_elective(current_user, course)
    return write_and_redirect(add_to_my_learning, _("Added to my learning."),
                              url_for("courses.view_course", course_id=course.id))


def _lesson_of(lessons, lesson_key):
    for lesson in lessons:
        if lesson.key == lesson_key:
            return lesson
    abort(404)


@bp.route("/<int:course_id>/lessons/<lesson_key>")
@login_required
def view_lesson(course_id, lesson_key):
    course = get_course_or_404(course_id, current_user, need="learn")
    revision = course.published
    lessons = queries.lessons_in_order(revision.id)
    lesson = _lesson_of(lessons, lesson_key)
    index = lessons.index(lesson)
    with committing():
        progress = learning.open_lesson(current_user, course, lesson)
        # Rendered before the commit, which expires every loaded object: rendering after it would read
        # the member, the course, its lessons and the progress again, one statement each.
        page = render_template(
            "courses/learning/lesson.html", course=course, revision=revision, lesson=lesson, progress=progress,
            body_html=rendered_lessons.lesson_html(course, lesson),
            previous=lessons[index - 1] if index > 0 else None,
            following=lessons[index + 1] if index + 1 < len(lessons) else None,
            heartbeat_seconds=current_app.config.get("HEARTBEAT_SECONDS", 10),
            media=_media_progress(revision, lesson, progress) if lesson.is_media else None)
    return page


# "还需学习 N 分钟": the member sees how much is left to play, as the server counts it (see
# learning.report_media_progress: credited seconds against the completion ratio of the duration).
def _minutes_left_text(minutes: int) -> str:
    """The text with its %(num)d still in it, for the plural form of `minutes`."""
    return request_translations().ungettext("%(num)d minute left to study", "%(num)d minutes left to study",
                                            minutes)


def study_left_label(seconds_left: float, completed: bool) -> str:
    if completed:
        return _("Completed")
    if seconds_left < 60:
        return _("Less than a minute left to study")
    minutes = ceil(seconds_left / 60)
    return _minutes_left_text(minutes) % {"num": minutes}


def _media_progress(revision, lesson, progress):
    needed = revision.media_completion_ratio * float(lesson.duration_seconds or 0)
    credited = float(progress.credited_seconds or 0)
    completed = progress.completed_at is not None
    return SimpleNamespace(
        needed=round(needed, 1), credited=round(min(credited, needed), 1),
        percent=100 if completed or not needed else min(100, int(100 * credited / needed)),
        label=study_left_label(needed - credited, completed),
        # lesson.js updates the figure from each heartbeat: it gets both plural forms (n = 1, other).
        texts={"one": _minutes_left_text(1), "other": _minutes_left_text(2),
               "under": _("Less than a minute left to study"), "done": _("Completed")})


def _progress_payload(course, lesson, progress):
    # A course is complete only when its required lessons are: while this one is not, there is no
    # enrolment to read.
    lesson_done = progress.completed_at is not None
    enrolment = queries.enrolment_of(current_user, course) if lesson_done or not lesson.required else None
    return {"credited_seconds": round(progress.credited_seconds or 0, 1),
            "position_seconds": round(progress.position_seconds or 0, 1),
            "lesson_completed": lesson_done,
            "course_completed": bool(enrolment and enrolment.completed_at)}


@bp.route("/<int:course_id>/lessons/<lesson_key>/progress", methods=["POST"])
@login_required
def report_progress(course_id, lesson_key):
    """The player's heartbeat: {token, played, position}; or {token} when a reading lesson is done."""
    course = get_course_or_404(course_id, current_user, need="learn")
    lesson = queries.published_lesson(course, lesson_key)
    if lesson is None:
        abort(404)
    data = request.get_json(silent=True) or request.form

    def report():
        if lesson.kind in (LessonKind.VIDEO, LessonKind.AUDIO):
            progress = learning.report_media_progress(current_user, course, lesson, data.get("token", ""),
                                                      learning.reported_seconds(data.get("played", 0)),
                                                      learning.reported_seconds(data.get("position", 0)))
        else:
            progress = learning.report_reading(current_user, course, lesson, data.get("token", ""))
        # Read before the commit, which expires what was loaded: after it, each would be read again.
        return _progress_payload(course, lesson, progress) if request.is_json else None
    course_id = course.id
    outcome = run_write(report, None if request.is_json else _("Lesson completed."), quiet=request.is_json)
    if outcome.refused:
        if request.is_json:
            malformed = isinstance(outcome.refusal, learning.MalformedReport)
            return jsonify({"error": str(outcome.refusal)}), 400 if malformed else 409
        return redirect(url_for("courses.view_lesson", course_id=course_id, lesson_key=lesson_key))
    if request.is_json:
        return jsonify(outcome.result)
    return redirect(url_for("courses.view_course", course_id=course_id))


@bp.route("/hours")
@bp.route("/hours/<int:year>")
@member_required
def my_hours(year=None):
    year = year or local_today().year
    return render_template("courses/learning/hours.html", year=year,
                           entries=queries.ledger_entries(current_user, year),
                           total=queries.hours_in_year(current_user, year),
                           years=sorted(set(queries.ledger_years(current_user)) | {local_today().year}, reverse=True),
                           required_hours=current_user.yearly_hours_required,
                           printable=request.args.get("print") == "1")


@bp.route("/<int:course_id>/assign", methods=["GET", "POST"])
@login_required
def assign_course(course_id):
    course = get_course_or_404(course_id, current_user, need="assign")
    nodes = whole_tree(current_user.visible_orgs_condition())
    labels = path_labels(nodes)
    form = AssignForm()
    form.org_id.choices = [(n.id, labels[n.id]) for n in nodes if n.is_active]
    if form.validate_on_submit():
        org = next(n for n in nodes if n.id == form.org_id.data)
        outcome = run_write(lambda: assignment_services.assign_course(
            current_user, course, org, form.categories.data, form.positions.data, form.required.data,
            form.deadline.data), _("Assigned to %(org)s.", org=labels[org.id]))
        if not outcome.refused:
            # The supervisor may not be in the course's audience: then its page would be a 404.
            return redirect(url_for("courses.view_course", course_id=course.id)
                            if can_learn(current_user, course) else url_for("courses.assign_course",
                                                                             course_id=course.id))
    return render_template("courses/learning/assign.html", course=course, form=form,
                           assignments=queries.course_assignments(course, current_user), labels=labels)


@bp.route("/assignable")
@people_manager_required
def assignable_courses():
    """Supervisors find every published course here, whatever audience it is meant for."""
    search = request.args.get("q", "")[:60]
    pagination = db.paginate(queries.published_courses_query(search), per_page=30, error_out=False)
    return render_template("courses/learning/assignable.html", pagination=pagination, search=search)


@bp.route("/assignments/<int:assignment_id>/withdraw", methods=["POST"])
@login_required
def withdraw_assignment(assignment_id):
    assignment = get_assignment_or_404(assignment_id, current_user)
    return write_and_redirect(lambda: assignment_services.withdraw_assignment(current_user, assignment),
                              _("Assignment withdrawn."),
                              url_for("courses.assign_course", course_id=assignment.course_id))

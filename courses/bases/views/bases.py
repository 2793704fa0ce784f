"""Bases and their sessions: registration, scheduling, sign-up, the rotating check-in code, attendance."""
import io

import segno
from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from learning_app.extensions import db
from learning_app.models import Organization, utcnow
from learning_app.orgs.queries import path_labels, whole_tree
from learning_app.templating import format_hours
from learning_app.timezones import local_to_utc, utc_to_local
from learning_app.transactions import write_and_redirect

from ...models import Course, FileKind
from ...uploads import save_upload, storage_path
from .. import checkin, queries, services
from ..forms import BaseForm, CheckInForm, MarkForm, RescheduleForm, SessionForm, WalkInForm
from ..permissions import get_base_or_404, get_photo_or_404, get_session_or_404, member_or_manager_required
from . import bp


def _org_choices():
    nodes = whole_tree(current_user.visible_orgs_condition())
    labels = path_labels(nodes)
    return [(n.id, labels[n.id]) for n in nodes if n.is_active]


@bp.route("/bases/", methods=["GET", "POST"])
@member_or_manager_required
def list_sessions():
    """Members: upcoming sessions open to them. Managers: their bases and the form to register one."""
    form = BaseForm()
    if current_user.manages_people:
        form.org_id.choices = _org_choices()
        if form.validate_on_submit():
            org = db.session.get(Organization, form.org_id.data)
            fields = {name: getattr(form, name).data for name in ("name", "address", "capacity", "contact",
                                                                  "description")}
            return write_and_redirect(lambda: services.register_base(current_user, org, kind=form.kind.data, **fields),
                                  _("Base registered."), url_for("bases.list_sessions"))
    return render_template("bases/list.html", sessions=queries.upcoming_sessions_for(current_user, utcnow()),
                           signed=queries.my_signups(current_user), attended=queries.my_attendance(current_user),
                           bases=queries.bases_managed_by(current_user) if current_user.manages_people else [],
                           form=form)


@bp.route("/bases/<int:base_id>", methods=["GET", "POST"])
@login_required
def view_base(base_id):
    base = get_base_or_404(base_id, current_user, need="manage")
    form = SessionForm()
    form.invited.choices = _org_choices()
    form.course_id.choices = [(0, "—")] + [(c.id, c.published.title) for c in queries.published_courses()]
    if form.validate_on_submit():
        invited = [db.session.get(Organization, org_id) for org_id in form.invited.data]
        course = db.session.get(Course, form.course_id.data) if form.course_id.data else None
        return write_and_redirect(lambda: services.schedule_session(
            current_user, base, form.topic.data, local_to_utc(form.starts_at.data), local_to_utc(form.ends_at.data),
            form.hours.data, form.capacity.data, invited, course, form.accepts_walk_ins.data),
            _("Session scheduled."), url_for("bases.view_base", base_id=base.id))
    return render_template("bases/base.html", base=base, sessions=queries.sessions_of(base), form=form)


@bp.route("/bases/sessions/<int:session_id>")
@login_required
def view_session(session_id):
    return _session_page(get_session_or_404(session_id, current_user, need="attend"))


def _session_page(session, mark_form=None):
    """The session page; `mark_form` shows the staff's marking form again with what they typed."""
    managing = session.base.can_manage(current_user)
    limits = {"per_member": current_app.config["CHECKIN_WRONG_CODES_PER_MEMBER"],
              "per_session": current_app.config["CHECKIN_WRONG_CODES_PER_SESSION"]}
    return render_template("bases/session.html", session=session, managing=managing,
                           signed=session.id in queries.my_signups(current_user),
                           attended=session.id in queries.my_attendance(current_user),
                           attendance=queries.session_attendance(session) if managing else [],
                           signups=queries.session_signups(session) if managing else [],
                           out_of_tries=queries.members_out_of_tries(session, limits["per_member"]) if managing else [],
                           limits=limits, checkin_form=CheckInForm(), mark_form=mark_form or MarkForm(prefix="mark"),
                           walk_in_form=WalkInForm(prefix="walkin", obj=session) if managing else None,
                           reschedule_form=_reschedule_form(session) if managing else None)


def _reschedule_form(session):
    return RescheduleForm(prefix="reschedule", data={"starts_at": utc_to_local(session.starts_at),
                                                     "ends_at": utc_to_local(session.ends_at)})


@bp.route("/bases/sessions/<int:session_id>/sign-up", methods=["POST"])
@login_required
def sign_up(session_id):
    session = get_session_or_404(session_id, current_user, need="attend")
    return write_and_redirect(lambda: services.sign_up(current_user, session), _("You are signed up."),
                              url_for("bases.view_session", session_id=session.id))


@bp.route("/bases/sessions/<int:session_id>/walk-ins", methods=["POST"])
@login_required
def set_walk_ins(session_id):
    session = get_session_or_404(session_id, current_user, need="manage")
    form = WalkInForm(prefix="walkin")  # CSRF is checked for every POST (learning_app.extensions.csrf)
    return write_and_redirect(lambda: services.set_walk_ins(current_user, session, form.accepts_walk_ins.data),
                              _("Saved."), url_for("bases.view_session", session_id=session.id))


@bp.route("/bases/sessions/<int:session_id>/reschedule", methods=["POST"])
@login_required
def reschedule_session(session_id):
    """A new time for the session; the members signed up get a message."""
    session = get_session_or_404(session_id, current_user, need="manage")
    form = _reschedule_form(session)
    back = url_for("bases.view_session", session_id=session.id)
    if not form.validate():
        flash(_("Enter when the session starts and ends."), "error")
        return redirect(back)
    return write_and_redirect(lambda: services.reschedule_session(
        current_user, session, local_to_utc(form.starts_at.data), local_to_utc(form.ends_at.data)),
        _("Saved. The members who signed up are told."), back)


@bp.route("/bases/sessions/<int:session_id>/cancel", methods=["POST"])
@login_required
def cancel_session(session_id):
    session = get_session_or_404(session_id, current_user, need="manage")
    return write_and_redirect(lambda: services.cancel_session(current_user, session),
                              _("The session is cancelled. The members who signed up are told."),
                              url_for("bases.view_session", session_id=session.id))


@bp.route("/bases/sessions/<int:session_id>/code")
@login_required
def show_code(session_id):
    """The staff screen: QR code and short code, refreshed as they rotate."""
    session = get_session_or_404(session_id, current_user, need="manage")
    return render_template("bases/code.html", session=session)


@bp.route("/bases/sessions/<int:session_id>/code.json")
@login_required
def current_code(session_id):
    session = get_session_or_404(session_id, current_user, need="manage")
    code, seconds_left = checkin.current_code(session.id, utcnow())
    link = url_for("bases.check_in", session_id=session.id, code=code, _external=True)
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="svg", scale=6, xmldecl=False)
    response = jsonify({"code": code, "seconds_left": seconds_left, "qr_svg": buffer.getvalue().decode(),
                        "link": link})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/bases/sessions/<int:session_id>/check-in", methods=["GET", "POST"])
@login_required
def check_in(session_id):
    """Opened by scanning the QR (code in the address) or by typing the short code."""
    session = get_session_or_404(session_id, current_user, need="attend")
    form = CheckInForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args.get("code", "")[:6]
    if form.validate_on_submit():
        return write_and_redirect(lambda: services.check_in(current_user, session, form.code.data),
                                  ngettext("Checked in: %(hours)s study hour credited.",
                                           "Checked in: %(hours)s study hours credited.", session.hours,
                                           hours=format_hours(session.hours)),
                                  url_for("bases.view_session", session_id=session.id))
    return render_template("bases/check_in.html", session=session, form=form)


@bp.route("/bases/sessions/<int:session_id>/mark", methods=["POST"])
@login_required
def mark_attendance(session_id):
    session = get_session_or_404(session_id, current_user, need="manage")
    form = MarkForm(prefix="mark")

    def page():
        return _session_page(session, form)
    if not form.validate_on_submit():
        flash(_("Enter the member number and the reason."), "error")
        return page(), 400
    user = queries.user_by_login(form.login_id.data)
    if user is None:
        flash(_("No member has the number %(number)s.", number=form.login_id.data.strip()), "error")
        return page(), 400
    return write_and_redirect(lambda: services.mark_attendance(current_user, session, user, form.reason.data),
                              _("Attendance marked."), url_for("bases.view_session", session_id=session.id),
                              refused_page=page)


@bp.route("/bases/<int:base_id>/photos", methods=["POST"])
@login_required
def upload_photo(base_id):
    base = get_base_or_404(base_id, current_user, need="manage")
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        flash(_("Choose a file to upload."), "error")
        return redirect(url_for("bases.view_base", base_id=base.id))

    def save_and_add():
        saved = save_upload(upload.stream, upload.filename, {FileKind.IMAGE})  # or UploadRefused
        return services.add_base_photo(current_user, base, saved, request.form.get("caption", ""))
    return write_and_redirect(save_and_add, _("Photo uploaded."), url_for("bases.view_base", base_id=base.id))


@bp.route("/bases/photos/<int:photo_id>")
@login_required
def serve_photo(photo_id):
    """A base's photos are for its managers and for members invited to one of its sessions (see permissions)."""
    photo = get_photo_or_404(photo_id, current_user)
    path = storage_path(photo.storage_name)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=photo.mime_type, conditional=True, max_age=3600)
    response.headers["Content-Disposition"] = f"inline; filename=\"base-photo-{photo.id}\""
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Behind a login: browsers may keep it, shared caches (send_file's max_age says "public") may not.
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response

"""Learning sites: the member's home site, site management, notices, collective study."""
import io

import segno
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup

from learning_app.extensions import db
from learning_app.models import utcnow
from learning_app.orgs.queries import path_labels, whole_tree
from learning_app.permissions import member_required, reviewer_required
from learning_app.timezones import local_to_utc
from learning_app.transactions import run_write, write_and_redirect

from ...markdown import render_markdown
from .. import queries, services
from ..forms import CollectiveStudyForm, CorrectionForm, FeatureForm, NoticeForm, SiteForm, StaffForm
from ..permissions import get_notice_or_404, get_site_or_404, get_study_or_404, site_runner_required
from . import bp


def notice_html(notice) -> Markup:
    return Markup(render_markdown(notice.body, lambda file_id: "", set()))


@bp.route("/sites/")
@member_required
def my_site():
    site = services.nearest_site(current_user)
    if site is None:
        return render_template("bases/my_site.html", site=None)
    return render_template("bases/my_site.html", site=site, notices=queries.published_notices(site),
                           sessions=queries.upcoming_sessions_for(current_user, utcnow())[:5],
                           featured=queries.featured_courses(site),
                           notice_html=notice_html)


@bp.route("/sites/my-code")
@login_required
def my_code():
    """The member's personal code: staff scan it to record attendance at collective study."""
    buffer = io.BytesIO()
    segno.make(current_user.login_id, error="m").save(buffer, kind="svg", scale=8, xmldecl=False)
    return render_template("bases/my_code.html", qr=Markup(buffer.getvalue().decode()))


@bp.route("/sites/manage", methods=["GET", "POST"])
@site_runner_required
def manage_sites():
    form = SiteForm()
    nodes = whole_tree(current_user.visible_orgs_condition())
    labels = path_labels(nodes)
    form.org_id.choices = [(n.id, labels[n.id]) for n in nodes if n.is_active]
    if form.validate_on_submit():
        org = next(n for n in nodes if n.id == form.org_id.data)
        return write_and_redirect(
            lambda: services.create_site(current_user, org, form.name.data, form.welcome.data or ""),
            _("Site opened."), url_for("bases.manage_sites"))
    return render_template("bases/sites.html", sites=queries.sites_managed_by(current_user), form=form,
                           can_create=current_user.manages_people)


@bp.route("/sites/<int:site_id>/manage")
@login_required
def manage_site(site_id):
    site = get_site_or_404(site_id, current_user, need="manage")
    feature_form = FeatureForm(prefix="feature")
    feature_form.course_id.choices = [(c.id, c.published.title) for c in queries.published_courses()]
    return render_template("bases/site_manage.html", site=site, staff_form=StaffForm(prefix="staff"),
                           notice_form=NoticeForm(prefix="notice"), feature_form=feature_form,
                           notices=queries.site_notices(site), studies=queries.site_studies(site),
                           can_appoint=current_user.can_see_org(site.org))


@bp.route("/sites/<int:site_id>/staff", methods=["POST"])
@login_required
def appoint_staff(site_id):
    site = get_site_or_404(site_id, current_user, need="manage")
    form = StaffForm(prefix="staff")
    user = queries.user_by_login(form.login_id.data) if form.validate_on_submit() else None
    target = url_for("bases.manage_site", site_id=site.id)
    if user is None:
        flash(_("There is no member with that number."), "error")
        return redirect(target)
    return write_and_redirect(lambda: services.appoint_staff(current_user, site, user), _("Appointed."), target)


@bp.route("/sites/<int:site_id>/featured", methods=["POST"])
@login_required
def feature_course(site_id):
    site = get_site_or_404(site_id, current_user, need="manage")
    from ...models import Course
    form = FeatureForm(prefix="feature")
    form.course_id.choices = [(c.id, c.published.title) for c in queries.published_courses()]
    target = url_for("bases.manage_site", site_id=site.id)
    if not form.validate_on_submit():
        flash(_("Choose a course."), "error")
        return redirect(target)
    course = db.session.get(Course, form.course_id.data)
    return write_and_redirect(lambda: services.feature_course(current_user, site, course), _("Featured."), target)


@bp.route("/sites/<int:site_id>/notices", methods=["POST"])
@login_required
def write_notice(site_id):
    site = get_site_or_404(site_id, current_user, need="manage")
    form = NoticeForm(prefix="notice")
    target = url_for("bases.manage_site", site_id=site.id)
    if not form.validate_on_submit():
        flash(_("Enter a title and the text."), "error")
        return redirect(target)

    def write_and_submit():
        services.submit_notice(current_user, services.write_notice(current_user, site, form.title.data,
                                                                   form.body.data))
    return write_and_redirect(write_and_submit, _("Notice submitted for review."), target)


@bp.route("/sites/notices/review")
@reviewer_required
def notice_review_queue():
    return render_template("bases/notice_review.html", notices=queries.notices_awaiting_review(current_user),
                           notice_html=notice_html)


@bp.route("/sites/notices/<int:notice_id>/<any(approve, reject):decision>", methods=["POST"])
@reviewer_required
def review_notice(notice_id, decision):
    notice = get_notice_or_404(notice_id)
    return write_and_redirect(lambda: services.review_notice(current_user, notice, decision == "approve",
                                                             request.form.get("comment", "")),
                              _("Published.") if decision == "approve" else _("Sent back to the author."),
                              url_for("bases.notice_review_queue"))


def _study_form(site):
    form = CollectiveStudyForm()
    courses = queries.published_courses()
    form.course_id.choices = [(0, "—")] + [(c.id, c.published.title) for c in courses]
    chosen = request.values.get("course_id", type=int)
    course = next((c for c in courses if c.id == chosen), None)
    form.lesson_keys.choices = [(lesson.key, lesson.title) for lesson in course.published.lessons] if course else []
    roster = queries.site_roster(site, request.args.get("q", "")[:40])
    form.attendee_ids.choices = [(u.id, f"{u.real_name} {u.login_id}") for u in roster]
    return form, course


@bp.route("/sites/<int:site_id>/studies/new", methods=["GET", "POST"])
@login_required
def record_study(site_id):
    site = get_site_or_404(site_id, current_user, need="manage")
    form, course = _study_form(site)
    if request.method == "GET":
        form.course_id.data = course.id if course else 0

    def page():
        return render_template("bases/study_new.html", site=site, form=form, course=course)
    if form.validate_on_submit():
        outcome = run_write(lambda: services.record_collective_study(
            current_user, site, form.title.data, local_to_utc(form.held_at.data), form.minutes.data,
            form.hours.data, form.attendee_ids.data or [], course, form.lesson_keys.data or [],
            member_numbers=(form.scanned.data or "").splitlines()), _("Collective study recorded."))
        if outcome.refused:  # a refused list (an unknown number, say): the form again, everything kept
            return page(), 400
        credited = len(outcome.result.attendees)
        flash(ngettext("%(num)s member credited.", "%(num)s members credited.", credited), "info")
        return redirect(url_for("bases.manage_site", site_id=site.id))
    return page()


@bp.route("/sites/studies/<int:study_id>/correct", methods=["POST"])
@login_required
def correct_study(study_id):
    study = get_study_or_404(study_id, current_user, need="manage")
    form = CorrectionForm()
    target = url_for("bases.manage_site", site_id=study.site_id)
    if not form.validate_on_submit():
        flash(_("Enter the member number and the reason."), "error")
        return redirect(target)
    user = queries.user_by_login(form.login_id.data)
    if user is None:
        flash(_("No member has the number %(number)s.", number=form.login_id.data.strip()), "error")
        return redirect(target)
    return write_and_redirect(lambda: services.correct_collective_attendance(current_user, study, user,
                                                                             form.present.data == "add",
                                                                             form.reason.data),
                              _("Corrected."), target)

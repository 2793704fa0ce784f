"""Every edit form, posted back exactly as it was rendered, changes nothing in the database.

An admin saved a branch secretary's member form with only a new phone number, and the secretary was
demoted to 党员 (56 -> 32 学时): the position select did not mark the stored value, so the browser sent
its first option. The class guard:

- `test_every_post_form_is_classified`: the pages of the access matrix's world are opened by every kind
  of visitor, and every POST form on them must be listed here, as an edit form (EDIT_FORMS) or as
  another kind with the reason (OTHER_FORMS); a form with nothing but its CSRF token is a button and
  asks for its action. A new form fails the test until it is listed, so no edit form goes unchecked.
- `test_an_edit_form_posted_unchanged_changes_nothing`: for each edit form, stored values that are not
  the form's first choices or defaults are put in place, the form is opened by a visitor allowed to
  edit, parsed as a browser reads it (tests/html_forms.py), posted back untouched, and every table of
  the database must be exactly as before: no row added, removed or changed (no audit entry, no new
  revision, not even a timestamp).
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from flask import url_for
from werkzeug.datastructures import MultiDict

from courses.models import Course, encode_set
from learning_app.extensions import db
from learning_app.models import MemberCategory, Organization, OrgKind, PositionLevel, User
from learning_app.orgs.services import create_org, set_org_active
from learning_app.people import services as people_services
from learning_app.people.services import create_account
from quizzes.models import GradingMethod, Question, Quiz, ReviewPolicy
from tests.access_matrix_data import ACCESS_MATRIX
from tests.conftest import PASSWORD
from tests.html_forms import post_forms
from tests.test_access_matrix import build_world

CRAWLERS = ("anonymous", "admin", "author", "reviewer", "supervisor_a", "member_a")

# Every message channel configured, so that the account page offers the whole channels form.
pytestmark = pytest.mark.app_config(MAIL_URL="smtp://127.0.0.1:8025", SMS_WEBHOOK_URL="http://127.0.0.1:9/sms",
                                    WECHAT_APP_ID="wx-test", WECHAT_APP_SECRET="secret")


def _unusual_member(w):
    """Branch A's member becomes a probationary secretary of the second branch, with a phone."""
    member = db.session.get(User, w["A"]["member"])
    second_branch = db.session.scalar(db.select(Organization).where(Organization.name == "甲二党支部"))
    people_services.update_member(None, member, org=second_branch, category=MemberCategory.PROBATIONARY,
                                  position=PositionLevel.SECRETARY, phone="13900000001")
    return {"member": member.id}


def _member_of_a_deactivated_branch(w):
    """A deactivated member of a deactivated branch: the branches offered are the active ones."""
    committee = db.session.scalar(db.select(Organization).where(Organization.parent_id.is_(None)))
    branch = create_org(None, "已撤销党支部", OrgKind.BRANCH, committee)
    member = create_account(None, "former", "老党员", password=PASSWORD, org_id=branch.id,
                            category=MemberCategory.FULL, position=PositionLevel.CADRE)
    people_services.set_member_active(None, member, False)
    set_org_active(None, branch, False)
    return {"member": member.id}


def _unusual_course(w):
    """The published course's settings are none of the form's defaults."""
    revision = db.session.get(Course, w["A"]["course"]).published
    revision.summary, revision.tags, revision.hours = "第一段\n第二段", ["专题一", "专题二"], Decimal("2.5")
    revision.audience_categories = encode_set(["probationary", "activist"])
    revision.audience_positions = encode_set(["secretary"])
    revision.media_completion_ratio, revision.reading_seconds = 0.75, 120


def _unusual_channels(w):
    """The member gave an email address and a WeChat openid and turned every channel off."""
    from learning_app.messages.services import settings_of
    member = db.session.scalar(db.select(User).where(User.login_id == w["users"]["member_a"]))
    settings = settings_of(member)
    settings.email, settings.wechat_openid = "dangyuan@example.cn", "oAbC-12_3"
    settings.email_on = settings.sms_on = settings.wechat_on = False


def _unusual_lesson(w):
    lesson = db.session.get(Course, w["A"]["course"]).published.lessons[0]
    lesson.required, lesson.body = False, "第一段\n\n第二段"


def _unusual_question(w):
    question = db.session.get(Question, w["A"]["question"])
    question.explanation = "解析\n第二行"


def _unusual_quiz(w):
    quiz = db.session.get(Quiz, w["A"]["quiz"])
    quiz.description = "说明\n第二行"
    quiz.grading_method, quiz.review_policy = GradingMethod.LAST, ReviewPolicy.NEVER
    quiz.time_limit_minutes, quiz.max_attempts, quiz.pass_percent = 30, 3, 75.5
    quiz.opens_at, quiz.closes_at = datetime(2026, 3, 1, 1, 30), datetime(2026, 3, 31, 15, 59)
    quiz.shuffle_questions, quiz.shuffle_options = False, True


def _session_with_walk_ins(w):
    """The session accepts walk-ins: the box is ticked, not the form's default."""
    from courses.bases.models import BaseSession
    db.session.get(BaseSession, w["A"]["session"]).accepts_walk_ins = True


@dataclass
class EditForm:
    name: str
    visitor: str                        # who opens and posts it (allowed to edit)
    page: Callable[[dict], str]         # the page that shows the form, from the world's ids (and prepare's)
    # Stores values that are not the form's first choices or defaults; may return more ids for `page`.
    prepare: Callable[[dict], dict | None] | None = None


# Forms that show stored values and save them (keyed by the URL rule they post to), in the states worth
# trying.
EDIT_FORMS = {
    "/admin/orgs/<int:org_id>/rename": [
        EditForm("branch", "admin", lambda w: url_for("orgs.edit_org", org_id=w["B"]["branch"]))],
    "/admin/orgs/<int:org_id>/move": [
        # Branch B1's parent is the last of the parents offered, not the first.
        EditForm("branch", "admin", lambda w: url_for("orgs.edit_org", org_id=w["B"]["branch"]))],
    "/members/<int:user_id>/edit": [
        EditForm("secretary", "admin", lambda w: url_for("people.member_detail", user_id=w["member"]),
                 _unusual_member),
        EditForm("deactivated branch", "admin", lambda w: url_for("people.member_detail", user_id=w["member"]),
                 _member_of_a_deactivated_branch)],
    "/courses/authoring/<int:course_id>": [
        EditForm("published", "author", lambda w: url_for("courses.edit_course", course_id=w["A"]["course"]),
                 _unusual_course)],
    "/courses/authoring/<int:course_id>/lessons/<lesson_key>": [
        EditForm("published", "author", lambda w: url_for("courses.edit_lesson", course_id=w["A"]["course"],
                                                          lesson_key=w["A"]["lesson_key"]), _unusual_lesson)],
    "/quizzes/banks/<int:bank_id>/questions/<int:question_id>": [
        EditForm("published", "author", lambda w: url_for("quizzes.edit_question", bank_id=w["A"]["bank"],
                                                          question_id=w["A"]["question"]), _unusual_question)],
    "/bases/sessions/<int:session_id>/walk-ins": [
        EditForm("closed to walk-ins", "supervisor_a",
                 lambda w: url_for("bases.view_session", session_id=w["A"]["session"])),
        EditForm("open to walk-ins", "supervisor_a",
                 lambda w: url_for("bases.view_session", session_id=w["A"]["session"]), _session_with_walk_ins)],
    "/bases/sessions/<int:session_id>/reschedule": [
        EditForm("scheduled", "supervisor_a", lambda w: url_for("bases.view_session", session_id=w["A"]["session"]))],
    "/messages/channels": [
        # Never saved: posting the defaults back must not even create the member's settings row.
        EditForm("never saved", "member_a", lambda w: url_for("auth.change_password")),
        EditForm("every channel off", "member_a", lambda w: url_for("auth.change_password"), _unusual_channels)],
    "/quizzes/manage/<int:quiz_id>": [
        EditForm("published", "author", lambda w: url_for("quizzes.edit_quiz", quiz_id=w["A"]["quiz"]),
                 _unusual_quiz)],
}

# Every other POST form, and why posting it untouched is not an edit of what it shows.
CREATES = "creates a new object from empty fields"
OTHER_FORMS = {
    "/auth/login": "signs in",
    "/auth/password": "sets a new password; shows none",
    "/language": "switches the language (its buttons name the language)",
    "/large-text": "turns 大字模式 on or off (its button names which)",
    "/admin/orgs/new": CREATES,
    "/members/<int:user_id>/roles": "grants a new role",
    "/members/import": "uploads a roster",
    "/courses/authoring/new": CREATES,
    "/courses/authoring/<int:course_id>/chapters": CREATES,
    "/courses/authoring/<int:course_id>/chapters/<int:position>/lessons": CREATES,
    "/courses/authoring/<int:course_id>/cover": "uploads a file",
    "/courses/authoring/<int:course_id>/lessons/<lesson_key>/files": "uploads a file",
    "/courses/<int:course_id>/assign": "assigns the course anew",
    "/courses/<int:course_id>/lessons/<lesson_key>/progress": "reports reading (the lesson page's script)",
    "/quizzes/banks": CREATES,
    "/quizzes/banks/<int:bank_id>/import": "uploads questions",
    "/quizzes/banks/<int:bank_id>/questions/new": CREATES,
    "/quizzes/manage/new": CREATES,
    "/quizzes/manage/<int:quiz_id>/items": "adds a question or a draw",
    "/quizzes/practice": "answers today's practice",
    "/bases/": "registers a new base",
    "/bases/<int:base_id>": "schedules a new session",
    "/bases/<int:base_id>/photos": "uploads a photo",
    "/bases/sessions/<int:session_id>/check-in": "checks in with a code",
    "/bases/sessions/<int:session_id>/mark": "marks a member present by hand",
    "/sites/manage": "creates a new site",
    "/sites/<int:site_id>/notices": "writes a new notice",
    "/dashboard/lists/<kind>/remind": "reminds the members on the list (提醒未完成的党员, once a day)",
    "/sites/<int:site_id>/featured": "features one more course",
    "/sites/<int:site_id>/staff": "appoints one more staff member",
    "/sites/<int:site_id>/studies/new": "records a new collective study",
    "/sites/studies/<int:study_id>/correct": "adds or removes one attendee, named in empty fields",
    "/sites/notices/<int:notice_id>/<any(approve, reject):decision>": "a reviewer's decision",
}


def _log_in(app, w, visitor):
    client = app.test_client()
    if visitor == "anonymous":
        return client
    response = client.post("/auth/login", data={"login_id": w["users"][visitor], "password": PASSWORD})
    assert response.status_code == 302, f"{visitor} cannot log in"
    return client


def _rule_of(app, action):
    rule, _arguments = app.url_map.bind("localhost").match(urlparse(action).path, method="POST", return_rule=True)
    return rule.rule


def _forms_on_pages(app, w):
    """(rule, page, visitor) for every POST form on every page the crawlers open."""
    found = []
    for visitor in CRAWLERS:
        client = _log_in(app, w, visitor)
        for _endpoint, row in ACCESS_MATRIX.items():
            if row.method != "GET" or row.outcome(visitor) != 200:
                continue
            with app.test_request_context():
                urls = [builder(w, "A") for builder in [row.url, *row.variants]]
            for url in urls:
                response = client.get(url)
                if response.mimetype == "text/html":
                    found += [(_rule_of(app, form.action), url, visitor, form)
                              for form in post_forms(response.get_data(as_text=True), url)]
    return found


def _world(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    w = build_world(tmp_path / "uploads")
    db.session.commit()
    return w


def test_every_post_form_is_classified(app, tmp_path):
    w = _world(app, tmp_path)
    found = _forms_on_pages(app, w)
    unlisted = sorted({f"{rule} (on {url} as {visitor})" for rule, url, visitor, form in found
                       if not form.is_button and rule not in EDIT_FORMS and rule not in OTHER_FORMS})
    assert unlisted == [], "a POST form not listed in EDIT_FORMS or OTHER_FORMS: is it an edit form?"
    seen = {rule for rule, *_ in found}
    assert sorted(set(EDIT_FORMS) - seen) == [], "listed edit forms that no page shows"
    assert sorted(set(OTHER_FORMS) - seen) == [], "listed forms that no page shows"


def snapshot() -> dict[str, list]:
    """Every row of every table, as text, sorted."""
    db.session.expire_all()
    return {table.name: sorted(repr(tuple(row)) for row in db.session.execute(table.select()))
            for table in db.metadata.sorted_tables}


def changes(before: dict, after: dict) -> dict:
    found = {}
    for table in before:
        gone = sorted(set(before[table]) - set(after[table]))
        new = sorted(set(after[table]) - set(before[table]))
        if gone or new:
            found[table] = {"before": gone, "after": new}
    return found


def _edit_cases():
    for rule, cases in EDIT_FORMS.items():
        for case in cases:
            yield pytest.param(rule, case, id=f"{rule}-{case.name}")


@pytest.mark.parametrize("rule, edit", list(_edit_cases()))
def test_an_edit_form_posted_unchanged_changes_nothing(app, tmp_path, rule, edit):
    w = _world(app, tmp_path)
    if edit.prepare:
        w.update(edit.prepare(w) or {})
        db.session.commit()
    client = _log_in(app, w, edit.visitor)
    with app.test_request_context():
        page = edit.page(w)
    response = client.get(page)
    assert response.status_code == 200
    forms = [form for form in post_forms(response.get_data(as_text=True), page) if _rule_of(app, form.action) == rule]
    assert len(forms) == 1, f"{page} shows {len(forms)} forms posting to {rule}"
    form = forms[0]
    before = snapshot()
    response = client.post(form.action, data=MultiDict(form.data()), content_type=form.enctype)
    assert response.status_code == 302, f"the untouched form was refused: {response.status_code}"
    assert changes(before, snapshot()) == {}

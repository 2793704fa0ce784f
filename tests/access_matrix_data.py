"""The access-control matrix: every endpoint of the app, how to address it, and who gets what.

A row is `endpoint: Row(url, expected, ...)`:

- `url(w, side)` builds the address from the world's ids (`w[side]` is branch A's or B's objects,
  `w["users"]` the visitors' ids); the matrix uses side "A", the cross-branch test both sides.
- `expected` maps each visitor kind to its outcome; "*" is the default for the visitors not named.

Outcomes:

- "login"     302 to /auth/login (the login wall);
- "redirect"  any 3xx not to the login page;
- "ok"        for POST routes: authorised, so anything but 403/404/5xx or the login wall
              (200, 302 to a page, 400 for an empty form, 409 for a closed attempt are all fine);
- an int      exactly that status.

Visitors: anonymous; member_a (branch A1) and member_b (branch B1); author, reviewer and admin
(all three members of A1); supervisor_a (a member of A2, supervises general branch A) and
supervisor_b (a member of B1, supervises general branch B).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import url_for

VISITORS = ("anonymous", "member_a", "member_b", "author", "reviewer", "supervisor_a", "supervisor_b", "admin")
LOGIN, REDIRECT, OK = "login", "redirect", "ok"

# Who is in branch A's reach (the A-side members and every role holder of A1/A2): they learn A's
# course, take A's quiz and are invited to A's base session.
A_SIDE = ("member_a", "author", "reviewer", "supervisor_a", "admin")


@dataclass
class Row:
    url: Callable[[dict, str], str]
    expected: dict
    method: str = "GET"
    # visitor -> reason: the observed behaviour is a security bug; the expected value above is the
    # correct one and the case is marked xfail(strict=True) so that a fix turns it green (and XPASS red).
    bugs: dict = field(default_factory=dict)
    # More addresses of the same endpoint (its other URL rules), held to the same expectations.
    variants: list = field(default_factory=list)
    # visitor -> reason: a cross-branch 200 that is by design (the cross-branch test then checks that
    # the page shows none of branch A's private data).
    cross_branch_allowed: dict = field(default_factory=dict)

    @property
    def scoped(self) -> bool:
        """The address names one of a branch's objects (an id in the path, or ?org= for the dashboard):
        the cross-branch test runs the route for member_b and supervisor_b."""
        return bool(self.url.arguments & ID_ARGUMENTS)

    def outcome(self, visitor: str):
        return self.expected.get(visitor, self.expected.get("*"))


def allow(outcome, who, otherwise, anonymous=LOGIN):
    """`who` get `outcome`, every other signed-in visitor `otherwise`, anonymous the login wall."""
    expected = {"anonymous": anonymous, "*": otherwise}
    expected.update({visitor: outcome for visitor in who})
    return expected


SIGNED_IN = ("member_a", "member_b", "author", "reviewer", "supervisor_a", "supervisor_b", "admin")
AUTHORS = ("author", "admin")
REVIEWERS = ("reviewer",)
MANAGERS = ("supervisor_a", "supervisor_b", "admin")  # people managers: supervisors and admins
A_MANAGERS = ("supervisor_a", "admin")                 # who manage branch A's site, base and members
GRADERS = ("author", "reviewer", "admin")              # the quiz owner, reviewers, admins


def everyone(outcome=200):
    return allow(outcome, SIGNED_IN, outcome)


def get(endpoint, **ids):
    """A builder for url_for(endpoint, **{arg: w[side][key]}); a value (key) may be a callable(w, side)."""
    def build(w, side="A"):
        values = {}
        for arg, key in ids.items():
            if callable(key):
                values[arg] = key(w, side)
            elif isinstance(key, str) and key in w[side]:
                values[arg] = w[side][key]
            else:
                values[arg] = key  # a literal such as kind="csv"
        return url_for(endpoint, **values)
    build.arguments = set(ids)
    return build


def with_org(builder):
    """The dashboard pages and exports, asked for branch A's general branch (?org=...)."""
    def build(w, side="A"):
        url = builder(w, side)
        return f"{url}{'&' if '?' in url else '?'}org={w[side]['general']}"
    build.arguments = builder.arguments | {"org_id"}
    return build


ASSIGN_BY_DESIGN = ("published courses are offered to every supervisor for assignment (courses.assignable_courses); "
                    "the assign page lists only the assignments within the supervisor's own subtree")

ACCESS_MATRIX: dict[str, Row] = {
    # --- main, auth -------------------------------------------------------------------------------
    "main.home": Row(get("main.home"), everyone()),
    "main.menu": Row(get("main.menu"), everyone() | {"anonymous": 200}),
    "main.healthz": Row(get("main.healthz"), everyone() | {"anonymous": 200}),
    "main.go_to_login": Row(get("main.go_to_login"), everyone(LOGIN)),  # /login leads to the login page
    "main.set_language": Row(get("main.set_language"), everyone(REDIRECT) | {"anonymous": REDIRECT}, "POST"),
    "main.set_large_text": Row(get("main.set_large_text"), everyone(REDIRECT), "POST"),
    "auth.login": Row(get("auth.login"), everyone(REDIRECT) | {"anonymous": 200}),
    "auth.logout": Row(get("auth.logout"), everyone(LOGIN), "POST"),  # always back to the login page
    "auth.change_password": Row(get("auth.change_password"), everyone()),
    "auth.sign_out_everywhere": Row(get("auth.sign_out_everywhere"), everyone(LOGIN), "POST"),

    # --- organisations, audit log, members (admins; supervisors read their subtree) ----------------
    "orgs.org_tree": Row(get("orgs.org_tree"), allow(200, ["admin"], 403)),
    "orgs.create_org": Row(get("orgs.create_org"), allow(200, ["admin"], 403)),
    "orgs.edit_org": Row(get("orgs.edit_org", org_id="general"), allow(200, ["admin"], 403)),
    "orgs.rename_org": Row(get("orgs.rename_org", org_id="general"), allow(OK, ["admin"], 403), "POST"),
    "orgs.move_org": Row(get("orgs.move_org", org_id="general"), allow(OK, ["admin"], 403), "POST"),
    "orgs.deactivate_org": Row(get("orgs.deactivate_org", org_id="general"), allow(OK, ["admin"], 403), "POST"),
    "orgs.reactivate_org": Row(get("orgs.reactivate_org", org_id="general"), allow(OK, ["admin"], 403), "POST"),
    "orgs.delete_org": Row(get("orgs.delete_org", org_id="general"), allow(OK, ["admin"], 403), "POST"),
    "audit.list_entries": Row(get("audit.list_entries"), allow(200, ["admin"], 403)),
    "messages.list_deliveries": Row(get("messages.list_deliveries"), allow(200, ["admin"], 403)),

    # --- the message centre (站内信): each visitor's own messages; another's message is 404 ----------
    "messages.list_messages": Row(get("messages.list_messages"), everyone()),
    "messages.view_message": Row(get("messages.view_message", message_id="message"),
                                 allow(200, ["member_a"], 404)),
    "messages.mark_all_read": Row(get("messages.mark_all_read"), everyone(OK), "POST"),
    "messages.edit_channels": Row(get("messages.edit_channels"), everyone(OK), "POST"),

    "people.list_members": Row(get("people.list_members"), allow(200, MANAGERS, 403)),
    "people.member_detail": Row(get("people.member_detail", user_id="member"),
                                allow(200, A_MANAGERS, 403) | {"supervisor_b": 404}),
    "people.edit_member": Row(get("people.edit_member", user_id="member"), allow(OK, ["admin"], 403), "POST"),
    "people.deactivate_member": Row(get("people.deactivate_member", user_id="member"),
                                    allow(OK, ["admin"], 403), "POST"),
    "people.reactivate_member": Row(get("people.reactivate_member", user_id="member"),
                                    allow(OK, ["admin"], 403), "POST"),
    "people.reset_password": Row(get("people.reset_password", user_id="member"), allow(OK, ["admin"], 403), "POST"),
    "people.grant_role": Row(get("people.grant_role", user_id="member"), allow(OK, ["admin"], 403), "POST"),
    "people.revoke_role": Row(get("people.revoke_role", user_id="supervisor", grant_id="grant"),
                              allow(OK, ["admin"], 403), "POST"),
    "people.import_roster": Row(get("people.import_roster"), allow(200, ["admin"], 403)),
    # An admin with no import pending in the session: 404, nothing to download.
    "people.download_credentials": Row(get("people.download_credentials"), allow(404, ["admin"], 403), "POST"),
    "people.roster_template": Row(get("people.roster_template", kind="csv"), allow(200, ["admin"], 403)),
    # Only the admin who started an import takes its passwords: this job is the supervisor's, so 404 for admins.
    "people.download_job_credentials": Row(get("people.download_job_credentials", job_id="job"),
                                           allow(404, ["admin"], 403), "POST"),

    # --- background jobs: the person who started one, or an admin; to anyone else it does not exist ---------
    "jobs.show_job": Row(get("jobs.show_job", job_id="job"), allow(200, ["supervisor_a", "admin"], 404)),
    "jobs.job_progress": Row(get("jobs.job_progress", job_id="job"), allow(200, ["supervisor_a", "admin"], 404)),

    # --- courses: learning (a published course restricted to branch A by its assignment) -----------
    "courses.my_learning": Row(get("courses.my_learning"), everyone()),
    "courses.catalog": Row(get("courses.catalog"), everyone()),
    "courses.my_hours": Row(get("courses.my_hours"), everyone(), variants=[get("courses.my_hours", year=2025)]),
    "courses.view_course": Row(get("courses.view_course", course_id="course"), allow(200, A_SIDE, 404)),
    "courses.enrol": Row(get("courses.enrol", course_id="course"), allow(OK, A_SIDE, 404), "POST"),
    "courses.view_lesson": Row(get("courses.view_lesson", course_id="course", lesson_key="lesson_key"),
                               allow(200, A_SIDE, 404)),
    "courses.report_progress": Row(get("courses.report_progress", course_id="course", lesson_key="lesson_key"),
                                   allow(OK, A_SIDE, 404), "POST"),
    "courses.serve_file": Row(get("courses.serve_file", file_id="file"), allow(200, A_SIDE, 404),
                              variants=[get("courses.serve_file", file_id="file", name="image.png")]),
    "courses.assign_course": Row(get("courses.assign_course", course_id="course"), allow(200, MANAGERS, 403),
                                 cross_branch_allowed={"supervisor_b": ASSIGN_BY_DESIGN}),
    "courses.assignable_courses": Row(get("courses.assignable_courses"), allow(200, MANAGERS, 403)),
    "courses.withdraw_assignment": Row(get("courses.withdraw_assignment", assignment_id="assignment"),
                                       allow(OK, A_MANAGERS, 404), "POST"),

    # --- courses: authoring (the author owns both courses) and review -------------------------------
    "courses.my_courses": Row(get("courses.my_courses"), allow(200, AUTHORS, 403)),
    "courses.create_course": Row(get("courses.create_course"), allow(200, AUTHORS, 403)),
    "courses.edit_course": Row(get("courses.edit_course", course_id="course"), allow(200, AUTHORS, 403)),
    "courses.add_chapter": Row(get("courses.add_chapter", course_id="course"), allow(OK, AUTHORS, 403), "POST"),
    "courses.change_chapter": Row(get("courses.change_chapter", course_id="course", position=0, action="down"),
                                  allow(OK, AUTHORS, 403), "POST"),
    "courses.add_lesson": Row(get("courses.add_lesson", course_id="course", position=0),
                              allow(OK, AUTHORS, 403), "POST"),
    "courses.change_lesson": Row(get("courses.change_lesson", course_id="course", lesson_key="lesson_key",
                                     action="down"), allow(OK, AUTHORS, 403), "POST"),
    "courses.edit_lesson": Row(get("courses.edit_lesson", course_id="course", lesson_key="lesson_key"),
                               allow(200, AUTHORS, 403)),
    "courses.upload_lesson_file": Row(get("courses.upload_lesson_file", course_id="course", lesson_key="lesson_key"),
                                      allow(OK, AUTHORS, 403), "POST"),
    "courses.upload_cover": Row(get("courses.upload_cover", course_id="course"), allow(OK, AUTHORS, 403), "POST"),
    "courses.submit_course": Row(get("courses.submit_course", course_id="course", action="submit"),
                                 allow(OK, AUTHORS, 403), "POST"),
    "courses.review_queue": Row(get("courses.review_queue"), allow(200, REVIEWERS, 403)),
    "courses.review_course": Row(get("courses.review_course", course_id="course"), allow(200, GRADERS, 403)),
    # The author passes the route's check (they may read their course's review page); the service then
    # refuses a decision on one's own course, which ends in a redirect with a message.
    "courses.decide_course": Row(get("courses.decide_course", course_id="course", decision="approve"),
                                 allow(OK, GRADERS, 403), "POST"),

    # --- bases and their sessions (base A registered by general branch A, its session invites A) ------
    "bases.list_sessions": Row(get("bases.list_sessions"), everyone()),
    "bases.view_base": Row(get("bases.view_base", base_id="base"), allow(200, A_MANAGERS, 403)),
    "bases.upload_photo": Row(get("bases.upload_photo", base_id="base"), allow(OK, A_MANAGERS, 403), "POST"),
    "bases.serve_photo": Row(get("bases.serve_photo", photo_id="photo"), allow(200, A_SIDE, 404)),
    "bases.view_session": Row(get("bases.view_session", session_id="session"), allow(200, A_SIDE, 404)),
    "bases.sign_up": Row(get("bases.sign_up", session_id="session"), allow(OK, A_SIDE, 404), "POST"),
    "bases.check_in": Row(get("bases.check_in", session_id="session"), allow(200, A_SIDE, 404)),
    "bases.reschedule_session": Row(get("bases.reschedule_session", session_id="session"),
                                    allow(OK, A_MANAGERS, 403), "POST"),
    "bases.cancel_session": Row(get("bases.cancel_session", session_id="session"), allow(OK, A_MANAGERS, 403), "POST"),
    "bases.set_walk_ins": Row(get("bases.set_walk_ins", session_id="session"), allow(OK, A_MANAGERS, 403), "POST"),
    "bases.show_code": Row(get("bases.show_code", session_id="session"), allow(200, A_MANAGERS, 403)),
    "bases.current_code": Row(get("bases.current_code", session_id="session"), allow(200, A_MANAGERS, 403)),
    "bases.mark_attendance": Row(get("bases.mark_attendance", session_id="session"),
                                 allow(OK, A_MANAGERS, 403), "POST"),

    # --- learning sites (site A belongs to general branch A) -------------------------------------------
    "bases.my_site": Row(get("bases.my_site"), everyone()),
    "bases.my_code": Row(get("bases.my_code"), everyone()),
    "bases.manage_sites": Row(get("bases.manage_sites"), allow(200, MANAGERS, 403)),
    "bases.manage_site": Row(get("bases.manage_site", site_id="site"), allow(200, A_MANAGERS, 403)),
    "bases.appoint_staff": Row(get("bases.appoint_staff", site_id="site"), allow(OK, A_MANAGERS, 403), "POST"),
    "bases.feature_course": Row(get("bases.feature_course", site_id="site"), allow(OK, A_MANAGERS, 403), "POST"),
    "bases.write_notice": Row(get("bases.write_notice", site_id="site"), allow(OK, A_MANAGERS, 403), "POST"),
    "bases.record_study": Row(get("bases.record_study", site_id="site"), allow(200, A_MANAGERS, 403)),
    "bases.correct_study": Row(get("bases.correct_study", study_id="study"), allow(OK, A_MANAGERS, 403), "POST"),
    "bases.notice_review_queue": Row(get("bases.notice_review_queue"), allow(200, REVIEWERS, 403)),
    "bases.review_notice": Row(get("bases.review_notice", notice_id="notice", decision="approve"),
                               allow(OK, REVIEWERS, 403), "POST"),

    # --- quizzes: taking (quiz A limited to general branch A; member_a's submitted attempt) ----------
    "quizzes.list_quizzes": Row(get("quizzes.list_quizzes"), everyone()),
    "quizzes.practice": Row(get("quizzes.practice"), everyone()),
    "quizzes.view_quiz": Row(get("quizzes.view_quiz", quiz_id="quiz"), allow(200, A_SIDE, 404)),
    "quizzes.start_attempt": Row(get("quizzes.start_attempt", quiz_id="quiz"), allow(OK, A_SIDE, 404), "POST"),
    # Only the member who took the attempt reaches it; it is submitted, so its page sends on to the result.
    "quizzes.take_attempt": Row(get("quizzes.take_attempt", attempt_id="attempt"), allow(REDIRECT, ["member_a"], 404)),
    "quizzes.attempt_result": Row(get("quizzes.attempt_result", attempt_id="attempt"), allow(200, ["member_a"], 404)),
    "quizzes.autosave_answer": Row(get("quizzes.autosave_answer", attempt_id="attempt", position=0),
                                   allow(OK, ["member_a"], 404), "POST"),
    "quizzes.save_all": Row(get("quizzes.save_all", attempt_id="attempt"), allow(OK, ["member_a"], 404), "POST"),
    "quizzes.submit_attempt": Row(get("quizzes.submit_attempt", attempt_id="attempt"),
                                  allow(OK, ["member_a"], 404), "POST"),

    # --- quizzes: banks, questions, quiz set-up, grading, review (owned by the author) --------------
    "quizzes.list_banks": Row(get("quizzes.list_banks"), allow(200, AUTHORS, 403)),
    "quizzes.view_bank": Row(get("quizzes.view_bank", bank_id="bank"), allow(200, AUTHORS, 403)),
    "quizzes.submit_bank": Row(get("quizzes.submit_bank", bank_id="bank"), allow(OK, AUTHORS, 403), "POST"),
    "quizzes.question_template": Row(get("quizzes.question_template", kind="csv"), allow(200, AUTHORS, 403)),
    "quizzes.preview_import": Row(get("quizzes.preview_import", bank_id="bank"), allow(OK, AUTHORS, 403), "POST"),
    "quizzes.confirm_import": Row(get("quizzes.confirm_import", bank_id="bank"), allow(OK, AUTHORS, 403), "POST"),
    "quizzes.edit_question": Row(get("quizzes.edit_question", bank_id="bank", question_id="question"),
                                 allow(200, AUTHORS, 403), variants=[get("quizzes.edit_question", bank_id="bank")]),
    "quizzes.list_owned_quizzes": Row(get("quizzes.list_owned_quizzes"), allow(200, AUTHORS, 403)),
    "quizzes.edit_quiz": Row(get("quizzes.edit_quiz", quiz_id="quiz"), allow(200, AUTHORS, 403),
                             variants=[get("quizzes.edit_quiz")]),
    "quizzes.add_quiz_item": Row(get("quizzes.add_quiz_item", quiz_id="quiz"), allow(OK, AUTHORS, 403), "POST"),
    "quizzes.remove_quiz_item": Row(get("quizzes.remove_quiz_item", quiz_id="quiz", item_id="item"),
                                    allow(OK, AUTHORS, 403), "POST"),
    "quizzes.publish_quiz": Row(get("quizzes.publish_quiz", quiz_id="quiz", action="publish"),
                                allow(OK, AUTHORS, 403), "POST"),
    "quizzes.quiz_results": Row(get("quizzes.quiz_results", quiz_id="quiz"), allow(200, GRADERS, 403)),
    "quizzes.grade_answer": Row(get("quizzes.grade_answer", quiz_id="quiz", answer_id="answer"),
                                allow(OK, GRADERS, 403), "POST"),
    "quizzes.question_review_queue": Row(get("quizzes.question_review_queue"), allow(200, REVIEWERS, 403)),
    "quizzes.decide_question": Row(get("quizzes.decide_question", question_id="question", decision="approve"),
                                   allow(OK, REVIEWERS, 403), "POST"),
    "quizzes.approve_questions": Row(get("quizzes.approve_questions"), allow(OK, REVIEWERS, 403), "POST"),

    # --- the dashboard, asked for general branch A (?org=): its supervisors and admins ------------------
    "analytics.dashboard": Row(with_org(get("analytics.dashboard")),
                               allow(200, A_MANAGERS, 403) | {"supervisor_b": 404}),
    "analytics.action_list": Row(with_org(get("analytics.action_list", kind="not_started")),
                                 allow(200, A_MANAGERS, 403) | {"supervisor_b": 404}),
    "analytics.remind_list": Row(with_org(get("analytics.remind_list", kind="not_started")),
                                 allow(OK, A_MANAGERS, 403) | {"supervisor_b": 404}, "POST"),
    "analytics.export_list": Row(with_org(get("analytics.export_list", kind="not_started", fmt="csv")),
                                 allow(200, A_MANAGERS, 403) | {"supervisor_b": 404}),
    # Only whoever asked for an export takes its file: the world's job is supervisor_a's count rebuild (no file).
    "analytics.download_export": Row(get("analytics.download_export", job_id="job"), allow(404, MANAGERS, 403)),
    "analytics.export_branches": Row(with_org(get("analytics.export_branches", fmt="xlsx")),
                                     allow(200, A_MANAGERS, 403) | {"supervisor_b": 404}),
    "analytics.report": Row(with_org(get("analytics.report")),
                            allow(200, A_MANAGERS, 403) | {"supervisor_b": 404}),
    "analytics.site_evaluation": Row(with_org(get("analytics.site_evaluation")),
                                     allow(200, A_MANAGERS, 403) | {"supervisor_b": 404}),
}

# Path or query arguments that name an object (rather than a format, an action or a decision).
ID_ARGUMENTS = {"course_id", "lesson_key", "file_id", "assignment_id", "attempt_id", "answer_id", "quiz_id",
                "item_id", "bank_id", "question_id", "user_id", "grant_id", "org_id", "session_id", "base_id",
                "photo_id", "site_id", "study_id", "notice_id", "job_id"}

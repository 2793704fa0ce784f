"""Sites, notices, collective study, bases, sessions, sign-up and check-in. The caller commits."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from learning_app.audit.services import record_audit
from learning_app.extensions import db
from learning_app.models import Role, utcnow
from learning_app.timezones import as_utc
from learning_app.transactions import RuleError

from ..models import Course, EnrolmentSource, LessonProgress
from ..services.learning import check_course_completion, ensure_enrolment
from ..services.ledger import credit_study_hours
from . import checkin, queries, roll_call
from .models import (
    Attendance,
    Base,
    BasePhoto,
    BaseSession,
    CheckInTries,
    CollectiveAttendance,
    CollectiveStudy,
    FeaturedCourse,
    Notice,
    NoticeStatus,
    SessionInvitation,
    SignUp,
    Site,
    SiteStaff,
)
from .reminders import notify_notice_published, notify_notice_review, notify_session_changed

# Members may check in from a little before the session starts until it ends.
EARLY_CHECKIN = timedelta(minutes=30)


class BaseRuleError(RuleError):
    """A request the rules refuse; the message is for the user."""


# Sites ------------------------------------------------------------------------------------------

def create_site(actor, org, name: str, welcome: str = "") -> Site:
    if not actor.can_see_org(org):
        raise BaseRuleError(_("You can open a site only for an organisation you supervise."))
    if db.session.scalar(select(Site.id).where(Site.org_id == org.id)):
        raise BaseRuleError(_("This organisation already has a site."))
    site = Site(org_id=org.id, name=name.strip(), welcome=welcome.strip())
    db.session.add(site)
    db.session.flush()
    record_audit(actor, "site.create", site, {"org_id": org.id})
    return site


def appoint_staff(actor, site: Site, user) -> None:
    """Supervisors appoint site staff from the members of the site's organisation."""
    if not actor.can_see_org(site.org):
        raise BaseRuleError(_("Only a supervisor of the organisation appoints its site staff."))
    if user.org is None or not user.org.is_within(site.org):
        raise BaseRuleError(_("Site staff must belong to the site's organisation."))
    if site.is_staff(user):
        raise BaseRuleError(_("%(name)s is already on the staff.", name=user.real_name))
    site.staff.append(SiteStaff(user_id=user.id, appointed_by_id=actor.id))
    record_audit(actor, "site.appoint_staff", site, {"user_id": user.id})
    db.session.flush()


def nearest_site(user) -> Site | None:
    """The site of the member's nearest organisation that has one (branch, then upwards)."""
    if user.org is None:
        return None
    sites = {site.org_id: site for site in db.session.scalars(
        select(Site).where(Site.org_id.in_(user.org.ancestor_ids)))}
    for org_id in reversed(user.org.ancestor_ids):
        if org_id in sites:
            return sites[org_id]
    return None


def feature_course(actor, site: Site, course: Course) -> None:
    if course.published is None:
        raise BaseRuleError(_("Only a published course can be featured."))
    position = db.session.scalar(select(func.count()).select_from(FeaturedCourse)
                                 .where(FeaturedCourse.site_id == site.id))
    try:
        with db.session.begin_nested():
            db.session.add(FeaturedCourse(site_id=site.id, course_id=course.id, position=position))
    except IntegrityError:
        raise BaseRuleError(_("The course is already featured.")) from None


def write_notice(actor, site: Site, title: str, body: str) -> Notice:
    notice = Notice(site_id=site.id, author_id=actor.id, title=title.strip(), body=body)
    db.session.add(notice)
    db.session.flush()
    return notice


def submit_notice(actor, notice: Notice) -> None:
    if notice.status != NoticeStatus.DRAFT:
        raise BaseRuleError(_("Only a draft can be submitted for review."))
    notice.status, notice.submitted_at = NoticeStatus.SUBMITTED, utcnow()
    record_audit(actor, "notice.submit", notice)
    db.session.flush()


def review_notice(reviewer, notice: Notice, approve: bool, comment: str = "") -> None:
    if not reviewer.has_role(Role.REVIEWER) or notice.author_id == reviewer.id:
        raise BaseRuleError(_("You cannot review this notice: nobody reviews their own."))
    if notice.status != NoticeStatus.SUBMITTED:
        raise BaseRuleError(_("The notice is not awaiting review."))
    if not approve and not comment.strip():
        raise BaseRuleError(_("Say what the author should change."))
    notice.reviewer_id, notice.review_comment = reviewer.id, comment.strip()
    notice.status = NoticeStatus.PUBLISHED if approve else NoticeStatus.DRAFT
    notice.published_at = utcnow() if approve else None
    record_audit(reviewer, "notice.approve" if approve else "notice.reject", notice, {"comment": comment[:200]})
    db.session.flush()
    notify_notice_review(notice, approve, comment.strip())
    if approve:
        notify_notice_published(notice)


# Collective study -------------------------------------------------------------------------------

def record_collective_study(actor, site: Site, title: str, held_at, minutes: int, hours, attendee_ids,
                            course: Course | None = None, lesson_keys=(), member_numbers=()) -> CollectiveStudy:
    """Record a session and credit every attendee: the lessons studied and the hours, once each.

    Attendees are the members ticked (`attendee_ids`) and those typed or scanned (`member_numbers`); an
    unknown or repeated number, or a member outside the site's organisation, refuses the whole record."""
    if not site.can_manage(actor):
        raise BaseRuleError(_("Only the site's staff record its collective study."))
    if as_utc(held_at) > utcnow() + timedelta(minutes=5):
        raise BaseRuleError(_("A collective study is recorded after it was held, not before."))
    attendees, problems = roll_call.read_attendees(site, attendee_ids, member_numbers)
    if problems:
        raise BaseRuleError(" ".join(problems + [_("Nothing was saved; correct the list and record again.")]))
    study = CollectiveStudy(site_id=site.id, title=title.strip(), course_id=course.id if course else None,
                            lesson_keys=",".join(lesson_keys), held_at=held_at, minutes=minutes,
                            hours=Decimal(str(hours)), recorded_by_id=actor.id)
    db.session.add(study)
    db.session.flush()
    # In one order (by id), as every recording takes its members' rows: two recordings at once then
    # never hold each other's rows (a deadlock).
    for user in sorted(attendees, key=lambda user: user.id):
        _credit_attendee(actor, study, user)
    record_audit(actor, "collective_study.record", study, {"attendees": len(study.attendees)})
    db.session.flush()
    return study


def _credit_attendee(actor, study: CollectiveStudy, user) -> None:
    try:
        with db.session.begin_nested():
            study.attendees.append(CollectiveAttendance(user_id=user.id, marked_by_id=actor.id))
            db.session.flush()
    except IntegrityError:
        return  # already recorded: credited once
    credit_study_hours(user, "collective_study", study.id, study.hours, study.title, as_utc(study.held_at))
    course = study.course
    if course is not None and course.published is not None:
        ensure_enrolment(user, course, EnrolmentSource.ASSIGNED)
        for key in sorted(key for key in study.lesson_keys.split(",") if key):  # one order: see above
            _complete_lesson_for(user, course, key, study)
        check_course_completion(user, course, as_utc(study.held_at))


def _complete_lesson_for(user, course, key, study):
    progress = db.session.scalar(select(LessonProgress).where(LessonProgress.user_id == user.id,
                                                              LessonProgress.lesson_key == key))
    if progress is None:
        progress = LessonProgress(user_id=user.id, course_id=course.id, lesson_key=key)
        db.session.add(progress)
    if progress.completed_at is None:
        progress.completed_at = as_utc(study.held_at)
    db.session.flush()


def correct_collective_attendance(actor, study: CollectiveStudy, user, present: bool, reason: str) -> None:
    """Staff add a forgotten attendee or remove a wrong one; the reason is audited."""
    if not study.site.can_manage(actor):
        raise BaseRuleError(_("Only the site's staff correct its records."))
    if not (reason or "").strip():
        raise BaseRuleError(_("Give the reason for the correction."))
    if present:
        if not queries.eligible_site_members(study.site, [user.id]):
            raise BaseRuleError(_("The member does not belong to this site's organisation."))
        _credit_attendee(actor, study, user)
    else:
        from ..models import StudyHoursEntry
        for attendance in list(study.attendees):
            if attendance.user_id == user.id:
                study.attendees.remove(attendance)
        db.session.execute(delete(StudyHoursEntry).where(
            StudyHoursEntry.user_id == user.id, StudyHoursEntry.source_type == "collective_study",
            StudyHoursEntry.source_id == study.id))
    record_audit(actor, "collective_study.correct", study, {"user_id": user.id, "present": present,
                                                            "reason": reason.strip()[:300]})
    db.session.flush()


# Bases and sessions -----------------------------------------------------------------------------

def register_base(actor, org, **fields) -> Base:
    if not (actor.is_admin or actor.can_see_org(org)):
        raise BaseRuleError(_("You can register bases only for organisations you supervise."))
    base = Base(org_id=org.id, **fields)
    db.session.add(base)
    db.session.flush()
    record_audit(actor, "base.register", base, {"name": base.name})
    return base


def add_base_photo(actor, base: Base, saved, caption: str = "") -> None:
    base.photos.append(BasePhoto(storage_name=saved.storage_name, mime_type=saved.recognised.mime_type,
                                 caption=caption.strip()[:200]))
    record_audit(actor, "base.photo", base)
    db.session.flush()


def schedule_session(actor, base: Base, topic: str, starts_at, ends_at, hours, capacity: int, invited_orgs,
                     course: Course | None = None, accepts_walk_ins: bool = False) -> BaseSession:
    if not base.can_manage(actor):
        raise BaseRuleError(_("Only the base's managers schedule its sessions."))
    if ends_at <= starts_at:
        raise BaseRuleError(_("The session must end after it starts."))
    invited_orgs = list({org.id: org for org in invited_orgs or ()}.values())  # once each (unique per session)
    if not invited_orgs or not all(actor.can_see_org(org) for org in invited_orgs):
        raise BaseRuleError(_("Invite at least one organisation you supervise."))
    session = BaseSession(base_id=base.id, topic=topic.strip(), starts_at=starts_at, ends_at=ends_at,
                          hours=Decimal(str(hours)), capacity=min(capacity, base.capacity or capacity),
                          course_id=course.id if course else None, created_by_id=actor.id,
                          accepts_walk_ins=bool(accepts_walk_ins))
    session.invitations = [SessionInvitation(org_id=org.id) for org in invited_orgs]
    db.session.add(session)
    db.session.flush()
    record_audit(actor, "base.schedule", session, {"base_id": base.id, "topic": session.topic,
                                                   "accepts_walk_ins": session.accepts_walk_ins})
    return session


def set_walk_ins(actor, session: BaseSession, accepts: bool) -> None:
    """The base's managers decide whether members who did not sign up may check in; a change is audited."""
    if not session.base.can_manage(actor):
        raise BaseRuleError(_("Only the base's managers change its sessions."))
    if session.accepts_walk_ins == bool(accepts):
        return
    session.accepts_walk_ins = bool(accepts)
    record_audit(actor, "base.session_walk_ins", session, {"accepts_walk_ins": session.accepts_walk_ins})
    db.session.flush()


def reschedule_session(actor, session: BaseSession, starts_at, ends_at, now=None) -> None:
    """Move a session to another time; the members signed up are told (once per change)."""
    _check_changeable(actor, session, now)
    if ends_at <= starts_at:
        raise BaseRuleError(_("The session must end after it starts."))
    if _minute(starts_at) == _minute(session.starts_at) and _minute(ends_at) == _minute(session.ends_at):
        return  # forms give minutes: the same time, posted back, is no change
    before = as_utc(session.starts_at).isoformat()
    session.starts_at, session.ends_at, session.version = starts_at, ends_at, session.version + 1
    record_audit(actor, "base.session_reschedule", session, {"from": before,
                                                             "to": as_utc(starts_at).isoformat()})
    db.session.flush()
    notify_session_changed(session, cancelled=False)


def cancel_session(actor, session: BaseSession, now=None) -> None:
    """Cancel a session that has not ended; the members signed up are told."""
    _check_changeable(actor, session, now)
    session.cancelled_at = now or utcnow()
    record_audit(actor, "base.session_cancel", session, {"topic": session.topic})
    db.session.flush()
    notify_session_changed(session, cancelled=True)


def _minute(moment):
    return as_utc(moment).replace(second=0, microsecond=0)


def _check_changeable(actor, session: BaseSession, now) -> None:
    if not session.base.can_manage(actor):
        raise BaseRuleError(_("Only the base's managers change its sessions."))
    if session.cancelled_at is not None:
        raise BaseRuleError(_("This session has been cancelled."))
    if (now or utcnow()) >= as_utc(session.ends_at):
        raise BaseRuleError(_("This session is over."))


def sign_up(user, session: BaseSession, now=None) -> SignUp:
    """Take a seat if one is free; the conditional UPDATE keeps concurrent sign-ups within capacity."""
    now = now or utcnow()
    if not session.invites(user):
        raise BaseRuleError(_("Your organisation is not invited to this session."))
    if now >= as_utc(session.ends_at):
        raise BaseRuleError(_("This session is over."))
    if session.cancelled_at is not None:
        raise BaseRuleError(_("This session has been cancelled."))
    if db.session.scalar(select(SignUp.id).where(SignUp.session_id == session.id, SignUp.user_id == user.id)):
        raise BaseRuleError(_("You have already signed up."))
    taken = db.session.execute(
        update(BaseSession).where(BaseSession.id == session.id, BaseSession.seats_taken < BaseSession.capacity)
        .values(seats_taken=BaseSession.seats_taken + 1).execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        raise BaseRuleError(_("The session is full."))
    try:
        with db.session.begin_nested():
            signup = SignUp(session_id=session.id, user_id=user.id)
            db.session.add(signup)
    except IntegrityError:
        db.session.execute(update(BaseSession).where(BaseSession.id == session.id)
                           .values(seats_taken=BaseSession.seats_taken - 1))
        raise BaseRuleError(_("You have already signed up.")) from None
    return signup


class CheckInRefused(BaseRuleError):
    """A refused check-in code: its count and audit row are kept (the view commits them)."""
    keeps_changes = True


def check_in(user, session: BaseSession, code: str, now=None) -> Attendance:
    """The member checks themselves in with the code shown at the session.

    Guessing is bounded: a member has CHECKIN_WRONG_CODES_PER_MEMBER wrong codes per session, the session
    CHECKIN_WRONG_CODES_PER_SESSION in all. A try is counted before the code is compared, by conditional
    UPDATEs that wait for one another, so that tries sent at once cannot all be compared before any is
    counted; the right code gives its try back. Refusals are audited."""
    now = now or utcnow()
    if not session.invites(user):
        raise BaseRuleError(_("Your organisation is not invited to this session."))
    if now < as_utc(session.starts_at) - EARLY_CHECKIN or now > as_utc(session.ends_at):
        raise BaseRuleError(_("Check-in is open only during the session."))
    if not session.admits(user):
        raise BaseRuleError(_("This session admits only members who signed up. "
                              "Sign up first (while places are left), then check in."))
    wrong_codes = _count_try(user, session)
    if not checkin.code_is_valid(session.id, code, now):
        left = current_app.config["CHECKIN_WRONG_CODES_PER_MEMBER"] - wrong_codes
        _refuse_code(user, session, "wrong_code", wrong_codes,
                     _("The code is wrong or has expired. Enter the code shown now (tries left: %(count)s).",
                       count=left) if left else
                     _("The code is wrong or has expired, and that was your last try. "
                       "Ask the session's staff to check you in by hand."))
    _give_back_try(user, session)
    return _attend(user, session, "code", None, "", now)


def _count_try(user, session) -> int:
    """Count a wrong code in advance against the member and the session; refuse if either has none left."""
    _ensure_tries_row(user, session)
    member = (CheckInTries.session_id == session.id, CheckInTries.user_id == user.id)
    wrong_codes = _increment(CheckInTries, member, current_app.config["CHECKIN_WRONG_CODES_PER_MEMBER"])
    if wrong_codes is None:
        _refuse_code(user, session, "member_limit", current_app.config["CHECKIN_WRONG_CODES_PER_MEMBER"],
                     _("Too many wrong codes. Ask the session's staff to check you in by hand."))
    if _increment(BaseSession, (BaseSession.id == session.id,),
                  current_app.config["CHECKIN_WRONG_CODES_PER_SESSION"]) is None:
        _decrement(CheckInTries, member)
        _refuse_code(user, session, "session_limit", wrong_codes - 1,
                     _("Too many wrong codes were entered for this session, so check-in by code is closed. "
                       "Ask the session's staff to check you in by hand."))
    return wrong_codes


def _give_back_try(user, session) -> None:
    _decrement(CheckInTries, (CheckInTries.session_id == session.id, CheckInTries.user_id == user.id))
    _decrement(BaseSession, (BaseSession.id == session.id,))


def _ensure_tries_row(user, session) -> None:
    where = (CheckInTries.session_id == session.id, CheckInTries.user_id == user.id)
    if db.session.scalar(select(CheckInTries.id).where(*where)) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(CheckInTries(session_id=session.id, user_id=user.id, wrong_codes=0))
    except IntegrityError:
        pass  # another try of the member's added it first


def _increment(model, where, limit) -> int | None:
    """wrong_codes + 1 if below the limit: the new count, or None at the limit. The row stays locked."""
    return db.session.scalar(update(model).where(*where, model.wrong_codes < limit)
                             .values(wrong_codes=model.wrong_codes + 1).returning(model.wrong_codes)
                             .execution_options(synchronize_session=False))


def _decrement(model, where) -> None:
    db.session.execute(update(model).where(*where).values(wrong_codes=model.wrong_codes - 1)
                       .execution_options(synchronize_session=False))


def _refuse_code(user, session, reason: str, wrong_codes: int, message: str):
    record_audit(user, "base.check_in_refused", session, {"reason": reason, "wrong_codes": wrong_codes})
    db.session.flush()
    raise CheckInRefused(message)


def mark_attendance(actor, session: BaseSession, user, reason: str, now=None) -> Attendance:
    """Staff mark a member present by hand (no phone, a failed scan); the reason is audited."""
    if not session.base.can_manage(actor):
        raise BaseRuleError(_("Only the base's managers mark attendance."))
    if not (reason or "").strip():
        raise BaseRuleError(_("Give the reason for marking attendance by hand."))
    if not session.invites(user):
        raise BaseRuleError(_("Member %(number)s is not in an organisation invited to this session.",
                              number=user.login_id))
    if not session.admits(user):
        raise BaseRuleError(_("%(name)s did not sign up, and this session does not accept walk-ins. "
                              "Accept walk-ins on the session page to admit them.", name=user.real_name))
    now = now or utcnow()
    if now < as_utc(session.starts_at) - EARLY_CHECKIN:
        raise BaseRuleError(_("Attendance can be marked once the session has begun."))
    attendance = _attend(user, session, "manual", actor, reason.strip(), now)
    record_audit(actor, "base.mark_attendance", session, {"user_id": user.id, "reason": reason.strip()[:300]})
    return attendance


def _attend(user, session, method, actor, reason, now) -> Attendance:
    try:
        with db.session.begin_nested():
            attendance = Attendance(session_id=session.id, user_id=user.id, method=method, reason=reason,
                                    marked_by_id=actor.id if actor else None, checked_in_at=now)
            db.session.add(attendance)
    except IntegrityError:
        raise BaseRuleError(_("Already checked in for this session.")) from None
    credit_study_hours(user, "base_session", session.id, session.hours, session.topic, now)
    if session.course is not None and session.course.published is not None:
        ensure_enrolment(user, session.course, EnrolmentSource.ASSIGNED)
        check_course_completion(user, session.course, now)
    db.session.flush()
    return attendance


def base_sessions_attended(user, course) -> int:
    return db.session.scalar(select(func.count()).select_from(Attendance)
                             .join(BaseSession, Attendance.session_id == BaseSession.id)
                             .where(Attendance.user_id == user.id, Attendance.is_valid.is_(True),
                                    BaseSession.course_id == course.id))


def required_base_sessions_met(user, course) -> bool:
    """Completion requirement: the course's required number of base sessions attended."""
    needed = course.published.required_base_sessions if course.published else 0
    return not needed or base_sessions_attended(user, course) >= needed

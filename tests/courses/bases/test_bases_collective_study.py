"""Collective study (集中学习): staff record who attended, each is credited lessons and hours once;
corrections need a reason and are audited."""
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask_babel import gettext
from sqlalchemy import select

from courses.bases import services
from courses.bases.models import CollectiveAttendance, CollectiveStudy
from courses.bases.services import BaseRuleError
from courses.models import Enrolment, LessonProgress
from learning_app.extensions import db
from learning_app.models import User
from learning_app.timezones import as_utc
from tests.courses.bases.helpers import NOW, audits, count, ledger, refused_with
from tests.courses.helpers import fresh, location_path


@pytest.fixture
def staffer(world, make_user):
    return make_user(world["a1"], real_name="站点管理员")


@pytest.fixture
def site(world, make_site, staffer):
    """General branch A's site, opened by its supervisor, with one staff member from A1."""
    return make_site(world["manager"], world["general_a"], staff=[staffer])


@pytest.fixture
def course(author, make_course):
    return fresh(make_course(author, lessons=[{"kind": "article", "title": "第一课 党章"},
                                             {"kind": "article", "title": "第二课 准则"}],
                             title="集中学习课程", hours=2))


@pytest.fixture
def members(world, make_user):
    """Ten members of general branch A's subtree (five in A1, five in A2)."""
    return [make_user(world["a1"] if i < 5 else world["a2"], real_name=f"参学党员{i}") for i in range(10)]


def attendee_ids(study):
    db.session.expire_all()
    return set(db.session.scalars(select(CollectiveAttendance.user_id)
                                  .where(CollectiveAttendance.study_id == study.id)))


def completed_keys(user):
    db.session.expire_all()
    return set(db.session.scalars(select(LessonProgress.lesson_key).where(
        LessonProgress.user_id == user.id, LessonProgress.completed_at.is_not(None))))


def record(actor, site, ids, course=None, keys=(), hours=1.5):
    study = services.record_collective_study(actor, site, " 学习二十大报告 ", NOW, 90, hours, ids, course, keys)
    db.session.commit()
    return study


def test_recording_credits_each_attendee_hours_and_chosen_lessons_once(site, staffer, members, course):
    first, second = [lesson.key for lesson in course.published.lessons]
    study = record(staffer, site, [m.id for m in members], course, [first])
    assert study.title == "学习二十大报告"
    assert count(CollectiveAttendance, CollectiveAttendance.study_id == study.id) == 10
    assert attendee_ids(study) == {m.id for m in members}
    for member in members:
        assert [(e.source_type, e.source_id, e.hours) for e in ledger(member)] == [
            ("collective_study", study.id, Decimal("1.5"))]
        assert completed_keys(member) == {first}
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == member.id))
        assert enrolment.course_id == course.id and enrolment.completed_at is None
        assert enrolment.lessons_done == 1
    [entry] = audits("collective_study.record")
    assert entry.actor_id == staffer.id and entry.detail == {"attendees": 10}
    assert second not in completed_keys(members[0])


def test_studying_every_lesson_completes_the_course(site, staffer, members, course):
    keys = [lesson.key for lesson in course.published.lessons]
    record(staffer, site, [m.id for m in members[:2]], course, keys)
    for member in members[:2]:
        assert sorted(e.source_type for e in ledger(member)) == ["collective_study", "course"]
        assert completed_keys(member) == set(keys)


def test_members_outside_the_subtree_are_refused_by_number_and_nothing_is_saved(world, site, staffer, members,
                                                                                make_user):
    outsiders = [world["member_b1"], world["other_supervisor"], make_user()]
    inactive = make_user(world["a1"], is_active_account=False)
    with pytest.raises(BaseRuleError) as error:
        record(staffer, site, [m.id for m in members] + [u.id for u in outsiders] + [inactive.id])
    message = str(error.value)
    assert gettext("Not members of %(org)s: %(numbers)s.", org=site.org.name,
                   numbers=", ".join(u.login_id for u in outsiders)) in message
    assert gettext("Accounts deactivated: %(numbers)s.", numbers=inactive.login_id) in message
    assert message.endswith(gettext("Nothing was saved; correct the list and record again."))
    db.session.rollback()
    assert count(CollectiveStudy) == 0 and count(CollectiveAttendance) == 0
    for user in members + outsiders + [inactive]:
        assert ledger(user) == []


def test_member_numbers_are_checked_unknown_outside_repeated_and_blank(world, site, staffer, members):
    numbers = [members[0].login_id, "", "  ", "NO-SUCH-1", f"  {members[1].login_id.upper()} ",
               world["member_b1"].login_id, members[2].login_id, members[2].login_id.upper(), "no-such-2", ""]
    with pytest.raises(BaseRuleError) as error:
        services.record_collective_study(staffer, site, "学习", NOW, 60, 1, [members[3].id],
                                         member_numbers=numbers)
    assert str(error.value) == " ".join([
        gettext("Unknown member numbers: %(numbers)s.", numbers="NO-SUCH-1, no-such-2"),
        gettext("Listed more than once: %(numbers)s.", numbers=members[2].login_id),
        gettext("Not members of %(org)s: %(numbers)s.", org=site.org.name, numbers=world["member_b1"].login_id),
        gettext("Nothing was saved; correct the list and record again.")])
    db.session.rollback()
    assert count(CollectiveStudy) == 0
    assert all(ledger(member) == [] for member in members)


def test_blank_lines_and_spaces_around_numbers_are_no_mistake(site, staffer, members):
    numbers = ["", f"  {members[0].login_id}  ", "\t", members[1].login_id.upper(), ""]
    study = services.record_collective_study(staffer, site, "学习", NOW, 60, 1, [members[1].id, members[2].id],
                                             member_numbers=numbers)
    db.session.commit()
    assert attendee_ids(study) == {members[0].id, members[1].id, members[2].id}


def test_a_branch_site_does_not_reach_its_siblings(world, make_site, members):
    site = make_site(world["manager"], world["a1"])
    with pytest.raises(BaseRuleError) as error:
        record(world["manager"], site, [m.id for m in members])
    assert gettext("Not members of %(org)s: %(numbers)s.", org=site.org.name,
                   numbers=", ".join(m.login_id for m in members[5:])) in str(error.value)  # the five in A2
    db.session.rollback()
    study = record(world["manager"], site, [m.id for m in members[:5]])
    assert attendee_ids(study) == {m.id for m in members[:5]}


def test_correction_removes_then_adds_back_crediting_once(site, staffer, members):
    study = record(staffer, site, [m.id for m in members])
    wrong = members[3]

    services.correct_collective_attendance(staffer, fresh(study), wrong, False, "  实际未到场  ")
    db.session.commit()
    assert wrong.id not in attendee_ids(study)
    assert ledger(wrong) == []
    assert len(ledger(members[4])) == 1  # the others keep theirs
    [entry] = audits("collective_study.correct")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (staffer.id, "collective_study", study.id)
    assert entry.detail == {"user_id": wrong.id, "present": False, "reason": "实际未到场"}

    services.correct_collective_attendance(staffer, fresh(study), wrong, True, "补录")
    db.session.commit()
    assert wrong.id in attendee_ids(study)
    assert [(e.source_type, e.source_id) for e in ledger(wrong)] == [("collective_study", study.id)]
    assert len(audits("collective_study.correct")) == 2


def test_adding_someone_already_present_credits_nothing_more(site, staffer, members):
    study = record(staffer, site, [m.id for m in members])
    services.correct_collective_attendance(staffer, fresh(study), members[0], True, "重复补录")
    db.session.commit()
    assert count(CollectiveAttendance, CollectiveAttendance.study_id == study.id) == 10
    assert len(ledger(members[0])) == 1


def test_adding_a_forgotten_member_credits_hours_and_lessons(site, staffer, members, course):
    key = course.published.lessons[0].key
    study = record(staffer, site, [m.id for m in members[:3]], course, [key])
    services.correct_collective_attendance(staffer, fresh(study), members[5], True, "漏记")
    db.session.commit()
    assert [e.source_type for e in ledger(members[5])] == ["collective_study"]
    assert completed_keys(members[5]) == {key}


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_correction_without_reason_is_refused(site, staffer, members, reason):
    study = record(staffer, site, [m.id for m in members])
    for present in (False, True):
        with pytest.raises(BaseRuleError) as error:
            services.correct_collective_attendance(staffer, fresh(study), members[0], present, reason)
        assert refused_with(error, "Give the reason for the correction.")
        db.session.rollback()
    assert members[0].id in attendee_ids(study)
    assert len(ledger(members[0])) == 1
    assert audits("collective_study.correct") == []


def test_correction_cannot_add_an_outsider(world, site, staffer, members):
    study = record(staffer, site, [m.id for m in members])
    with pytest.raises(BaseRuleError):
        services.correct_collective_attendance(staffer, fresh(study), world["member_b1"], True, "补录")
    db.session.rollback()
    assert ledger(world["member_b1"]) == []


def test_only_staff_and_supervisors_record_and_correct(world, site, staffer, members):
    for actor in (members[0], world["other_supervisor"], world["member_b1"]):
        with pytest.raises(BaseRuleError):
            services.record_collective_study(actor, site, "t", NOW, 60, 1, [m.id for m in members])
        db.session.rollback()
    assert count(CollectiveStudy) == 0
    study = record(world["manager"], site, [m.id for m in members])  # the supervisor may, too
    with pytest.raises(BaseRuleError):
        services.correct_collective_attendance(members[0], fresh(study), members[1], False, "x")
    db.session.rollback()
    assert len(ledger(members[1])) == 1


# --- over HTTP ---------------------------------------------------------------------------------------

def study_form(course, first, ticked, scanned_lines):
    return {"title": "主题党日集中学习", "held_at": "2025-06-01T10:00", "minutes": "90", "hours": "1.5",
            "course_id": str(course.id), "lesson_keys": [first.key], "attendee_ids": [str(m.id) for m in ticked],
            "scanned": "\n".join(scanned_lines)}


def test_study_form_and_recording_over_http(world, site, staffer, members, course, login, make_user):
    first, second = course.published.lessons
    client = login(staffer)
    page = client.get(f"/sites/{site.id}/studies/new?course_id={course.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert first.title in text and second.title in text
    assert members[0].login_id in text and members[9].login_id in text
    assert world["member_b1"].login_id not in text

    ticked, scanned = members[:6], members[6:]
    lines = [m.login_id.upper() for m in scanned[:2]] + [f"  {m.login_id} " for m in scanned[2:]] + ["", "  "]
    response = client.post(f"/sites/{site.id}/studies/new", data=study_form(course, first, ticked, lines))
    assert response.status_code == 302 and location_path(response) == f"/sites/{site.id}/manage"
    db.session.expire_all()
    [study] = db.session.scalars(select(CollectiveStudy)).all()
    assert (study.title, study.minutes, study.hours, study.course_id) == ("主题党日集中学习", 90, Decimal("1.5"),
                                                                          course.id)
    assert as_utc(study.held_at) == datetime(2025, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert attendee_ids(study) == {m.id for m in members}
    for member in members:
        assert len(ledger(member, "collective_study")) == 1
        assert completed_keys(member) == {first.key}

    manage = client.get(f"/sites/{site.id}/manage")
    assert manage.status_code == 200 and "主题党日集中学习" in manage.get_data(as_text=True)


def test_bad_member_numbers_over_http_are_listed_nothing_is_saved_and_the_form_keeps_them(
        world, site, staffer, members, course, login):
    first = course.published.lessons[0]
    client = login(staffer)
    lines = [members[6].login_id, "", "no-such-member", world["member_b1"].login_id, members[7].login_id,
             members[7].login_id, "  "]
    response = client.post(f"/sites/{site.id}/studies/new?course_id={course.id}",
                           data=study_form(course, first, members[:3], lines))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "以下党员编号不存在：no-such-member。" in page
    assert f"以下党员编号重复：{members[7].login_id}。" in page
    assert f"以下党员不属于{site.org.name}：{world['member_b1'].login_id}。" in page
    assert "未保存任何内容；请更正名单后重新记录。" in page
    # what was typed and ticked is still there
    assert "\n".join(lines) in page
    assert 'value="主题党日集中学习"' in page
    for member in members[:3]:
        assert re.search(rf'<input[^>]*checked[^>]*value="{member.id}"|<input[^>]*value="{member.id}"[^>]*checked',
                         page)
    assert re.search(rf'<input[^>]*checked[^>]*value="{first.key}"|<input[^>]*value="{first.key}"[^>]*checked', page)
    assert count(CollectiveStudy) == 0 and count(CollectiveAttendance) == 0
    assert all(ledger(member) == [] for member in members)


def test_the_list_of_bad_numbers_in_english(world, site, staffer, members, course, login):
    client = login(staffer)
    client.post("/language", data={"language": "en", "next": "/"})
    page = client.post(f"/sites/{site.id}/studies/new", data=study_form(
        course, course.published.lessons[0], [], ["no-such-member", members[0].login_id]))
    assert page.status_code == 400
    assert "Unknown member numbers: no-such-member." in page.get_data(as_text=True)
    assert count(CollectiveStudy) == 0


def test_study_correction_over_http(site, staffer, members, login):
    study = record(staffer, site, [m.id for m in members])
    client = login(staffer)
    wrong = members[2]
    response = client.post(f"/sites/studies/{study.id}/correct",
                           data={"login_id": wrong.login_id, "present": "remove", "reason": ""})
    assert response.status_code == 302
    assert wrong.id in attendee_ids(study)
    page = client.post(f"/sites/studies/{study.id}/correct", data={
        "login_id": "no-such-member", "present": "add", "reason": "补录"}, follow_redirects=True)
    assert "没有编号为 no-such-member 的党员。" in page.get_data(as_text=True)
    assert audits("collective_study.correct") == []
    response = client.post(f"/sites/studies/{study.id}/correct",
                           data={"login_id": wrong.login_id, "present": "remove", "reason": "签错了"})
    assert response.status_code == 302 and location_path(response) == f"/sites/{site.id}/manage"
    assert wrong.id not in attendee_ids(study) and ledger(wrong) == []
    assert audits("collective_study.correct")[0].detail["reason"] == "签错了"


def test_study_pages_refuse_non_staff_non_supervisors(world, site, members, login, staffer):
    study = record(staffer, site, [m.id for m in members])
    for user in (members[0], world["other_supervisor"], world["member_b1"]):
        client = login(user)
        assert client.get(f"/sites/{site.id}/studies/new").status_code == 403
        assert client.post(f"/sites/{site.id}/studies/new", data={
            "title": "x", "held_at": "2025-06-01T10:00", "minutes": "60", "hours": "1",
            "attendee_ids": [str(members[1].id)]}).status_code == 403
        assert client.post(f"/sites/studies/{study.id}/correct", data={
            "login_id": members[1].login_id, "present": "remove", "reason": "x"}).status_code == 403
    assert count(CollectiveStudy) == 1
    assert len(ledger(members[1])) == 1
    assert login(members[0]).get("/sites/999999/studies/new").status_code == 404


def test_supervisor_of_the_parent_committee_manages_the_site(world, site, members, login, make_user):
    committee_supervisor = make_user(supervises=world["committee"])
    client = login(committee_supervisor)
    assert client.get(f"/sites/{site.id}/studies/new").status_code == 200
    assert client.get(f"/sites/{site.id}/manage").status_code == 200
    assert db.session.get(User, committee_supervisor.id).org_id is None


def test_roster_search_matches_typed_text_literally(world, site, staffer, members, login, make_user):
    special = make_user(world["a1"], real_name="王_100%")
    client = login(staffer)
    page = client.get(f"/sites/{site.id}/studies/new?q={members[3].login_id}").get_data(as_text=True)
    assert members[3].login_id in page and members[4].login_id not in page
    for wildcard in ("_", "%"):
        page = client.get(f"/sites/{site.id}/studies/new", query_string={"q": wildcard}).get_data(as_text=True)
        assert members[0].login_id not in page and members[9].login_id not in page
    page = client.get(f"/sites/{site.id}/studies/new", query_string={"q": "_100%"}).get_data(as_text=True)
    assert special.login_id in page and members[0].login_id not in page

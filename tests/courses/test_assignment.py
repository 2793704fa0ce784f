"""Assigning courses to parts of the organisation tree, my learning, the catalog and electives."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from courses import queries
from courses.models import Assignment, Enrolment, EnrolmentSource
from courses.permissions import can_learn
from courses.services import assignment
from courses.services.authoring import AuthoringError
from learning_app.extensions import db
from learning_app.models import AuditLog, MemberCategory
from learning_app.timezones import local_today
from tests.courses.helpers import fresh, location_path
from tests.html_forms import post_forms

DEADLINE = date.today() + timedelta(days=30)


def test_a_deadline_in_the_past_is_refused_and_nothing_is_assigned(supervisor, course, tree):
    """Every member would be overdue at once (82 were, in the field)."""
    with pytest.raises(AuthoringError, match="已经过去"):
        assignment.assign_course(supervisor, course, tree["a1"], deadline=local_today() - timedelta(days=1))
    db.session.rollback()
    assert assignment_count() == 0


def test_a_deadline_of_today_is_allowed(supervisor, course, tree):
    created = assignment.assign_course(supervisor, course, tree["a1"], deadline=local_today())
    db.session.commit()
    assert fresh(created).deadline == local_today()


def test_the_assign_form_shows_a_past_deadline_as_its_error_and_keeps_the_input(client, auth, supervisor,
                                                                                course, tree):
    auth.login(supervisor)
    yesterday = local_today() - timedelta(days=1)
    response = client.post(f"/courses/{course.id}/assign", data={
        "org_id": tree["a2"].id, "required": "y", "deadline": yesterday.isoformat(), "positions": "secretary"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and assignment_count() == 0
    assert "invalid-feedback" in page and f"截止日期 {yesterday.isoformat()} 已经过去" in page
    [form] = [form for form in post_forms(page, "") if ("deadline", yesterday.isoformat()) in form.fields]
    assert ("positions", "secretary") in form.fields and ("org_id", str(tree["a2"].id)) in form.fields


def assignment_count():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Assignment))


@pytest.fixture
def supervisor(tree, make_user):
    return make_user(tree["general_a"], supervises=tree["general_a"], real_name="总支书记")


@pytest.fixture
def course(author, make_course):
    """Published, but meant only for activists, so full members reach it only through an assignment."""
    return make_course(author, lessons=["article"], title="指派课程", audience_categories=",activist,")


def my_page(client, auth, user):
    auth.login(user)
    text = client.get("/courses/my").get_data(as_text=True)
    auth.logout()
    return text


def test_assignment_reaches_the_subtree_including_later_members(client, auth, supervisor, course, tree,
                                                                make_user):
    early = make_user(tree["a1"])
    created = assignment.assign_course(supervisor, course, tree["general_a"], deadline=DEADLINE)
    db.session.commit()
    late = make_user(tree["a2"])  # joins after the course was assigned
    outsider = make_user(tree["b1"])

    assert (created.org_id, created.deadline, created.required, created.assigned_by_id) == (
        tree["general_a"].id, DEADLINE, True, supervisor.id)
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "course.assign"))
    assert audit.actor_id == supervisor.id and audit.detail["org_id"] == tree["general_a"].id

    for user in (early, late):
        assert "指派课程" in my_page(client, auth, user)
        [item] = queries.my_learning(user)
        assert item["deadline"] == DEADLINE and not item["overdue"]
        assert can_learn(user, fresh(course))
    assert "指派课程" not in my_page(client, auth, outsider)
    assert queries.my_learning(outsider) == []
    assert not can_learn(outsider, fresh(course))


def test_assigned_lesson_opens_with_source_assigned(client, auth, supervisor, course, tree, make_user):
    assignment.assign_course(supervisor, course, tree["a1"])
    db.session.commit()
    member = make_user(tree["a1"])
    auth.login(member)
    key = fresh(course).published.lessons[0].key
    assert client.get(f"/courses/{course.id}/lessons/{key}").status_code == 200
    db.session.expire_all()
    enrolment = db.session.scalar(select(Enrolment))
    assert (enrolment.user_id, enrolment.source) == (member.id, EnrolmentSource.ASSIGNED)


def test_narrowing_by_category(supervisor, course, tree, make_user):
    assignment.assign_course(supervisor, course, tree["general_a"], categories=[MemberCategory.PROBATIONARY])
    db.session.commit()
    full = make_user(tree["a1"], category=MemberCategory.FULL)
    probationary = make_user(tree["a1"], category=MemberCategory.PROBATIONARY)
    assert queries.my_learning(full) == []
    assert [i["course_id"] for i in queries.my_learning(probationary)] == [course.id]
    assert not can_learn(full, fresh(course))
    assert db.session.scalar(select(Assignment)).categories == ",probationary,"


def test_a_course_assigned_twice_shows_once_with_the_earliest_deadline_and_required_if_either_is(
        client, auth, supervisor, course, tree, make_user):
    later = DEADLINE + timedelta(days=10)
    assignment.assign_course(supervisor, course, tree["general_a"], required=False, deadline=DEADLINE)
    assignment.assign_course(supervisor, course, tree["a1"], required=True, deadline=later)
    db.session.commit()
    member = make_user(tree["a1"])

    [item] = queries.my_learning(member)
    assert (item["course_id"], item["deadline"], item["required"]) == (course.id, DEADLINE, True)
    page = my_page(client, auth, member)
    assert page.count("指派课程") == 1 and DEADLINE.isoformat() in page and later.isoformat() not in page


def _let_deadline_pass(created, days=1):
    """An assignment whose deadline has passed since (none can be given a past deadline)."""
    created.deadline = local_today() - timedelta(days=days)
    db.session.commit()
    return created.deadline


def test_overdue_when_deadline_passed(supervisor, course, tree, make_user):
    _let_deadline_pass(assignment.assign_course(supervisor, course, tree["a1"], deadline=DEADLINE))
    [item] = queries.my_learning(make_user(tree["a1"]))
    assert item["overdue"] is True and item["percent"] == 0


def test_my_learning_cards_show_link_hours_and_deadline_or_overdue(client, auth, supervisor, course, tree,
                                                                   make_user, author, make_course):
    due_course = make_course(author, lessons=["article"], title="按期课程", hours=2.5)
    yesterday = _let_deadline_pass(assignment.assign_course(supervisor, course, tree["a1"], deadline=DEADLINE))
    assignment.assign_course(supervisor, due_course, tree["a1"], deadline=DEADLINE)
    db.session.commit()
    page = my_page(client, auth, make_user(tree["a1"]))
    overdue_card, due_card = page.split('<div class="card h-100')[1:3]  # overdue first: earliest deadline
    assert "border-danger" in overdue_card and f"已于 {yesterday.isoformat()} 逾期" in overdue_card
    assert f'href="/courses/{course.id}"' in overdue_card and 'is-overdue' in overdue_card
    assert "border-danger" not in due_card and f"截止 {DEADLINE.isoformat()}" in due_card
    assert f'href="/courses/{due_course.id}"' in due_card and "2.5 学时" in due_card


def test_withdrawn_assignment_no_longer_covers(supervisor, course, tree, make_user):
    created = assignment.assign_course(supervisor, course, tree["a1"])
    db.session.commit()
    member = make_user(tree["a1"])
    assignment.withdraw_assignment(supervisor, created)
    db.session.commit()
    assert queries.my_learning(member) == []
    assert not can_learn(member, fresh(course))


def test_supervisor_cannot_assign_outside_their_subtree(client, auth, supervisor, course, tree):
    with pytest.raises(AuthoringError):
        assignment.assign_course(supervisor, course, tree["general_b"])
    with pytest.raises(AuthoringError):
        assignment.assign_course(supervisor, course, tree["committee"])
    db.session.rollback()
    assert assignment_count() == 0

    auth.login(supervisor)
    response = client.post(f"/courses/{course.id}/assign", data={"org_id": tree["b1"].id, "required": "y"})
    assert response.status_code in (200, 400, 403, 404)
    assert assignment_count() == 0


def test_assign_over_http(client, auth, supervisor, course, tree, author, make_course):
    auth.login(supervisor)
    page = client.get(f"/courses/{course.id}/assign")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert tree["a1"].name in text and tree["b1"].name not in text
    response = client.post(f"/courses/{course.id}/assign", data={
        "org_id": tree["a2"].id, "required": "y", "deadline": DEADLINE.isoformat(), "categories": ["full"]})
    assert response.status_code == 302
    db.session.expire_all()
    created = db.session.scalar(select(Assignment))
    assert (created.org_id, created.deadline, created.categories, created.required) == (
        tree["a2"].id, DEADLINE, ",full,", True)
    # The supervisor is not in this activists' course audience: sent back to the assign page, not to a 404.
    assert location_path(response) == f"/courses/{course.id}/assign"
    assert client.get(location_path(response)).status_code == 200

    # A course the supervisor may learn: back to its page.
    everyone = make_course(author, title="全员课程")
    response = client.post(f"/courses/{everyone.id}/assign", data={"org_id": tree["general_a"].id})
    assert location_path(response) == f"/courses/{everyone.id}"
    assert client.get(location_path(response)).status_code == 200


def test_unpublished_course_cannot_be_assigned(client, auth, supervisor, author, make_course, tree):
    draft = make_course(author, lessons=["article"], publish=False)
    with pytest.raises(AuthoringError):
        assignment.assign_course(supervisor, draft, tree["a1"])
    db.session.rollback()
    auth.login(supervisor)
    assert client.get(f"/courses/{draft.id}/assign").status_code == 404
    assert client.post(f"/courses/{draft.id}/assign", data={"org_id": tree["a1"].id}).status_code == 404
    assert assignment_count() == 0


def test_plain_member_cannot_assign(client, auth, course, tree, make_user):
    auth.login(make_user(tree["a1"]))
    assert client.get(f"/courses/{course.id}/assign").status_code == 403
    assert client.post(f"/courses/{course.id}/assign", data={"org_id": tree["a1"].id}).status_code == 403
    assert assignment_count() == 0


# --- catalog and electives ---------------------------------------------------------------------------

def test_catalog_shows_only_published_courses_for_the_audience(client, auth, author, make_course, tree,
                                                               make_user):
    make_course(author, title="全体党员课")
    make_course(author, title="正式党员课", audience_categories=",full,")
    make_course(author, title="积极分子课", audience_categories=",activist,")
    make_course(author, title="书记课", audience_positions=",secretary,")
    make_course(author, title="尚未发布课", publish=False)
    member = make_user(tree["b1"], category=MemberCategory.FULL)
    auth.login(member)
    response = client.get("/courses/")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "全体党员课" in text and "正式党员课" in text
    assert "积极分子课" not in text and "书记课" not in text and "尚未发布课" not in text

    found = client.get("/courses/?q=正式").get_data(as_text=True)
    assert "正式党员课" in found and "全体党员课" not in found
    assert "全体党员课" not in client.get("/courses/?q=%25").get_data(as_text=True)


def test_elective_enrolment(client, auth, author, make_course, tree, make_user):
    course = make_course(author, title="选学课程")
    member = make_user(tree["b1"])
    auth.login(member)
    assert "选学课程" not in client.get("/courses/my").get_data(as_text=True)
    response = client.post(f"/courses/{course.id}/enrol")
    assert response.status_code == 302
    assert location_path(response) == f"/courses/{course.id}"
    client.post(f"/courses/{course.id}/enrol")  # twice: still one enrolment
    db.session.expire_all()
    [enrolment] = db.session.scalars(select(Enrolment)).all()
    assert (enrolment.user_id, enrolment.course_id, enrolment.source) == (member.id, course.id,
                                                                           EnrolmentSource.ELECTIVE)
    assert "选学课程" in client.get("/courses/my").get_data(as_text=True)


def test_elective_refused_outside_the_audience(author, course, tree, make_user):
    with pytest.raises(AuthoringError):
        assignment.enrol_elective(make_user(tree["a1"]), fresh(course))


def test_account_without_organisation_is_not_a_learner(client, auth, author, make_course):
    course = make_course(author)
    auth.login(author)
    assert client.get("/courses/my").status_code == 403
    assert client.get("/courses/").status_code == 403
    assert client.get(f"/courses/{course.id}").status_code == 404


def test_assigned_member_adding_the_course_gets_an_assigned_enrolment(client, auth, supervisor, course, tree,
                                                                      make_user):
    """An assigned member outside the audience who posts "add to my learning" (from a page rendered before the
    assignment: the page no longer offers it) gets an assigned enrolment."""
    assignment.assign_course(supervisor, course, tree["a1"])
    db.session.commit()
    member = make_user(tree["a1"])
    auth.login(member)
    response = client.post(f"/courses/{course.id}/enrol")
    assert location_path(response) == f"/courses/{course.id}"
    db.session.expire_all()
    [enrolment] = db.session.scalars(select(Enrolment)).all()
    assert (enrolment.user_id, enrolment.source) == (member.id, EnrolmentSource.ASSIGNED)


def test_an_assigned_course_offers_no_enrol_button(client, auth, supervisor, author, make_course, tree, make_user):
    """"加入我的学习" is for electives: an assigned course is the member's already, on its page and in the
    catalog (opening a lesson enrols them)."""
    assigned, elective = make_course(author, title="指派课程"), make_course(author, title="选学课程")
    assignment.assign_course(supervisor, assigned, tree["a1"])
    db.session.commit()
    auth.login(make_user(tree["a1"]))
    page = client.get(f"/courses/{assigned.id}").get_data(as_text=True)
    assert "指派课程" in page and "加入我的学习" not in page and f"/courses/{assigned.id}/enrol" not in page
    assert "本课程已指派给您" in page
    assert "加入我的学习" in client.get(f"/courses/{elective.id}").get_data(as_text=True)
    catalog = client.get("/courses/").get_data(as_text=True)
    assert "指派课程" in catalog and f"/courses/{assigned.id}/enrol" not in catalog

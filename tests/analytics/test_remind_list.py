""""提醒未完成的党员": a supervisor reminds everyone on an action list, at most once a day per list."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from analytics.filters import Filters
from analytics.models import ListReminder
from analytics.reminders import RemindRefused, remind_list
from courses.services import assignment
from learning_app.extensions import db
from learning_app.messages.models import Message, MessageKind
from learning_app.timezones import local_today
from tests.analytics.helpers import response_text


@pytest.fixture
def scene(tree, make_user, author, make_course):
    supervisor = make_user(tree["general_a"], supervises=tree["general_a"], real_name="甲总支书记")
    course = make_course(author, lessons=["article"], title="必学课程")
    assignment.assign_course(supervisor, course, tree["general_a"], deadline=local_today() + timedelta(days=30))
    members = [make_user(tree["a1"], real_name=f"甲一党员{n}") for n in range(60)]  # more than a page (50)
    db.session.commit()
    return {"supervisor": supervisor, "course": course, "members": members, "tree": tree,
            "other": make_user(tree["general_b"], supervises=tree["general_b"], real_name="乙总支书记"),
            "member": members[0], "outsider": make_user(tree["b1"], real_name="乙一党员")}


def reminders(kind=MessageKind.REMINDER):
    db.session.expire_all()
    return list(db.session.scalars(select(Message).where(Message.kind == kind)))


def url(scene, org=None, **args):
    query = "&".join(f"{k}={v}" for k, v in {"org": (org or scene["tree"]["general_a"]).id, **args}.items())
    return f"/dashboard/lists/not_started/remind?{query}"


def test_the_button_reminds_the_whole_list_once_each_with_the_note(client, auth, scene):
    auth.login(scene["supervisor"])
    page = client.get(f"/dashboard/lists/not_started?org={scene['tree']['general_a'].id}")
    assert "提醒未完成的党员" in response_text(page)
    response = client.post(url(scene, course=scene["course"].id), data={"note": "本周五前请完成"})
    assert response.status_code == 302
    got = reminders()
    # Everyone on the list (not only the 50 on the first page), the supervisor included, once each.
    assert len(got) == 61 and len({m.recipient_id for m in got}) == 61
    assert scene["outsider"].id not in {m.recipient_id for m in got}
    assert got[0].body.startswith("本周五前请完成") and got[0].link == f"/courses/{scene['course'].id}"
    assert "已提醒 61 名党员" in response_text(client.get(response.location))


def test_a_second_click_the_same_day_is_refused_in_the_users_language(client, auth, scene):
    auth.login(scene["supervisor"])
    client.post(url(scene), data={"note": ""})
    response = client.post(url(scene), data={"note": "再提醒一次"}, follow_redirects=True)
    assert "甲总支书记今天已经提醒过此名单上的党员" in response_text(response)
    assert len(reminders()) == 61
    client.post("/language", data={"language": "en"})
    text = response_text(client.post(url(scene), data={}, follow_redirects=True))
    assert "already reminded the members on this list today" in text


def test_the_same_list_can_be_reminded_again_the_next_day_and_another_list_today(scene):
    supervisor, root = scene["supervisor"], scene["tree"]["general_a"]
    today = local_today()
    remind_list(supervisor, root, Filters(), "not_started", today=today)
    db.session.commit()
    with pytest.raises(RemindRefused):
        remind_list(supervisor, root, Filters(), "not_started", today=today)
    db.session.rollback()
    remind_list(supervisor, root, Filters(course_id=scene["course"].id), "not_started", today=today)
    remind_list(supervisor, root, Filters(), "not_started", today=today + timedelta(days=1))
    db.session.commit()
    assert db.session.scalar(select(db.func.count()).select_from(ListReminder)) == 3
    assert len(reminders()) == 3 * 61


def test_wrong_role_other_subtree_and_a_long_note_are_refused(client, auth, scene):
    auth.login(scene["member"])
    assert client.post(url(scene), data={}).status_code == 403
    auth.logout()
    auth.login(scene["other"])
    assert client.post(url(scene), data={}).status_code == 404
    with pytest.raises(RemindRefused):
        remind_list(scene["other"], scene["tree"]["general_a"], Filters(), "not_started")
    db.session.rollback()
    auth.logout()
    auth.login(scene["supervisor"])
    response = client.post(url(scene), data={"note": "长" * 201}, follow_redirects=True)
    assert "备注最多 200 个字" in response_text(response)
    assert reminders() == []

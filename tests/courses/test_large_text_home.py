"""大字模式's home page: what to study next and this year's hours in large cards, big buttons, no tables."""
import re
from datetime import timedelta

from courses.services import assignment
from learning_app.extensions import db
from learning_app.timezones import local_today


def test_the_home_page_in_large_text_shows_what_to_study_next_without_dense_tables(
        client, auth, tree, make_user, author, make_course):
    member = make_user(tree["a1"], real_name="老党员")
    supervisor = make_user(tree["general_a"], supervises=tree["general_a"])
    course = make_course(author, title="党章党规学习")
    assignment.assign_course(supervisor, course, tree["a1"], deadline=local_today() + timedelta(days=5))
    db.session.commit()
    auth.login(member)
    normal = client.get("/").get_data(as_text=True)
    assert "<dl" in normal and "接下来学习" not in normal

    client.post("/large-text", data={"large_text": "on", "next": "/"})
    large = client.get("/").get_data(as_text=True)
    assert "<dl" not in large and "<table" not in large
    assert "接下来学习" in large and f'href="/courses/{course.id}"' in large and "党章党规学习" in large
    assert re.search(r"本年度学时|\d{4} 年学时", large)
    assert "btn-lg" in large and "今日练习" in large

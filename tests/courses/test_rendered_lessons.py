"""The lesson page keeps a published lesson's rendered article (courses.rendered_lessons): members see
the new text as soon as a new revision is published, and never an author's draft."""
import pytest

from courses import rendered_lessons
from courses.services import authoring, review
from learning_app.extensions import db
from tests.courses.helpers import fresh


@pytest.fixture
def member(tree, make_user):
    return make_user(tree["a1"], real_name="学习者")


@pytest.fixture
def course(author, make_course):
    return make_course(author, lessons=[{"kind": "article", "title": "党章导读",
                                               "body": "## 第一版\n\n预备期为一年。"}])


def lesson_page(client, course):
    course = fresh(course)
    lesson = course.published.lessons[0]
    response = client.get(f"/courses/{course.id}/lessons/{lesson.key}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def edit_article(course, author, body):
    course = fresh(course)
    key = course.published.lessons[0].key
    authoring.update_lesson(course, author, key, body=body)
    db.session.commit()
    return course


def test_member_sees_new_text_after_a_new_revision_is_published(client, auth, member, author, reviewer, course):
    auth.login(member)
    assert "第一版" in lesson_page(client, course)
    assert "第一版" in lesson_page(client, course)  # now served from what was kept
    course = edit_article(course, author, "## 第二版\n\n预备期满，支部讨论能否转正。")
    review.submit_for_review(course, author)
    review.approve(course, reviewer)
    db.session.commit()
    page = lesson_page(client, course)
    assert "第二版" in page and "第一版" not in page


def test_member_never_sees_the_draft_of_a_published_course(client, auth, member, author, course):
    auth.login(member)
    assert "第一版" in lesson_page(client, course)
    edit_article(course, author, "## 草稿内容\n\n尚未审核。")
    page = lesson_page(client, course)
    assert "第一版" in page and "草稿内容" not in page
    review.submit_for_review(fresh(course), author)  # awaiting review is not published either
    db.session.commit()
    page = lesson_page(client, course)
    assert "第一版" in page and "草稿内容" not in page


def test_a_draft_lesson_is_not_kept(app, author, course):
    course = edit_article(course, author, "## 草稿内容")
    draft_lesson = fresh(course).working.lessons[0]
    with app.test_request_context("/"):
        html = rendered_lessons.lesson_html(fresh(course), draft_lesson)
        assert "草稿内容" in html
        kept = app.extensions.get(rendered_lessons.STORE, {})
        assert not any(lesson_id == draft_lesson.id for lesson_id, _root in kept)

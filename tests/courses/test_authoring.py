"""Authoring: courses, chapters, lessons and files, through the services and the author's pages."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from courses.models import Course, CourseRevision, LessonKind, ReviewEvent, RevisionStatus
from courses.services import authoring, review
from courses.services.authoring import AuthoringError
from learning_app.extensions import db
from learning_app.models import AuditLog
from tests.courses.helpers import fixture_bytes, fresh, location_path

COURSE_FORM = {"title": "学习二十大精神", "summary": "专题学习", "tags": "理论学习，党史, 二十大", "hours": "2.5",
               "media_completion_ratio": "80", "reading_seconds": "30"}


def chapter_titles(course):
    return [c.title for c in fresh(course).latest.chapters]


def lesson_titles(course, chapter=0):
    return [lesson.title for lesson in fresh(course).latest.chapters[chapter].lessons]


@pytest.fixture
def draft(author):
    course = authoring.create_course(author, "党章学习")
    for title in ("甲", "乙", "丙"):
        authoring.add_chapter(course, author, title)
    for title in ("一", "二", "三"):
        authoring.add_lesson(course, author, 0, title, LessonKind.ARTICLE, body="正文")
    db.session.commit()
    return course


def test_create_course_over_http(client, auth, author):
    auth.login(author)
    response = client.post("/courses/authoring/new", data=COURSE_FORM)
    assert response.status_code == 302
    course = db.session.scalar(select(Course))
    assert location_path(response) == f"/courses/authoring/{course.id}"
    assert course.author_id == author.id
    assert course.published is None
    revision = course.working
    assert (revision.number, revision.status) == (1, RevisionStatus.DRAFT)
    assert revision.title == "学习二十大精神"
    assert revision.tags == ["理论学习", "党史", "二十大"]
    assert revision.hours == Decimal("2.5")
    assert revision.media_completion_ratio == pytest.approx(0.8)
    assert revision.reading_seconds == 30
    assert [e.action for e in db.session.scalars(select(ReviewEvent))] == ["create"]
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "course.create")).actor_id == author.id

    page = client.get(f"/courses/authoring/{course.id}")
    assert page.status_code == 200
    assert "学习二十大精神" in page.get_data(as_text=True)
    listing = client.get("/courses/authoring")
    assert listing.status_code == 200
    assert "学习二十大精神" in listing.get_data(as_text=True)


def test_create_course_refuses_invalid_form(client, auth, author):
    auth.login(author)
    response = client.post("/courses/authoring/new", data={**COURSE_FORM, "hours": "0"})
    assert response.status_code == 200
    assert db.session.scalar(select(Course)) is None


def test_add_chapter_and_lesson_over_http(client, auth, author):
    course = authoring.create_course(author, "新课")
    db.session.commit()
    auth.login(author)
    response = client.post(f"/courses/authoring/{course.id}/chapters", data={"chapter-title": "第一章"})
    assert response.status_code == 302
    assert chapter_titles(course) == ["第一章"]
    response = client.post(f"/courses/authoring/{course.id}/chapters/0/lessons",
                           data={"lesson-title": "视频课", "lesson-kind": "video"})
    assert response.status_code == 302
    lesson = fresh(course).working.lessons[0]
    assert (lesson.title, lesson.kind, lesson.position) == ("视频课", LessonKind.VIDEO, 0)
    assert location_path(response) == f"/courses/authoring/{course.id}/lessons/{lesson.key}"
    page = client.get(location_path(response))
    assert page.status_code == 200
    assert "视频课" in page.get_data(as_text=True)


def test_add_lesson_with_unknown_kind_is_refused(client, auth, author, draft):
    auth.login(author)
    client.post(f"/courses/authoring/{draft.id}/chapters/1/lessons",
                data={"lesson-title": "坏课", "lesson-kind": "flash"})
    assert lesson_titles(draft, 1) == []


def test_reorder_chapters_over_http(client, auth, author, draft):
    auth.login(author)
    assert client.post(f"/courses/authoring/{draft.id}/chapters/0/down").status_code == 302
    assert chapter_titles(draft) == ["乙", "甲", "丙"]
    assert [c.position for c in fresh(draft).working.chapters] == [0, 1, 2]
    client.post(f"/courses/authoring/{draft.id}/chapters/2/up")
    assert chapter_titles(draft) == ["乙", "丙", "甲"]
    client.post(f"/courses/authoring/{draft.id}/chapters/0/up")  # already first: stays
    assert chapter_titles(draft) == ["乙", "丙", "甲"]
    # The lessons travelled with their chapter.
    assert [lesson.title for lesson in fresh(draft).working.chapters[2].lessons] == ["一", "二", "三"]


def test_reorder_lessons_over_http(client, auth, author, draft):
    keys = [lesson.key for lesson in fresh(draft).working.lessons]
    auth.login(author)
    assert client.post(f"/courses/authoring/{draft.id}/lessons/{keys[2]}/up").status_code == 302
    assert lesson_titles(draft) == ["一", "三", "二"]
    client.post(f"/courses/authoring/{draft.id}/lessons/{keys[0]}/down")
    assert lesson_titles(draft) == ["三", "一", "二"]
    assert [lesson.position for lesson in fresh(draft).working.chapters[0].lessons] == [0, 1, 2]
    assert [lesson.key for lesson in fresh(draft).working.lessons] == [keys[2], keys[0], keys[1]]


def test_delete_lesson_and_chapter(client, auth, author, draft):
    keys = [lesson.key for lesson in fresh(draft).working.lessons]
    auth.login(author)
    client.post(f"/courses/authoring/{draft.id}/lessons/{keys[1]}/delete")
    assert lesson_titles(draft) == ["一", "三"]
    assert [lesson.position for lesson in fresh(draft).working.chapters[0].lessons] == [0, 1]
    client.post(f"/courses/authoring/{draft.id}/chapters/0/delete")
    assert chapter_titles(draft) == ["乙", "丙"]
    assert [c.position for c in fresh(draft).working.chapters] == [0, 1]
    assert fresh(draft).working.lessons == []


def test_delete_via_services(author, draft):
    key = fresh(draft).working.lessons[0].key
    authoring.delete_lesson(draft, author, key)
    authoring.delete_chapter(draft, author, 2)
    db.session.commit()
    assert lesson_titles(draft) == ["二", "三"]
    assert chapter_titles(draft) == ["甲", "乙"]
    with pytest.raises(AuthoringError):
        authoring.delete_lesson(draft, author, key)
    with pytest.raises(AuthoringError):
        authoring.delete_chapter(draft, author, 7)


def test_edit_lesson_over_http(client, auth, author, draft):
    key = fresh(draft).working.lessons[0].key
    auth.login(author)
    response = client.post(f"/courses/authoring/{draft.id}/lessons/{key}",
                           data={"title": "改过的标题", "body": "# 新正文"})
    assert response.status_code == 302
    lesson = fresh(draft).working.lessons[0]
    assert (lesson.title, lesson.body, lesson.required) == ("改过的标题", "# 新正文", False)
    assert client.get(f"/courses/authoring/{draft.id}/lessons/nosuchkey").status_code == 404


def test_update_course_over_http(client, auth, author, draft):
    auth.login(author)
    response = client.post(f"/courses/authoring/{draft.id}",
                           data={**COURSE_FORM, "title": "新标题", "audience_categories": ["full", "probationary"]})
    assert response.status_code == 302
    revision = fresh(draft).working
    assert revision.title == "新标题"
    assert revision.audience_categories == ",full,probationary,"
    assert revision.number == 1


def test_files_must_belong_to_the_course_and_suit_the_lesson(author, draft, make_course, store_file):
    other = make_course(author, lessons=["article"], title="别的课", publish=False)
    foreign = store_file(other, author, "image.png")
    own_pdf = store_file(draft, author, "document.pdf")
    video = authoring.add_lesson(draft, author, 1, "视频", LessonKind.VIDEO)
    db.session.commit()
    with pytest.raises(AuthoringError):
        authoring.attach_file(draft, author, video.key, own_pdf)
    with pytest.raises(AuthoringError):
        authoring.set_cover(draft, author, foreign)
    with pytest.raises(AuthoringError):
        authoring.set_cover(draft, author, own_pdf)
    images = authoring.add_lesson(draft, author, 1, "图集", LessonKind.IMAGES)
    with pytest.raises(AuthoringError):
        authoring.attach_file(draft, author, images.key, foreign)


def test_cover_upload_over_http(client, auth, author, draft):
    import io
    auth.login(author)
    response = client.post(f"/courses/authoring/{draft.id}/cover",
                           data={"cover-file": (io.BytesIO(fixture_bytes("image.jpg")), "封面.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    revision = fresh(draft).working
    assert revision.cover is not None
    assert revision.cover.extension == "jpg"
    assert client.get(f"/courses/files/{revision.cover_file_id}").status_code == 200


def test_submitted_course_cannot_be_edited(author, make_course):
    course = make_course(author, lessons=["article"], publish=False)
    review.submit_for_review(course, author)
    db.session.commit()
    with pytest.raises(AuthoringError):
        authoring.add_chapter(course, author, "又一章")
    with pytest.raises(AuthoringError):
        authoring.update_course(course, author, title="改")


@pytest.mark.parametrize("method, path", [
    ("get", "/courses/authoring/{id}"),
    ("post", "/courses/authoring/{id}"),
    ("post", "/courses/authoring/{id}/chapters"),
    ("post", "/courses/authoring/{id}/chapters/0/down"),
    ("post", "/courses/authoring/{id}/chapters/0/delete"),
    ("post", "/courses/authoring/{id}/chapters/0/lessons"),
    ("get", "/courses/authoring/{id}/lessons/{key}"),
    ("post", "/courses/authoring/{id}/lessons/{key}"),
    ("post", "/courses/authoring/{id}/lessons/{key}/up"),
    ("post", "/courses/authoring/{id}/lessons/{key}/delete"),
    ("post", "/courses/authoring/{id}/lessons/{key}/files"),
    ("post", "/courses/authoring/{id}/cover"),
    ("post", "/courses/authoring/{id}/submit"),
    ("post", "/courses/authoring/{id}/withdraw"),
])
@pytest.mark.parametrize("who", ["other_author", "member", "reviewer"])
def test_non_author_gets_403(client, auth, make_user, tree, reviewer, draft, method, path, who):
    user = {"other_author": lambda: make_user(roles=["author"]), "member": lambda: make_user(tree["a1"]),
            "reviewer": lambda: reviewer}[who]()
    key = fresh(draft).working.lessons[0].key
    auth.login(user)
    response = getattr(client, method)(path.format(id=draft.id, key=key), data={"chapter-title": "x"})
    assert response.status_code == 403
    assert chapter_titles(draft) == ["甲", "乙", "丙"]
    assert lesson_titles(draft) == ["一", "二", "三"]


def test_plain_member_cannot_open_authoring(client, auth, make_user, tree):
    auth.login(make_user(tree["a1"]))
    assert client.get("/courses/authoring").status_code == 403
    assert client.get("/courses/authoring/new").status_code == 403
    assert client.post("/courses/authoring/new", data=COURSE_FORM).status_code == 403
    assert db.session.scalar(select(Course)) is None


def test_unknown_course_is_404(client, auth, author):
    auth.login(author)
    assert client.get("/courses/authoring/999").status_code == 404


def test_admin_may_edit_any_course(client, auth, make_user, draft):
    auth.login(make_user(roles=["admin"]))
    assert client.get(f"/courses/authoring/{draft.id}").status_code == 200
    client.post(f"/courses/authoring/{draft.id}/chapters", data={"chapter-title": "丁"})
    assert chapter_titles(draft) == ["甲", "乙", "丙", "丁"]


def test_authoring_pages_show_the_course(client, auth, author, make_course):
    course = make_course(author, lessons=["video", "images", "attachment", "article"], title="图文并茂",
                         publish=False)
    auth.login(author)
    page = client.get(f"/courses/authoring/{course.id}")
    assert page.status_code == 200
    assert "图文并茂" in page.get_data(as_text=True)
    for lesson in fresh(course).working.lessons:
        response = client.get(f"/courses/authoring/{course.id}/lessons/{lesson.key}")
        assert response.status_code == 200
        assert lesson.title in response.get_data(as_text=True)
    assert db.session.scalars(select(CourseRevision)).all()[0].status == RevisionStatus.DRAFT

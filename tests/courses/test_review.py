"""Review before publish (先审后发): submission checks, approval, sending back, new revisions."""
import pytest
from sqlalchemy import select

from courses.models import Course, CourseRevision, LessonKind, ReviewEvent, RevisionStatus
from courses.services import authoring, review
from courses.services.authoring import AuthoringError
from learning_app.extensions import db
from learning_app.models import AuditLog
from tests.courses.helpers import fresh, location_path


def events(course):
    db.session.expire_all()
    return [(e.action, e.revision.number) for e in db.session.scalars(
        select(ReviewEvent).where(ReviewEvent.course_id == course.id).order_by(ReviewEvent.id))]


def audit_actions(course):
    return [a.action for a in db.session.scalars(
        select(AuditLog).where(AuditLog.target_type == "course", AuditLog.target_id == course.id)
        .order_by(AuditLog.id))]


@pytest.fixture
def member(tree, make_user):
    return make_user(tree["a1"])


@pytest.fixture
def ready(author, make_course):
    return make_course(author, lessons=["article", "video"], title="初版标题", publish=False)


# --- submission ------------------------------------------------------------------------------------

def test_course_without_lessons_cannot_be_submitted(author):
    course = authoring.create_course(author, "空课")
    db.session.commit()
    assert review.problems_before_submission(course.working)
    with pytest.raises(AuthoringError):
        review.submit_for_review(course, author)
    authoring.add_chapter(course, author, "空章")
    assert review.problems_before_submission(course.working)


@pytest.mark.parametrize("kind", ["video", "audio", "document", "images", "attachment"])
def test_lesson_without_its_file_blocks_submission(author, make_course, kind):
    course = make_course(author, lessons=["article", {"kind": kind, "file": None}], publish=False)
    assert len(review.problems_before_submission(fresh(course).working)) == 1
    with pytest.raises(AuthoringError):
        review.submit_for_review(course, author)


def test_empty_article_blocks_submission(author, make_course):
    course = make_course(author, lessons=[{"kind": "article", "body": "   "}], publish=False)
    assert review.problems_before_submission(fresh(course).working)


def test_submission_refused_over_http_leaves_draft(client, auth, author, make_course):
    course = make_course(author, lessons=[{"kind": "video", "file": None}], publish=False)
    auth.login(author)
    response = client.post(f"/courses/authoring/{course.id}/submit")
    assert response.status_code == 302
    revision = fresh(course).working
    assert revision.status == RevisionStatus.DRAFT
    assert revision.submitted_at is None
    assert [a for a, _ in events(course)] == ["create"]


# --- the whole path ----------------------------------------------------------------------------------

def test_draft_submitted_published_over_http(client, auth, author, reviewer, ready, member):
    auth.login(author)
    assert client.post(f"/courses/authoring/{ready.id}/submit").status_code == 302
    revision = fresh(ready).working
    assert revision.status == RevisionStatus.SUBMITTED
    assert revision.submitted_at is not None
    auth.logout()

    auth.login(member)
    assert client.get(f"/courses/{ready.id}").status_code == 404  # not yet published
    auth.logout()

    auth.login(reviewer)
    queue = client.get("/courses/review")
    assert queue.status_code == 200
    assert "初版标题" in queue.get_data(as_text=True)
    assert client.get(f"/courses/review/{ready.id}").status_code == 200
    response = client.post(f"/courses/review/{ready.id}/approve", data={"comment": "同意发布"})
    assert response.status_code == 302
    assert location_path(response) == "/courses/review"
    course = fresh(ready)
    assert course.working is None
    assert course.published.number == 1
    assert course.published.status == RevisionStatus.PUBLISHED
    assert course.published.reviewer_id == reviewer.id
    assert course.published.published_at is not None
    assert "初版标题" not in client.get("/courses/review").get_data(as_text=True)
    auth.logout()

    auth.login(member)
    page = client.get(f"/courses/{ready.id}")
    assert page.status_code == 200
    assert "初版标题" in page.get_data(as_text=True)

    assert events(ready) == [("create", 1), ("submit", 1), ("approve", 1)]
    approve = db.session.scalar(select(ReviewEvent).where(ReviewEvent.action == "approve"))
    assert (approve.actor_id, approve.comment) == (reviewer.id, "同意发布")
    assert audit_actions(ready) == ["course.create", "course.submit", "course.approve"]


def test_withdraw_returns_to_draft(client, auth, author, ready):
    review.submit_for_review(ready, author)
    db.session.commit()
    auth.login(author)
    client.post(f"/courses/authoring/{ready.id}/withdraw")
    assert fresh(ready).working.status == RevisionStatus.DRAFT
    assert [a for a, _ in events(ready)] == ["create", "submit", "withdraw"]
    assert audit_actions(ready)[-1] == "course.withdraw"
    with pytest.raises(AuthoringError):
        review.withdraw_from_review(fresh(ready), author)


def test_reject_requires_a_comment(client, auth, author, reviewer, ready):
    review.submit_for_review(ready, author)
    db.session.commit()
    with pytest.raises(AuthoringError):
        review.return_to_author(ready, reviewer, "  ")
    db.session.rollback()

    auth.login(reviewer)
    client.post(f"/courses/review/{ready.id}/reject", data={"comment": ""})
    assert fresh(ready).working.status == RevisionStatus.SUBMITTED
    response = client.post(f"/courses/review/{ready.id}/reject", data={"comment": "第二课视频不清晰，请重新上传"})
    assert response.status_code == 302
    course = fresh(ready)
    assert course.working.status == RevisionStatus.DRAFT
    assert course.published is None
    rejection = db.session.scalar(select(ReviewEvent).where(ReviewEvent.action == "reject"))
    assert rejection.comment == "第二课视频不清晰，请重新上传"
    assert rejection.actor_id == reviewer.id
    assert audit_actions(ready)[-1] == "course.reject"
    auth.logout()

    # The author sees the comment and can resubmit.
    auth.login(author)
    assert "第二课视频不清晰，请重新上传" in client.get(f"/courses/authoring/{ready.id}").get_data(as_text=True)
    client.post(f"/courses/authoring/{ready.id}/submit")
    assert fresh(ready).working.status == RevisionStatus.SUBMITTED


def test_only_submitted_courses_can_be_decided(reviewer, ready):
    with pytest.raises(AuthoringError):
        review.approve(ready, reviewer)
    with pytest.raises(AuthoringError):
        review.return_to_author(ready, reviewer, "请修改")


def test_author_who_reviews_cannot_approve_own_course(client, auth, make_user, make_course):
    both = make_user(roles=["author", "reviewer"])
    course = make_course(both, lessons=["article"], publish=False)
    review.submit_for_review(course, both)
    db.session.commit()
    with pytest.raises(AuthoringError):
        review.approve(course, both)
    with pytest.raises(AuthoringError):
        review.return_to_author(course, both, "自己退回")
    db.session.rollback()

    auth.login(both)
    queue = client.get("/courses/review")
    assert queue.status_code == 200
    assert "党章学习" not in queue.get_data(as_text=True)
    assert client.get(f"/courses/review/{course.id}").status_code == 200
    response = client.post(f"/courses/review/{course.id}/approve", data={"comment": ""})
    assert response.status_code == 302
    assert location_path(response) == f"/courses/review/{course.id}"
    course = fresh(course)
    assert course.working.status == RevisionStatus.SUBMITTED
    assert course.published is None
    assert [a for a, _ in events(course)] == ["create", "submit"]


def test_plain_member_cannot_review(client, auth, member, author, ready):
    review.submit_for_review(ready, author)
    db.session.commit()
    auth.login(member)
    assert client.get("/courses/review").status_code == 403
    assert client.get(f"/courses/review/{ready.id}").status_code == 403
    assert client.post(f"/courses/review/{ready.id}/approve", data={"comment": ""}).status_code == 403
    assert fresh(ready).working.status == RevisionStatus.SUBMITTED


def test_another_author_cannot_review(client, auth, make_user, author, ready):
    review.submit_for_review(ready, author)
    db.session.commit()
    auth.login(make_user(roles=["author"]))
    assert client.get(f"/courses/review/{ready.id}").status_code == 403
    assert client.post(f"/courses/review/{ready.id}/reject", data={"comment": "x"}).status_code == 403


# --- revisions -------------------------------------------------------------------------------------

def test_editing_published_course_starts_revision_two(client, auth, author, reviewer, ready, publish, member,
                                                      store_file):
    publish(ready)
    first = fresh(ready).published
    old_keys = [lesson.key for lesson in first.lessons]
    old_titles = [lesson.title for lesson in first.lessons]

    authoring.update_course(ready, author, title="修订标题")
    article_key = old_keys[0]
    authoring.update_lesson(ready, author, article_key, title="修订后的第一课", body="新的正文")
    extra = authoring.add_lesson(ready, author, 0, "新增一课", LessonKind.ARTICLE, body="新增")
    db.session.commit()

    course = fresh(ready)
    second = course.working
    assert (second.number, second.status) == (2, RevisionStatus.DRAFT)
    assert course.published.id == first.id
    assert course.published.status == RevisionStatus.PUBLISHED
    assert [lesson.key for lesson in second.lessons][:2] == old_keys
    assert second.lessons[2].key == extra.key
    assert {lesson.id for lesson in second.lessons}.isdisjoint({lesson.id for lesson in first.lessons})
    assert second.lessons[1].file_id == first.lessons[1].file_id
    assert second.lessons[1].duration_seconds == 4
    assert [a for a, _ in events(ready)][-1] == "new_revision"
    assert audit_actions(ready)[-1] == "course.new_revision"

    # Members still see revision 1 untouched.
    auth.login(member)
    page = client.get(f"/courses/{ready.id}").get_data(as_text=True)
    assert "初版标题" in page and "修订标题" not in page
    assert "新增一课" not in page and "修订后的第一课" not in page
    lesson_page = client.get(f"/courses/{ready.id}/lessons/{article_key}").get_data(as_text=True)
    assert old_titles[0] in lesson_page and "新的正文" not in lesson_page
    assert client.get(f"/courses/{ready.id}/lessons/{extra.key}").status_code == 404
    auth.logout()

    # Approving revision 2 supersedes revision 1.
    publish(ready)
    course = fresh(ready)
    assert course.published.number == 2
    assert course.working is None
    assert db.session.get(CourseRevision, first.id).status == RevisionStatus.SUPERSEDED
    assert [lesson.key for lesson in course.published.lessons] == old_keys + [extra.key]
    auth.login(member)
    page = client.get(f"/courses/{ready.id}").get_data(as_text=True)
    assert "修订标题" in page and "新增一课" in page
    assert [a for a, _ in events(ready)] == ["create", "submit", "approve", "new_revision", "submit", "approve"]
    assert [n for _, n in events(ready)] == [1, 1, 1, 2, 2, 2]


def test_edit_page_of_published_course_and_edit_over_http(client, auth, author, ready, publish):
    publish(ready)
    auth.login(author)
    assert client.get(f"/courses/authoring/{ready.id}").status_code == 200
    client.post(f"/courses/authoring/{ready.id}/chapters", data={"chapter-title": "第二章"})
    course = fresh(ready)
    assert course.working.number == 2
    assert [c.title for c in course.working.chapters] == ["第1章", "第二章"]
    assert [c.title for c in course.published.chapters] == ["第1章"]


def test_third_revision_numbers_on(author, ready, publish):
    publish(ready)
    authoring.update_course(ready, author, title="二")
    db.session.commit()
    publish(ready)
    authoring.update_course(ready, author, title="三")
    db.session.commit()
    course = fresh(ready)
    assert (course.published.number, course.working.number) == (2, 3)
    statuses = [r.status for r in db.session.scalars(
        select(CourseRevision).where(CourseRevision.course_id == ready.id).order_by(CourseRevision.number))]
    assert statuses == [RevisionStatus.SUPERSEDED, RevisionStatus.PUBLISHED, RevisionStatus.DRAFT]


def test_every_transition_is_recorded(author, reviewer, ready, publish):
    review.submit_for_review(ready, author)
    review.return_to_author(ready, reviewer, "请补充摘要")
    review.submit_for_review(ready, author)
    review.withdraw_from_review(ready, author)
    review.submit_for_review(ready, author)
    review.approve(ready, reviewer)
    authoring.update_course(ready, author, summary="补充")
    db.session.commit()
    expected = ["create", "submit", "reject", "submit", "withdraw", "submit", "approve", "new_revision"]
    assert [a for a, _ in events(ready)] == expected
    assert audit_actions(ready) == [f"course.{a}" for a in expected]
    actors = [e.actor_id for e in db.session.scalars(
        select(ReviewEvent).where(ReviewEvent.course_id == ready.id).order_by(ReviewEvent.id))]
    assert actors == [author.id, author.id, reviewer.id, author.id, author.id, author.id, reviewer.id, author.id]


def test_review_page_renders_for_reviewer(client, auth, reviewer, author, make_course):
    course = make_course(author, lessons=["video", "audio", "document", "images", "attachment",
                                          {"kind": "article", "body": "**重点**内容"}],
                         title="审核预览", publish=False)
    review.submit_for_review(course, author)
    db.session.commit()
    auth.login(reviewer)
    page = client.get(f"/courses/review/{course.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "审核预览" in text and "<strong>重点</strong>" in text
    assert db.session.scalar(select(Course)).id == course.id

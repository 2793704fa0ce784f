"""Pages issue a fixed number of SQL statements however many lessons, courses or assignments there are."""
import pytest

from courses import page_cache
from courses.models import EnrolmentSource
from courses.services import assignment, authoring, learning
from learning_app.extensions import db
from tests.courses.helpers import fresh

pytestmark = pytest.mark.query_budget

KINDS = ["article", "video", "images", "attachment", "document"]


def measure(client, count_queries, url, method="get", **kwargs):
    getattr(client, method)(url, **kwargs)  # warm-up: the same work, so caches are filled alike
    with count_queries() as counted:
        response = getattr(client, method)(url, **kwargs)
    assert response.status_code == 200, url
    return counted["n"]


@pytest.fixture
def scenario(author, make_course, store_file, publish, tree, make_user, make_org):
    """scenario(n): a course of n lessons (mixed kinds, n//5+1 chapters, article images), published;
    a member of branch a1 who opened every lesson; n other courses assigned to a1, half enrolled;
    n assignments of the big course, to n branches."""
    def factory(n):
        course = make_course(author, lessons=[KINDS[i % len(KINDS)] for i in range(n)], chapters=n // 5 + 1,
                             publish=False, title=f"预算课程{n}")
        picture = store_file(course, author, "image.png")
        for lesson in fresh(course).working.lessons:
            if lesson.kind.value == "article":
                authoring.update_lesson(course, author, lesson.key, body=f"配图 ![图](upload:{picture.id})")
        db.session.commit()
        publish(course)
        course = fresh(course)

        member = make_user(tree["a1"], real_name=f"党员{n}")
        supervisor = make_user(tree["committee"], supervises=tree["committee"])
        for lesson in course.published.lessons:
            learning.open_lesson(member, course, lesson, EnrolmentSource.ELECTIVE)
        for index in range(n):
            other = make_course(author, title=f"指派{n}-{index}")
            assignment.assign_course(supervisor, other, tree["a1"])
            if index % 2:
                learning.ensure_enrolment(member, other, EnrolmentSource.ASSIGNED)
            org = make_org("branch", tree["general_a"], f"支部{n}-{index}")
            assignment.assign_course(supervisor, course, org)
        db.session.commit()
        return course, member, supervisor
    return factory


@pytest.fixture
def counts(client, auth, count_queries, scenario, author):
    """counts(n) -> statements per page for the scenario of size n."""
    def factory(n):
        course, member, supervisor = scenario(n)
        lessons = course.published.lessons
        article = next(lesson for lesson in lessons if lesson.kind.value == "article")
        video = next((lesson for lesson in lessons if lesson.kind.value == "video"), None)
        result = {}
        auth.login(member)
        result["lesson"] = measure(client, count_queries, f"/courses/{course.id}/lessons/{article.key}")
        if video is not None:
            result["video lesson"] = measure(client, count_queries, f"/courses/{course.id}/lessons/{video.key}")
        result["course"] = measure(client, count_queries, f"/courses/{course.id}")
        result["my"] = measure(client, count_queries, "/courses/my")  # served again: see courses.page_cache
        client.application.extensions[page_cache.STORE].clear()
        with count_queries() as counted:
            assert client.get("/courses/my").status_code == 200
        result["my, rendered"] = counted["n"]
        result["catalog"] = measure(client, count_queries, "/courses/")
        result["hours"] = measure(client, count_queries, "/courses/hours")
        auth.logout()
        auth.login(supervisor)
        result["course (supervisor)"] = measure(client, count_queries, f"/courses/{course.id}")
        result["assign"] = measure(client, count_queries, f"/courses/{course.id}/assign")
        auth.logout()
        auth.login(author)
        result["edit"] = measure(client, count_queries, f"/courses/authoring/{course.id}")
        result["authoring list"] = measure(client, count_queries, "/courses/authoring")
        auth.logout()
        return result
    return factory


def test_pages_issue_the_same_number_of_statements_for_2_and_20(counts):
    small, large = counts(2), counts(20)
    small.pop("video lesson", None)
    large.pop("video lesson", None)
    assert small == large


def test_video_lesson_page_is_constant(counts):
    assert counts(6)["video lesson"] == counts(20)["video lesson"]


def test_review_page_is_constant(client, auth, reviewer, author, make_course, count_queries):
    from courses.services import review

    def page(n):
        course = make_course(author, lessons=[KINDS[i % len(KINDS)] for i in range(n)], publish=False,
                             title=f"审核{n}")
        review.submit_for_review(course, author)
        db.session.commit()
        return measure(client, count_queries, f"/courses/review/{course.id}")

    auth.login(reviewer)
    assert page(2) == page(20)
    assert measure(client, count_queries, "/courses/review") > 0

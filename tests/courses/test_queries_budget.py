"""Pages issue a fixed number of SQL statements however many lessons, courses or assignments there are."""
import re

import pytest

from courses import page_cache
from courses.models import EnrolmentSource
from courses.services import assignment, authoring, learning
from learning_app.extensions import db
from tests.courses.helpers import fresh
from tests.statements import record_statements

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


def test_returning_to_a_lesson_reads_no_assignment_and_a_heartbeat_no_enrolment(client, auth, tree, make_user,
                                                                                author, make_course):
    """An enrolled member's lesson view does not ask again how they came to the course; a heartbeat
    of a required lesson not yet done does not read the enrolment (the course cannot be complete)."""
    member = make_user(tree["a1"])
    course = make_course(author, lessons=["video"])
    lesson = course.published.lessons[0]
    url = f"/courses/{course.id}/lessons/{lesson.key}"
    auth.login(member)
    first = record_statements(lambda: client.get(url))
    assert any("from assignment" in s for s in first)  # the first view enrols: assigned or elective
    pages = []
    again = record_statements(lambda: pages.append(client.get(url)))
    assert pages[0].status_code == 200
    assert not any("from assignment" in s for s in again), again
    token = re.search(r'data-token="([0-9a-f]+)"', pages[0].get_data(as_text=True)).group(1)
    replies = []
    heartbeat = record_statements(lambda: replies.append(client.post(
        f"{url}/progress", json={"token": token, "played": 1.0, "position": 1.0})))
    assert replies[0].status_code == 200 and replies[0].json["course_completed"] is False
    assert not any("from enrolment" in s for s in heartbeat), heartbeat

"""`seed-demo` builds a believable organisation once, with a login for every role."""
from collections import Counter

import pytest
from sqlalchemy import func, select

from learning_app.demo import DEMO_ACCOUNTS
from learning_app.extensions import db
from learning_app.models import MemberCategory, Organization, OrgKind, User


@pytest.fixture
def seeded(app, runner, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result


def test_demo_has_a_committee_general_branches_and_branches(seeded):
    kinds = Counter(db.session.scalars(select(Organization.kind)))
    assert kinds[OrgKind.COMMITTEE] == 1
    assert kinds[OrgKind.GENERAL_BRANCH] >= 3
    assert kinds[OrgKind.BRANCH] >= 12


def test_demo_has_about_300_members_in_every_category(seeded):
    assert 250 <= db.session.scalar(select(func.count()).select_from(User)) <= 450
    categories = set(db.session.scalars(select(User.category).distinct()))
    assert categories == set(MemberCategory)


def test_demo_prints_and_accepts_every_role_login(seeded, app):
    for login_id, password, _ in DEMO_ACCOUNTS:
        assert login_id in seeded.output and password in seeded.output
        client = app.test_client()
        assert client.post("/auth/login", data={"login_id": login_id, "password": password}).location == "/"


def test_each_demo_role_sees_its_own_navigation(seeded, app):
    expected = {"admin": "/admin/audit/", "supervisor": "/members/", "author": "/courses/authoring",
                "reviewer": "/courses/review", "member": "/courses/my"}
    passwords = {login: password for login, password, _ in DEMO_ACCOUNTS}
    for login_id, link in expected.items():
        client = app.test_client()
        client.post("/auth/login", data={"login_id": login_id, "password": passwords[login_id]})
        assert f'href="{link}"' in client.get("/").get_data(as_text=True)
    client = app.test_client()
    client.post("/auth/login", data={"login_id": "member", "password": passwords["member"]})
    assert 'href="/admin/audit/"' not in client.get("/").get_data(as_text=True)


def test_demo_member_has_the_demo_course_assigned(seeded, app):
    client = app.test_client()
    client.post("/auth/login", data={"login_id": "member", "password": "Member@2026"})
    assert "示范课程" in client.get("/courses/my").get_data(as_text=True)


def test_seeding_twice_changes_nothing(seeded, runner):
    before = db.session.scalar(select(func.count()).select_from(User))
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_demo_member_can_take_and_pass_the_published_demo_quiz(seeded, app):
    from quizzes.demo import DEMO_QUIZ
    from quizzes.models import Attempt, Quiz
    client = app.test_client()
    client.post("/auth/login", data={"login_id": "member", "password": "Member@2026"})
    quiz = db.session.scalar(select(Quiz).where(Quiz.title == DEMO_QUIZ))
    assert quiz.is_published and DEMO_QUIZ in client.get("/quizzes/").get_data(as_text=True)
    started = client.post(f"/quizzes/{quiz.id}/start")
    assert started.status_code == 302 and "/quizzes/attempts/" in started.location
    attempt = db.session.scalar(select(Attempt).where(Attempt.quiz_id == quiz.id))
    assert len(attempt.answers) >= 5
    form = {"action": "submit"}
    for answer in attempt.answers:  # the right answer to every question, as the member would pick it
        form[f"q{answer.position}"] = ("true" if answer.question.answer else "false") \
            if answer.question.type.value == "true_false" else answer.question.answer
    result = client.post(f"/quizzes/attempts/{attempt.id}/save", data=form, follow_redirects=True)
    assert result.status_code == 200
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.passed is True and attempt.score == attempt.max_score


def test_demo_course_has_an_article_of_realistic_length_with_headings(seeded):
    from courses.models import Course, LessonKind
    course = db.session.scalar(select(Course).where(Course.published_revision_id.is_not(None)))
    articles = [lesson for lesson in course.published.lessons if lesson.kind == LessonKind.ARTICLE]
    kinds = {lesson.kind for lesson in course.published.lessons}
    assert kinds >= {LessonKind.ARTICLE, LessonKind.AUDIO, LessonKind.VIDEO}
    body = articles[0].body
    assert body.count("\n## ") >= 3 and len([c for c in body if "\u4e00" <= c <= "\u9fff"]) >= 500

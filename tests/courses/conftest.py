"""Factories for the courses tests: uploads into a temporary directory, courses built through the services."""
import io

import pytest
from sqlalchemy import update

from courses.models import Course, FileKind, LessonKind
from courses.services import authoring, review
from courses.uploads import save_upload
from learning_app.extensions import db
from tests.courses.helpers import DEFAULT_FILES, fixture_bytes


@pytest.fixture(autouse=True)
def _unlink_revisions_before_drop(app):
    """course <-> course_revision point at each other; SQLite cannot drop the constraint, so the
    shared teardown's drop_all fails on published courses unless the pointers are cleared first."""
    yield
    db.session.rollback()
    db.session.execute(update(Course).values(published_revision_id=None, working_revision_id=None))
    db.session.commit()


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path):
    path = tmp_path / "uploads"
    app.config["UPLOAD_DIR"] = str(path)
    return path


@pytest.fixture
def author(make_user):
    return make_user(roles=["author"], real_name="作者甲")


@pytest.fixture
def reviewer(make_user):
    return make_user(roles=["reviewer"], real_name="审核员乙")


@pytest.fixture
def store_file():
    """store_file(course, uploader, name, data=None, allowed=None) -> StoredFile, saved and recorded."""
    def factory(course, uploader, name, data=None, allowed=None):
        if data is None:
            data = fixture_bytes(name)
        saved = save_upload(io.BytesIO(data), name, set(allowed or FileKind))
        stored = authoring.record_file(course, uploader, saved, name)
        db.session.commit()
        return stored
    return factory


@pytest.fixture
def publish(reviewer):
    """publish(course, by=None): submit as the author and approve as a reviewer."""
    def do(course, by=None):
        review.submit_for_review(course, course.author)
        review.approve(course, by or reviewer)
        db.session.commit()
        return course
    return do


@pytest.fixture
def make_course(store_file, publish):
    """make_course(author, lessons=("article",), title=..., publish=True, chapters=1, **fields) -> Course.

    A lesson is a kind ("video") or a dict with kind, title, body, file (a fixture name or None for none),
    duration and required. Lessons are spread round-robin over the chapters.
    """
    publisher = publish

    def factory(author, lessons=("article",), title="党章学习", publish=True, chapters=1, reviewer=None,
                **fields):
        course = authoring.create_course(author, title, **fields)
        for index in range(chapters):
            authoring.add_chapter(course, author, f"第{index + 1}章")
        db.session.commit()
        for index, spec in enumerate(lessons):
            spec = {"kind": spec} if isinstance(spec, str) else dict(spec)
            kind = LessonKind(spec["kind"])
            lesson = authoring.add_lesson(
                course, author, index % chapters, spec.get("title", f"第{index + 1}课"), kind,
                body=spec.get("body", "学习内容" if kind == LessonKind.ARTICLE else ""),
                required=spec.get("required", True))
            key = lesson.key
            file_name = spec.get("file", DEFAULT_FILES.get(kind))
            if file_name:
                stored = store_file(course, author, file_name)
                authoring.attach_file(course, author, key, stored)
            if spec.get("duration"):
                authoring.update_lesson(course, author, key, duration_seconds=spec["duration"])
            db.session.commit()
        if publish:
            publisher(course, reviewer)
        return course
    return factory

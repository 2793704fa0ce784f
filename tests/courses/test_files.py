"""Serving material: only to those who may see it, with ranges and headers that keep browsers safe."""
from urllib.parse import quote

import pytest

from courses.models import FileKind, LessonKind
from courses.services import assignment, authoring
from learning_app.extensions import db
from tests.courses.helpers import docx_bytes, fixture_bytes, fresh, location_path

MP4 = fixture_bytes("lesson.mp4")


def file_url(stored_or_id):
    return f"/courses/files/{getattr(stored_or_id, 'id', stored_or_id)}"


@pytest.fixture
def course(author, make_course):
    """A published course with a video, an audio, a PDF, an image set and a docx download."""
    return make_course(author, lessons=[
        "video", {"kind": "audio", "file": "lesson.m4a"}, "document", "images",
        {"kind": "attachment", "file": None}, "article",
    ], publish=False)


@pytest.fixture
def files(course, author, store_file, publish):
    """The course's files by lesson kind, after adding a docx and a PNG called .pdf to the download lesson."""
    lessons = {lesson.kind: lesson for lesson in course.working.lessons}
    key = lessons[LessonKind.ATTACHMENT].key
    docx = store_file(course, author, "学习提纲.docx", data=docx_bytes())
    disguised = store_file(course, author, "report.pdf", data=fixture_bytes("image.png"))
    authoring.attach_file(course, author, key, docx)
    authoring.attach_file(course, author, key, disguised)
    db.session.commit()
    publish(course)
    return {"video": lessons[LessonKind.VIDEO].file, "audio": lessons[LessonKind.AUDIO].file,
            "pdf": lessons[LessonKind.DOCUMENT].file, "image": lessons[LessonKind.IMAGES].extra_files[0].file,
            "docx": docx, "disguised": disguised}


@pytest.fixture
def member(tree, make_user):
    return make_user(tree["a1"], real_name="党员甲")


def test_whole_file_with_safe_headers(client, auth, member, files):
    auth.login(member)
    response = client.get(file_url(files["video"]))
    assert response.status_code == 200
    assert response.data == MP4
    assert response.headers["Content-Type"].startswith("video/mp4")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "private" in response.headers["Cache-Control"]
    assert "sandbox" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("first, last", [(0, 99), (100, 1099), (len(MP4) - 10, len(MP4) - 1)])
def test_range_request_returns_partial_content(client, auth, member, files, first, last):
    auth.login(member)
    response = client.get(file_url(files["video"]), headers={"Range": f"bytes={first}-{last}"})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/{len(MP4)}"
    assert response.data == MP4[first:last + 1]
    assert int(response.headers["Content-Length"]) == last - first + 1
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_open_ended_and_unsatisfiable_ranges(client, auth, member, files):
    auth.login(member)
    response = client.get(file_url(files["video"]), headers={"Range": "bytes=14000-"})
    assert response.status_code == 206
    assert response.data == MP4[14000:]
    assert response.headers["Content-Range"] == f"bytes 14000-{len(MP4) - 1}/{len(MP4)}"
    response = client.get(file_url(files["video"]), headers={"Range": f"bytes={len(MP4) + 10}-"})
    assert response.status_code == 416


@pytest.mark.parametrize("name, disposition, extension", [
    ("video", "inline", "mp4"), ("audio", "inline", "m4a"), ("pdf", "inline", "pdf"),
    ("image", "inline", "png"), ("docx", "attachment", "docx"), ("disguised", "inline", "png"),
])
def test_content_disposition(client, auth, member, files, name, disposition, extension):
    auth.login(member)
    stored = files[name]
    response = client.get(file_url(stored))
    assert response.status_code == 200
    header = response.headers["Content-Disposition"]
    assert header.startswith(disposition + ";")
    assert f'filename="file-{stored.id}.{extension}"' in header
    stem = stored.original_name.rsplit(".", 1)[0]
    assert f"filename*=UTF-8''{quote(stem + '.' + extension)}" in header
    assert response.headers["Content-Type"].startswith(stored.mime_type)


def test_disguised_png_is_served_as_png(client, auth, member, files):
    auth.login(member)
    response = client.get(file_url(files["disguised"]))
    assert response.headers["Content-Type"] == "image/png"
    assert "report.png" in response.headers["Content-Disposition"]
    assert ".pdf" not in response.headers["Content-Disposition"]


def test_anonymous_is_sent_to_login(client, files):
    response = client.get(file_url(files["video"]))
    assert response.status_code == 302
    assert location_path(response) == "/auth/login"


def test_missing_file_is_404(client, auth, member, files):
    auth.login(member)
    assert client.get(file_url(9999)).status_code == 404


def test_file_only_in_a_new_draft_revision_is_hidden_from_members(client, auth, member, author, course, files,
                                                                  store_file):
    key = fresh(course).published.lessons[0].key
    authoring.update_lesson(course, author, key, title="新标题")  # starts revision 2
    newer = store_file(course, author, "lesson.mp4")
    authoring.attach_file(course, author, key, newer)
    db.session.commit()
    auth.login(member)
    assert client.get(file_url(newer)).status_code == 404
    assert client.get(file_url(files["video"])).status_code == 200
    auth.logout()
    auth.login(author)
    assert client.get(file_url(newer)).status_code == 200


# --- reach: another branch, drafts ---------------------------------------------------------------

@pytest.fixture
def restricted(author, make_course, tree, make_user):
    """A course meant only for activists, assigned to general branch A: full members of A learn it, B's don't."""
    course = make_course(author, lessons=["video", "article"], audience_categories=",activist,")
    supervisor = make_user(tree["general_a"], supervises=tree["general_a"])
    assignment.assign_course(supervisor, course, tree["general_a"])
    db.session.commit()
    return course


def test_member_of_another_branch_cannot_reach_course_lesson_progress_or_files(client, auth, restricted, tree,
                                                                              make_user):
    course = fresh(restricted)
    video, article = course.published.lessons
    insider, outsider = make_user(tree["a1"]), make_user(tree["b1"])

    auth.login(insider)
    assert client.get(f"/courses/{course.id}").status_code == 200
    assert client.get(f"/courses/{course.id}/lessons/{video.key}").status_code == 200
    assert client.get(file_url(video.file_id)).status_code == 200
    auth.logout()

    auth.login(outsider)
    assert client.get(f"/courses/{course.id}").status_code == 404
    assert client.get(f"/courses/{course.id}/lessons/{video.key}").status_code == 404
    assert client.get(f"/courses/{course.id}/lessons/{article.key}").status_code == 404
    response = client.post(f"/courses/{course.id}/lessons/{video.key}/progress",
                           json={"token": "x", "played": 1, "position": 1})
    assert response.status_code == 404
    assert client.get(file_url(video.file_id)).status_code == 404
    assert client.get(file_url(video.file_id), headers={"Range": "bytes=0-9"}).status_code == 404
    assert client.post(f"/courses/{course.id}/enrol").status_code == 404


def test_draft_course_files_only_for_author_and_reviewers(client, auth, author, reviewer, make_course, tree,
                                                          make_user):
    course = make_course(author, lessons=["video"], publish=False)
    stored = fresh(course).working.lessons[0].file
    member = make_user(tree["a1"])
    other_author = make_user(roles=["author"])

    auth.login(member)
    assert client.get(file_url(stored)).status_code == 404
    assert client.get(f"/courses/{course.id}").status_code == 404
    auth.logout()
    auth.login(other_author)
    assert client.get(file_url(stored)).status_code == 404
    auth.logout()
    auth.login(author)
    assert client.get(file_url(stored)).status_code == 200
    auth.logout()
    auth.login(reviewer)
    response = client.get(file_url(stored), headers={"Range": "bytes=0-15"})
    assert response.status_code == 206
    assert response.data == MP4[:16]


def test_file_kinds_match_lesson(files):
    assert files["video"].kind == FileKind.VIDEO
    assert files["audio"].kind == FileKind.AUDIO
    assert files["pdf"].kind == FileKind.PDF
    assert files["image"].kind == FileKind.IMAGE
    assert files["docx"].kind == FileKind.OFFICE

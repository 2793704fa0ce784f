"""Uploads are recognised by their content, limited per kind and stored under random names."""
import hashlib
import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from courses.models import FileKind, LessonKind, StoredFile
from courses.services import authoring, review
from courses.services.authoring import AuthoringError
from courses.uploads import UploadRefused, save_upload, storage_path
from learning_app.extensions import db
from tests.courses.helpers import docx_bytes, files_under, fixture_bytes, fresh

TEXT = b"This is plain text, not a video.\n" * 50
SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>')
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
ALL_KINDS = set(FileKind)


def stored_count():
    return db.session.scalar(select(func.count()).select_from(StoredFile))


@pytest.fixture
def draft(author):
    course = authoring.create_course(author, "上传测试")
    authoring.add_chapter(course, author, "第一章")
    db.session.commit()
    return course


@pytest.fixture
def lesson_of(draft, author):
    """lesson_of(kind) -> key of a new lesson of that kind in the draft."""
    def make(kind):
        lesson = authoring.add_lesson(draft, author, 0, f"{kind}课", LessonKind(kind))
        db.session.commit()
        return lesson.key
    return make


def upload_via_http(client, course, key, name, data, caption=""):
    return client.post(f"/courses/authoring/{course.id}/lessons/{key}/files",
                       data={"upload-file": (io.BytesIO(data), name), "upload-caption": caption},
                       content_type="multipart/form-data")


# --- content recognition --------------------------------------------------------------------------

def test_text_renamed_mp4_is_refused_and_nothing_is_left(upload_dir):
    with pytest.raises(UploadRefused):
        save_upload(io.BytesIO(TEXT), "lesson.mp4", {FileKind.VIDEO})
    assert files_under(upload_dir) == []


def test_text_renamed_mp4_is_refused_over_http(client, auth, author, draft, lesson_of, upload_dir):
    key = lesson_of("video")
    auth.login(author)
    response = upload_via_http(client, draft, key, "lesson.mp4", TEXT)
    assert response.status_code == 302
    assert stored_count() == 0
    assert files_under(upload_dir) == []
    assert fresh(draft).working.lessons[0].file_id is None


@pytest.mark.parametrize("name, data", [
    ("drawing.svg", SVG), ("drawing.png", SVG), ("page.html", HTML), ("page.pdf", HTML), ("page.htm", HTML),
])
def test_svg_and_html_are_refused(name, data, upload_dir):
    with pytest.raises(UploadRefused):
        save_upload(io.BytesIO(data), name, ALL_KINDS)
    assert files_under(upload_dir) == []


def test_svg_refused_over_http_for_image_set(client, auth, author, draft, lesson_of, upload_dir):
    key = lesson_of("images")
    auth.login(author)
    assert upload_via_http(client, draft, key, "logo.svg", SVG).status_code == 302
    assert stored_count() == 0
    assert files_under(upload_dir) == []


def test_png_renamed_pdf_is_stored_as_png(author, draft, store_file):
    stored = store_file(draft, author, "report.pdf", data=fixture_bytes("image.png"))
    assert stored.kind == FileKind.IMAGE
    assert stored.mime_type == "image/png"
    assert stored.extension == "png"
    assert stored.original_name == "report.pdf"


def test_png_renamed_pdf_is_not_accepted_where_only_pdf_is(upload_dir):
    with pytest.raises(UploadRefused):
        save_upload(io.BytesIO(fixture_bytes("image.png")), "report.pdf", {FileKind.PDF})
    assert files_under(upload_dir) == []


def test_png_renamed_pdf_uploaded_as_attachment_over_http(client, auth, author, draft, lesson_of):
    key = lesson_of("attachment")
    auth.login(author)
    response = upload_via_http(client, draft, key, "report.pdf", fixture_bytes("image.png"), caption="附图")
    assert response.status_code == 302
    lesson = fresh(draft).working.lessons[0]
    assert len(lesson.extra_files) == 1
    stored = lesson.extra_files[0].file
    assert (stored.kind, stored.mime_type, stored.extension) == (FileKind.IMAGE, "image/png", "png")
    assert lesson.extra_files[0].caption == "附图"


def test_zip_that_is_not_an_office_document_is_refused(upload_dir):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
        archive.writestr("word/fake.xml", "<x/>")  # an office folder but no [Content_Types].xml
    with pytest.raises(UploadRefused):
        save_upload(io.BytesIO(buffer.getvalue()), "notes.docx", ALL_KINDS)
    assert files_under(upload_dir) == []


def test_docx_like_zip_is_accepted(author, draft, store_file):
    stored = store_file(draft, author, "学习材料.docx", data=docx_bytes())
    assert stored.kind == FileKind.OFFICE
    assert stored.extension == "docx"
    assert stored.mime_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_office_document_is_refused_where_only_images_are_allowed(upload_dir):
    with pytest.raises(UploadRefused):
        save_upload(io.BytesIO(docx_bytes()), "pic.docx", {FileKind.IMAGE})
    assert files_under(upload_dir) == []


def test_empty_file_is_refused(upload_dir):
    with pytest.raises(UploadRefused):
        save_upload(io.BytesIO(b""), "empty.png", ALL_KINDS)
    assert files_under(upload_dir) == []


# --- limits and storage ---------------------------------------------------------------------------

def test_size_limit_per_kind(app, upload_dir, author, draft, store_file):
    app.config["UPLOAD_LIMITS"] = {"image": 100}
    assert len(fixture_bytes("image.png")) > 100
    with pytest.raises(UploadRefused):
        save_upload(io.BytesIO(fixture_bytes("image.png")), "image.png", ALL_KINDS)
    assert files_under(upload_dir) == []
    # Other kinds keep their own limits.
    assert store_file(draft, author, "document.pdf").kind == FileKind.PDF


def test_size_limit_over_http(app, client, auth, author, draft, lesson_of, upload_dir):
    app.config["UPLOAD_LIMITS"] = {"image": 100}
    key = lesson_of("images")
    auth.login(author)
    assert upload_via_http(client, draft, key, "image.png", fixture_bytes("image.png")).status_code == 302
    assert stored_count() == 0
    assert files_under(upload_dir) == []


def test_stored_under_random_name_with_original_content(author, draft, store_file, upload_dir):
    data = fixture_bytes("image.jpg")
    first = store_file(draft, author, "image.jpg")
    second = store_file(draft, author, "image.jpg")
    for stored in (first, second):
        assert re.fullmatch(r"[0-9a-f]{32}", stored.storage_name)
        assert "image" not in stored.storage_name
        path = storage_path(stored.storage_name)
        assert path.read_bytes() == data
        assert upload_dir in path.parents
        assert stored.size == len(data)
        assert stored.sha256 == hashlib.sha256(data).hexdigest()
        assert (stored.kind, stored.mime_type, stored.extension) == (FileKind.IMAGE, "image/jpeg", "jpg")
    assert first.storage_name != second.storage_name
    # Nothing is left in the temporary directory, and no file carries the uploaded name.
    assert sorted(p.name for p in files_under(upload_dir)) == sorted([first.storage_name, second.storage_name])


@pytest.mark.parametrize("name", ["../../evil.png", "..\\..\\evil.png", "/tmp/../../evil.png"])
def test_path_traversal_in_filename_is_harmless(name, author, draft, store_file, upload_dir, tmp_path):
    stored = store_file(draft, author, name, data=fixture_bytes("image.png"))
    assert stored.original_name == "evil.png"
    assert upload_dir in storage_path(stored.storage_name).parents
    assert not (tmp_path / "evil.png").exists()
    assert not (upload_dir / "evil.png").exists()
    assert [p.name for p in files_under(tmp_path) if "evil" in p.name] == []


def test_path_traversal_over_http(client, auth, author, draft, lesson_of, upload_dir, tmp_path):
    key = lesson_of("images")
    auth.login(author)
    response = upload_via_http(client, draft, key, "../../evil.png", fixture_bytes("image.png"))
    assert response.status_code == 302
    stored = db.session.scalar(select(StoredFile))
    assert stored.original_name == "evil.png"
    assert [p.name for p in files_under(tmp_path) if "evil" in p.name] == []


# --- durations ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, kind, mime_type", [
    ("lesson.mp4", FileKind.VIDEO, "video/mp4"),
    ("lesson.mp3", FileKind.AUDIO, "audio/mpeg"),
    ("lesson.m4a", FileKind.AUDIO, "audio/mp4"),
    ("lesson.ogg", FileKind.AUDIO, "audio/ogg"),
    ("lesson.webm", FileKind.VIDEO, "video/webm"),
])
def test_media_duration_is_read(name, kind, mime_type, author, draft, store_file):
    stored = store_file(draft, author, name)
    assert (stored.kind, stored.mime_type) == (kind, mime_type)
    assert stored.duration_seconds == (2 if name == "lesson.webm" else 4)


def test_media_lesson_without_a_duration_must_have_one_entered_before_submission(author, draft, lesson_of,
                                                                                  store_file):
    """Files stored before uploads were parsed may have no duration (WebM did not): the author enters it."""
    key = lesson_of("video")
    stored = store_file(draft, author, "lesson.webm")
    stored.duration_seconds = None
    authoring.attach_file(draft, author, key, stored)
    db.session.commit()
    revision = fresh(draft).working
    assert revision.lessons[0].duration_seconds is None
    assert review.problems_before_submission(revision)
    with pytest.raises(AuthoringError):
        review.submit_for_review(draft, author)
    db.session.rollback()

    authoring.update_lesson(draft, author, key, duration_seconds=2)
    db.session.commit()
    assert review.problems_before_submission(fresh(draft).working) == []
    review.submit_for_review(draft, author)
    db.session.commit()
    assert fresh(draft).working.status.value == "submitted"


def test_author_can_correct_the_duration_read_from_the_file_over_http(client, auth, author, draft, lesson_of):
    key = lesson_of("video")
    auth.login(author)
    assert upload_via_http(client, draft, key, "lesson.webm", fixture_bytes("lesson.webm")).status_code == 302
    assert fresh(draft).working.lessons[0].duration_seconds == 2
    response = client.post(f"/courses/authoring/{draft.id}/lessons/{key}",
                           data={"title": "视频课", "body": "", "duration_seconds": "3", "required": "y"})
    assert response.status_code == 302
    assert fresh(draft).working.lessons[0].duration_seconds == 3
    client.post(f"/courses/authoring/{draft.id}/submit")
    assert fresh(draft).working.status.value == "submitted"


def test_uploaded_media_sets_lesson_duration(client, auth, author, draft, lesson_of):
    key = lesson_of("audio")
    auth.login(author)
    assert upload_via_http(client, draft, key, "lesson.ogg", fixture_bytes("lesson.ogg")).status_code == 302
    lesson = fresh(draft).working.lessons[0]
    assert lesson.file.kind == FileKind.AUDIO
    assert lesson.duration_seconds == 4


# --- with CSRF protection on, as in production -------------------------------------------------------

def csrf_token_in(page: str) -> str:
    return re.search(r'name="(?:[\w-]+-)?csrf_token" type="hidden" value="([^"]+)"', page).group(1)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True, MAX_CONTENT_LENGTH=4000)
def test_material_larger_than_the_site_wide_limit_with_csrf_on(client, author, draft, lesson_of, upload_dir):
    """The app-wide CSRF hook must not read the body under the site-wide limit before the view raises it."""
    from tests.conftest import PASSWORD
    key = lesson_of("video")
    token = csrf_token_in(client.get("/auth/login").get_data(as_text=True))
    client.post("/auth/login", data={"login_id": author.login_id, "password": PASSWORD, "csrf_token": token})
    token = csrf_token_in(client.get(f"/courses/authoring/{draft.id}/lessons/{key}").get_data(as_text=True))
    data = fixture_bytes("lesson.mp4")
    assert len(data) > 4000

    # Without the token: refused, nothing stored.
    response = client.post(f"/courses/authoring/{draft.id}/lessons/{key}/files",
                           data={"upload-file": (io.BytesIO(data), "lesson.mp4")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert stored_count() == 0 and files_under(upload_dir) == []

    # With it: accepted although larger than MAX_CONTENT_LENGTH.
    response = client.post(f"/courses/authoring/{draft.id}/lessons/{key}/files",
                           data={"upload-csrf_token": token, "upload-file": (io.BytesIO(data), "lesson.mp4")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    lesson = fresh(draft).working.lessons[0]
    assert lesson.file is not None and lesson.file.size == len(data) and lesson.duration_seconds == 4

    # Other forms keep the site-wide limit.
    response = client.post(f"/courses/authoring/{draft.id}/lessons/{key}",
                           data={"csrf_token": token, "title": "x", "body": "长" * 5000})
    assert response.status_code == 413


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_cover_upload_needs_csrf_token(client, author, draft, upload_dir):
    from tests.conftest import PASSWORD
    token = csrf_token_in(client.get("/auth/login").get_data(as_text=True))
    client.post("/auth/login", data={"login_id": author.login_id, "password": PASSWORD, "csrf_token": token})
    response = client.post(f"/courses/authoring/{draft.id}/cover",
                           data={"cover-file": (io.BytesIO(fixture_bytes("image.png")), "cover.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert stored_count() == 0 and files_under(upload_dir) == []
    token = csrf_token_in(client.get(f"/courses/authoring/{draft.id}").get_data(as_text=True))
    response = client.post(f"/courses/authoring/{draft.id}/cover",
                           data={"cover-csrf_token": token,
                                 "cover-file": (io.BytesIO(fixture_bytes("image.png")), "cover.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert fresh(draft).working.cover_file_id is not None


def test_upload_to_a_course_awaiting_review_leaves_nothing(client, auth, author, make_course, upload_dir):
    course = make_course(author, lessons=["images"], publish=False)
    review.submit_for_review(course, author)
    db.session.commit()
    key = fresh(course).working.lessons[0].key
    before = stored_count(), sorted(files_under(upload_dir))
    auth.login(author)
    assert upload_via_http(client, course, key, "more.png", fixture_bytes("image.png")).status_code == 302
    response = client.post(f"/courses/authoring/{course.id}/cover",
                           data={"cover-file": (io.BytesIO(fixture_bytes("image.jpg")), "cover.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert (stored_count(), sorted(files_under(upload_dir))) == before
    revision = fresh(course).working
    assert revision.status.value == "submitted" and revision.cover_file_id is None
    assert len(revision.lessons[0].extra_files) == 1

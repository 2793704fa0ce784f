"""Uploads are parsed, not sniffed: a file whose first bytes look right but whose content does not parse is refused."""
import io
import random

import pytest
from PIL import Image

from courses.models import FileKind, LessonKind
from courses.services import authoring
from courses.uploads import UploadRefused, save_upload
from learning_app.extensions import db
from tests.courses.helpers import FIXTURES, files_under, fixture_bytes, fresh

ALL_KINDS = set(FileKind)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script>" + b"<p>hello</p>" * 400 + b"</body></html>"
GARBAGE = random.Random(18).randbytes(40_000)


def ftyp(brand: bytes) -> bytes:
    return b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x00\x00" + brand + b"mp42"


def half(name: str) -> bytes:
    data = fixture_bytes(name)
    return data[:len(data) // 2]


def fast_start_mp4_cut_short(folder) -> bytes:
    """lesson.mp4 with its index first (as streaming encoders write it) and its last 2,000 bytes missing."""
    import av
    target = folder / "fast-start.mp4"  # the second pass of 'faststart' reopens the file by name
    with av.open(str(FIXTURES / "lesson.mp4")) as source, \
            av.open(str(target), "w", format="mp4", options={"movflags": "faststart"}) as out:
        streams = {stream.index: out.add_stream_from_template(stream) for stream in source.streams}
        for packet in source.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    data = target.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")
    return data[:-2000]


FAKES = {
    "网页冒充视频.mp4": ftyp(b"isom") + HTML,
    "网页冒充音频.m4a": ftyp(b"M4A ") + HTML,
    "乱码标签.mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00" + GARBAGE,
    "文字标签.mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00" + HTML,
    "帧头乱码.mp3": b"\xff\xfb\x90\x64" + GARBAGE,
    "乱码.ogg": b"OggS" + GARBAGE,
    "乱码.webm": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + GARBAGE,
    "乱码.gif": b"GIF89a" + GARBAGE,
    "乱码.png": b"\x89PNG\r\n\x1a\n" + GARBAGE,
    "乱码.jpg": b"\xff\xd8\xff\xe0" + GARBAGE,
    "乱码.webp": b"RIFF\x00\x00\x01\x00WEBPVP8 " + GARBAGE,
    "乱码.pdf": b"%PDF-1.7\n" + GARBAGE,
    "网页.pdf": b"%PDF-1.4\n" + HTML,
}
TRUNCATED = ["lesson.mp4", "lesson.m4a", "lesson.mp3", "lesson.ogg", "lesson.webm",
             "image.png", "image.jpg", "document.pdf"]


@pytest.mark.parametrize("name", sorted(FAKES))
def test_fake_is_refused_with_its_name(name, upload_dir):
    with pytest.raises(UploadRefused) as refused:
        save_upload(io.BytesIO(FAKES[name]), name, ALL_KINDS)
    assert name in str(refused.value)
    assert files_under(upload_dir) == []


@pytest.mark.parametrize("fixture", TRUNCATED)
def test_truncated_real_file_is_refused_with_its_name(fixture, upload_dir):
    name = f"半截-{fixture}"
    with pytest.raises(UploadRefused) as refused:
        save_upload(io.BytesIO(half(fixture)), name, ALL_KINDS)
    assert name in str(refused.value)
    assert files_under(upload_dir) == []


def test_fast_start_mp4_missing_its_end_is_refused(upload_dir, tmp_path):
    with pytest.raises(UploadRefused) as refused:
        save_upload(io.BytesIO(fast_start_mp4_cut_short(tmp_path)), "缺尾.mp4", {FileKind.VIDEO})
    assert "缺尾.mp4" in str(refused.value)
    assert files_under(upload_dir) == []


def test_ogg_without_its_last_page_is_refused(upload_dir):
    """Ogg states no total length: a file cut at a page boundary plays as a shorter one, but its end is not marked."""
    data = fixture_bytes("lesson.ogg")
    cut = data[:data.rindex(b"OggS")]
    with pytest.raises(UploadRefused) as refused:
        save_upload(io.BytesIO(cut), "缺页.ogg", {FileKind.AUDIO})
    assert "缺页.ogg" in str(refused.value)


def test_refusal_is_shown_to_the_author_over_http(client, auth, author, draft, upload_dir):
    lesson = authoring.add_lesson(draft, author, 0, "视频课", LessonKind.VIDEO)
    db.session.commit()
    auth.login(author)
    response = client.post(f"/courses/authoring/{draft.id}/lessons/{lesson.key}/files",
                           data={"upload-file": (io.BytesIO(FAKES["网页冒充视频.mp4"]), "网页冒充视频.mp4")},
                           content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "网页冒充视频.mp4" in page  # the flashed refusal names the file
    assert fresh(draft).working.lessons[0].file_id is None
    assert files_under(upload_dir) == []


@pytest.mark.parametrize("fixture, kind, mime_type, duration", [
    ("lesson.mp4", FileKind.VIDEO, "video/mp4", 4),
    ("lesson.m4a", FileKind.AUDIO, "audio/mp4", 4),
    ("lesson.mp3", FileKind.AUDIO, "audio/mpeg", 4),
    ("lesson.ogg", FileKind.AUDIO, "audio/ogg", 4),
    ("lesson.webm", FileKind.VIDEO, "video/webm", 2),
    ("image.png", FileKind.IMAGE, "image/png", None),
    ("image.jpg", FileKind.IMAGE, "image/jpeg", None),
    ("document.pdf", FileKind.PDF, "application/pdf", None),
])
def test_real_fixture_is_accepted_with_its_duration(fixture, kind, mime_type, duration, upload_dir):
    saved = save_upload(io.BytesIO(fixture_bytes(fixture)), fixture, ALL_KINDS)
    assert (saved.recognised.kind, saved.recognised.mime_type) == (kind, mime_type)
    assert saved.duration_seconds == duration


def test_demo_media_is_accepted(upload_dir):
    from courses.demo import HERE
    audio = save_upload(io.BytesIO((HERE / "lesson.mp3").read_bytes()), "微党课.mp3", {FileKind.AUDIO})
    video = save_upload(io.BytesIO((HERE / "lesson.webm").read_bytes()), "微党课.webm", {FileKind.VIDEO})
    assert (audio.duration_seconds, video.duration_seconds) == (4, 2)


@pytest.mark.parametrize("kind, fixture, duration", [
    (LessonKind.VIDEO, "lesson.webm", 2), (LessonKind.VIDEO, "lesson.mp4", 4), (LessonKind.AUDIO, "lesson.ogg", 4),
])
def test_media_lesson_takes_its_duration_from_the_parser(kind, fixture, duration, client, auth, author, draft,
                                                         upload_dir):
    """WebM states its length only to a demuxer (mutagen cannot read it): the author no longer types it in."""
    lesson = authoring.add_lesson(draft, author, 0, "媒体课", kind)
    db.session.commit()
    auth.login(author)
    response = client.post(f"/courses/authoring/{draft.id}/lessons/{lesson.key}/files",
                           data={"upload-file": (io.BytesIO(fixture_bytes(fixture)), fixture)},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert fresh(draft).working.lessons[0].duration_seconds == duration


def test_image_over_the_pixel_limit_is_refused_before_it_is_decoded(upload_dir):
    """A decompression bomb: a small PNG that would decode to gigabytes."""
    buffer = io.BytesIO()
    Image.new("1", (30_000, 30_000)).save(buffer, "PNG")
    assert len(buffer.getvalue()) < 1024 * 1024
    with pytest.raises(UploadRefused) as refused:
        save_upload(io.BytesIO(buffer.getvalue()), "炸弹.png", {FileKind.IMAGE})
    assert "炸弹.png" in str(refused.value)
    assert files_under(upload_dir) == []


@pytest.fixture
def draft(author):
    course = authoring.create_course(author, "解析测试")
    authoring.add_chapter(course, author, "第一章")
    db.session.commit()
    return course


def remuxed(folder, fixture, fmt, title, **options) -> bytes:
    """The fixture's streams in a new container with a title tag (PyAV writes it as UTF-8)."""
    import av
    target = folder / f"remuxed.{fmt}"
    with av.open(str(FIXTURES / fixture)) as source, av.open(str(target), "w", format=fmt, **options) as out:
        out.metadata["title"] = title
        streams = {stream.index: out.add_stream_from_template(stream) for stream in source.streams
                   if stream.type in ("audio", "video")}
        for packet in source.demux():
            if packet.dts is not None and packet.stream.index in streams:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    return target.read_bytes()


def test_a_title_tag_that_is_not_utf8_does_not_refuse_the_video(upload_dir, tmp_path):
    """A Chinese encoder may write its tags in GBK: the media are what count (this gave HTTP 500)."""
    data = remuxed(tmp_path, "lesson.mp4", "mp4", "TITLE-XY")
    gbk = "党员学习".encode("gbk")
    assert len(gbk) == len(b"TITLE-XY") and b"TITLE-XY" in data
    saved = save_upload(io.BytesIO(data.replace(b"TITLE-XY", gbk)), "微党课.mp4", ALL_KINDS)
    assert saved.recognised.kind == FileKind.VIDEO and saved.duration_seconds


def test_sound_alone_in_a_webm_is_accepted_for_an_audio_lesson(upload_dir, tmp_path):
    """A WebM's first bytes look like a video; the parser finds only sound, so it is audio."""
    data = remuxed(tmp_path, "lesson.ogg", "webm", "音频")
    saved = save_upload(io.BytesIO(data), "讲座录音.webm", {FileKind.AUDIO})
    assert (saved.recognised.kind, saved.recognised.mime_type) == (FileKind.AUDIO, "audio/webm")
    with pytest.raises(UploadRefused):  # and it is no video
        save_upload(io.BytesIO(data), "讲座录音.webm", {FileKind.VIDEO})

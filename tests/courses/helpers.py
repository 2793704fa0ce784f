"""Plain helpers shared by the courses tests."""
import io
import zipfile
from pathlib import Path
from urllib.parse import urlparse

from courses.models import LessonKind
from learning_app.extensions import db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEFAULT_FILES = {
    LessonKind.VIDEO: "lesson.mp4",
    LessonKind.AUDIO: "lesson.mp3",
    LessonKind.DOCUMENT: "document.pdf",
    LessonKind.IMAGES: "image.png",
    LessonKind.ATTACHMENT: "document.pdf",
}


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def docx_bytes() -> bytes:
    """A minimal zip laid out like a Word document."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return buffer.getvalue()


def fresh(obj):
    """The row as the database has it now (requests run in their own sessions)."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


def location_path(response) -> str:
    return urlparse(response.headers["Location"]).path

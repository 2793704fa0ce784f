"""Zip bombs: uploads and imports look at a zip's directory or stream its XML, never inflate it whole."""
import io
import zipfile

import pytest

from courses.models import FileKind
from courses.uploads import save_upload
from learning_app.people import roster
from quizzes.importers import QuestionImportError, parse_questions

INFLATED = 200 * 1024 * 1024  # 200 MiB of zeros that deflate to a few hundred KiB


def _bomb(members: dict[str, bytes], bomb_name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        with archive.open(bomb_name, "w") as big:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(INFLATED // len(chunk)):
                big.write(chunk)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def office_bomb():
    return _bomb({"[Content_Types].xml": b"<Types/>"}, "word/document.xml")


def test_an_office_zip_bomb_is_stored_without_being_inflated(app, tmp_path, office_bomb):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    assert len(office_bomb) < 2 * 1024 * 1024
    saved = save_upload(io.BytesIO(office_bomb), "bomb.docx", {FileKind.OFFICE})
    assert saved.recognised.kind == FileKind.OFFICE
    assert saved.size == len(office_bomb)  # the stored file is the compressed one, served only as a download


def test_a_zip_bomb_roster_is_refused_with_a_clear_error(tree):
    bomb = _bomb({"[Content_Types].xml": b"<Types/>"}, "xl/worksheets/sheet1.xml")
    with pytest.raises(roster.RosterFileError):
        roster.import_roster(None, bomb, "roster.xlsx", 1000)


def test_a_zip_bomb_question_file_is_refused_with_a_clear_error(app):
    bomb = _bomb({"[Content_Types].xml": b"<Types/>"}, "xl/worksheets/sheet1.xml")
    with pytest.raises(QuestionImportError):
        parse_questions(bomb, "questions.xlsx")

"""Control characters in any input are refused with 400 (a translated page, or JSON for JSON requests).

PostgreSQL cannot store NUL in text, so before the guard `login_id=ab%00c` gave a 500 without signing in.
The other C0 control characters (tab, CR and LF apart) are refused too: no keyboard types them, and
stored they break Excel exports (openpyxl refuses them) and XML.
"""
import io

import pytest

from learning_app.extensions import db
from learning_app.models import User

CONTROL_CHARACTERS = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f"]


def test_nul_in_the_login_form_is_refused_without_signing_in(client):
    response = client.post("/auth/login", data={"login_id": "ab\x00c", "password": "x"})
    assert response.status_code == 400
    assert "控制字符" in response.get_data(as_text=True)


@pytest.mark.parametrize("char", CONTROL_CHARACTERS)
def test_control_characters_in_a_query_argument_are_refused(tree, make_user, auth, client, char):
    auth.login(make_user(tree["a1"]))
    assert client.get("/courses/", query_string={"q": f"a{char}"}).status_code == 400


def test_control_characters_in_a_query_argument_name_are_refused(tree, make_user, auth, client):
    auth.login(make_user(tree["a1"]))
    assert client.get("/courses/?a%00=1").status_code == 400


def test_nul_in_the_path_is_refused(tree, make_user, auth, client):
    auth.login(make_user(tree["a1"]))
    assert client.get("/dashboard/lists/not%00started").status_code == 400


def test_tab_cr_and_lf_are_ordinary_input(tree, make_user, auth, client):
    auth.login(make_user(tree["a1"]))
    assert client.get("/courses/", query_string={"q": "a\tb\r\nc"}).status_code == 200


def test_a_course_title_with_nul_is_refused_and_nothing_is_stored(tree, make_user, auth, client):
    author = make_user(tree["a1"], roles=["author"])
    auth.login(author)
    response = client.post("/courses/authoring/new", data={
        "title": "党课\x00", "hours": "1", "media_completion_ratio": "90", "reading_seconds": "60"})
    assert response.status_code == 400
    from courses.models import Course
    assert db.session.scalar(db.select(db.func.count()).select_from(Course)) == 0


def test_the_refusal_is_in_english_for_english_visitors(client):
    client.post("/language", data={"language": "en"})
    response = client.post("/auth/login", data={"login_id": "ab\x00c", "password": "x"})
    assert response.status_code == 400
    assert "control character" in response.get_data(as_text=True)


def test_a_json_request_gets_a_json_error(tree, make_user, auth, client):
    auth.login(make_user(tree["a1"]))
    response = client.post("/quizzes/attempts/1/answers/0", json={"response": "a\x00"})
    assert response.status_code == 400
    assert response.is_json and "控制字符" in response.get_json()["error"]


def test_a_json_key_with_nul_is_refused(tree, make_user, auth, client):
    auth.login(make_user(tree["a1"]))
    response = client.post("/quizzes/attempts/1/answers/0", json={"response": {"a\x00": ["b"]}})
    assert response.status_code == 400 and response.is_json


def test_an_upload_named_with_nul_is_refused(tree, make_user, auth, client):
    admin = make_user(tree["a1"], roles=["admin"])
    auth.login(admin)
    response = client.post("/members/import", data={"file": (io.BytesIO(b"a,b\n"), "roster\x00.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400


def test_the_second_of_two_uploads_named_with_a_control_character_is_refused(tree, make_user, auth, client):
    admin = make_user(tree["a1"], roles=["admin"])
    auth.login(admin)
    response = client.post("/members/import", data={"file": [(io.BytesIO(b"a,b\n"), "roster.csv"),
                                                             (io.BytesIO(b"a,b\n"), "second\x1b.csv")]},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "控制字符" in response.get_data(as_text=True)


def test_uploaded_file_content_is_not_checked(tree, make_user, auth, client):
    """The guard looks at names and fields; what a file holds is for its importer to judge."""
    admin = make_user(tree["a1"], roles=["admin"])
    auth.login(admin)
    response = client.post("/members/import", data={"file": (io.BytesIO(b"\x00\x01binary"), "roster.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert "这不是文本格式的 CSV 文件" in page and "控制字符" not in page


def test_a_password_with_a_control_character_changes_nothing(tree, make_user, auth, client):
    member = make_user(tree["a1"])
    auth.login(member)
    response = client.post("/auth/password", data={"current_password": "Passw0rd!",
                                                   "new_password": "New\x01Passw0rd!",
                                                   "confirm_password": "New\x01Passw0rd!"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, member.id).password_hash == member.password_hash

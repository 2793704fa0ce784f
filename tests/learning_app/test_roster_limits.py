"""A large roster costs bounded memory: rows are streamed, a file over the row cap is refused early."""
import io
import tracemalloc

import pytest
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.models import User
from learning_app.people import roster

HEADER = "登录号,姓名,所在支部,人员类别,职务层级,手机号\r\n"
BRANCH = "党委/第一党总支/甲一党支部"


def roster_rows(count: int, name: str = "张三") -> bytes:
    lines = (f"M{index:07d},{name}{index},{BRANCH},正式党员,党员,1380000{index % 10000:04d}\r\n"
             for index in range(count))
    return (HEADER + "".join(lines)).encode("utf-8")


class ReadCounter(io.BytesIO):
    """A file that remembers how far it was read."""

    furthest = 0

    def read(self, size=-1):
        data = super().read(size)
        self.furthest = max(self.furthest, self.tell())
        return data

    def readinto(self, buffer):
        count = super().readinto(buffer)
        self.furthest = max(self.furthest, self.tell())
        return count


@pytest.fixture
def admin(tree, make_user, auth):
    user = make_user(None, roles=["admin"], login_id="roster-admin")
    auth.login(user)
    return user


def test_a_roster_over_the_row_cap_is_refused_before_the_rest_is_read(tree):
    data = roster_rows(50_000)
    stream = ReadCounter(data)
    with pytest.raises(roster.RosterFileError, match="1000"):
        roster.import_roster(None, stream, "roster.csv", 1000)
    assert stream.furthest < len(data) // 10  # 1,001 rows of 50,000, and a reading buffer


def test_the_row_cap_is_refused_with_a_clear_message_over_http(app, client, admin):
    app.config["ROSTER_MAX_ROWS"] = 1000
    response = client.post("/members/import", data={"file": (io.BytesIO(roster_rows(1001)), "roster.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "1000" in response.get_data(as_text=True) and "行" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User).where(User.login_id.like("M%"))) == 0


def test_a_roster_at_the_row_cap_is_imported(tree):
    result, errors = roster.import_roster(None, io.BytesIO(roster_rows(1000)), "roster.csv", 1000)
    assert errors == [] and result.created == 1000


def test_a_large_roster_upload_costs_bounded_memory(app, client, admin, tmp_path):
    """20 MB over the cap through the real route: the server never holds the file, its text or its rows.

    Read whole, the bytes, the decoded text and the rows' lists come to well over 100 MB; streamed,
    the refusal costs a few hundred KB. 10 MB leaves room for anything but holding the file.
    """
    path = tmp_path / "roster.csv"
    path.write_bytes(roster_rows(280_000))
    assert path.stat().st_size > 20_000_000
    with open(path, "rb") as upload:
        tracemalloc.start()
        try:
            response = client.post("/members/import", data={"file": (upload, "roster.csv")},
                                   content_type="multipart/form-data")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert response.status_code == 400
    assert "200000" in response.get_data(as_text=True)
    assert peak < 10_000_000, f"{peak / 1e6:.1f} MB"


def test_bad_rows_are_listed_up_to_a_limit_and_nothing_is_imported(client, admin):
    """Over 500 rows the import is a background job: its page lists the bad rows as the form did."""
    bad = roster_rows(roster.LISTED_ERRORS + 100, name="名" * 61)  # every name one character too long
    response = client.post("/members/import", data={"file": (io.BytesIO(bad), "roster.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and "/jobs/" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "未保存" in page  # the job's state: stopped, nothing kept
    assert page.count("<tr><td>") == roster.LISTED_ERRORS
    assert f"<tr><td>{roster.LISTED_ERRORS + 1}</td>" in page  # the first data row is row 2
    assert "检查到此为止" in page
    assert db.session.scalar(select(func.count()).select_from(User).where(User.login_id.like("M%"))) == 0

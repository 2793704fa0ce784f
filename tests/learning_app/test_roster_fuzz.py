"""Hypothesis-driven fuzzing of the roster import, through the upload page and the CLI command as they
commit: any input yields a clean import or a clear error, never an exception and never a partial import.

"Never partial" is checked on what is COMMITTED: each import goes through the real path (the view or
the command, with the commit it does), the test's own session is closed, and the members are read
with a connection of their own. The generated files mix good rows with fuzzed ones, so an import that
wrote or committed the good rows before finding a bad one would leave some of them behind and fail.
"""
import csv
import io

import pytest
from flask import current_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from learning_app.extensions import db
from learning_app.models import AuditLog, User
from learning_app.people import roster

HEADERS = ["登录号", "姓名", "所在支部", "人员类别", "职务层级", "手机号"]
cell = st.one_of(st.text(max_size=30), st.sampled_from(["正式党员", "预备党员", "入党积极分子", "党员", "支部书记",
                                                         "甲一党支部", "党委/第一党总支/甲一党支部", "13800000000",
                                                         "=1+1", "", " ", "\x00"]))
# Rows the importer accepts (branches of the `tree` fixture), so that most files hold some.
good_row = st.tuples(st.from_regex(r"[A-Za-z0-9_.\-]{2,12}", fullmatch=True),
                     st.sampled_from(["张三", "李四", "王五"]),
                     st.sampled_from(["甲一党支部", "党委/第一党总支/甲二党支部", "乙一党支部"]),
                     st.sampled_from(["正式党员", "预备党员", "入党积极分子"]),
                     st.sampled_from(["", "党员", "支部书记", "干部"]),
                     st.sampled_from(["", "13800000000", "13912345678"])).map(list)
row = st.one_of(good_row, st.lists(cell, min_size=0, max_size=7))
way = st.sampled_from(["upload", "command"])
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.fixture
def importer(app, tree, make_user, auth, tmp_path):
    """importer(data, name, way) -> True when the import was accepted, False when refused."""
    admin = make_user(None, roles=["admin"], login_id="fuzz-admin")
    auth.login(admin)
    client, runner = auth.client, app.test_cli_runner()

    def run(data, name, way):
        if way == "upload":
            response = client.post("/members/import", data={"file": (io.BytesIO(data), name)},
                                   content_type="multipart/form-data")
            assert response.status_code in (200, 400), response.status_code
            return response.status_code == 200
        source = tmp_path / name
        source.write_bytes(data)
        result = runner.invoke(args=["import-roster", str(source), "--credentials", str(tmp_path / "otp.csv")])
        db.session.remove()  # the command's process ends here: whatever it did not commit is gone
        assert result.exit_code in (0, 1), result.output
        assert not result.exception or isinstance(result.exception, SystemExit), result.exception
        return result.exit_code == 0
    return run


def committed() -> tuple[dict, int]:
    """The members (by lower-case login id) and the roster audit rows, as committed."""
    db.session.remove()
    with db.engine.connect() as connection:
        members = {login.lower(): tuple(fields) for login, *fields in connection.execute(select(
            User.login_id, User.real_name, User.org_id, User.category, User.position, User.phone))}
        audits = len(connection.execute(select(AuditLog.id).where(AuditLog.action == "roster.import")).all())
    return members, audits


def expected_after(before, data, name):
    """What the members must be if the file is imported, or None when it must import nothing."""
    try:
        rows, errors = roster.validate_file(data, name, current_app.config["ROSTER_MAX_ROWS"])
    except roster.RosterFileError as error:
        assert str(error)
        return None
    finally:
        db.session.remove()
    assert all(isinstance(line, int) and reason for line, reason in errors)
    if errors:
        return None
    after = dict(before)
    for good in rows:
        after[good.login_id.lower()] = (good.real_name, good.org_id, good.category, good.position, good.phone)
    return after


def check_all_or_nothing(importer, data, name, way):
    (before, audits), form_accepts = committed(), name.endswith((".csv", ".xlsx"))
    expected = expected_after(before, data, name)
    accepted = importer(data, name, way)
    after, audits_after = committed()
    if expected is None or (way == "upload" and not form_accepts):
        assert not accepted
        assert after == before, "a refused import changed the members"
        assert audits_after == audits
    else:
        assert accepted
        assert after == expected, "an accepted import left out rows or changed others"
        assert audits_after == audits + 1


@FUZZ
@given(rows=st.lists(row, max_size=8), way=way)
def test_any_table_imports_wholly_or_not_at_all(importer, rows, way):
    check_all_or_nothing(importer, _csv(rows), "roster.csv", way)


@FUZZ
@given(data=st.binary(max_size=400), name=st.sampled_from(["roster.csv", "roster.xlsx", "roster", "x.txt"]), way=way)
def test_any_bytes_give_a_clear_error_or_an_import(importer, data, name, way):
    check_all_or_nothing(importer, data, name, way)


@FUZZ
@given(text=st.text(max_size=300), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]), way=way)
def test_any_text_in_any_supported_encoding(importer, text, encoding, way):
    check_all_or_nothing(importer, text.encode(encoding, errors="ignore"), "roster.csv", way)

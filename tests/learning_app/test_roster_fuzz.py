"""Hypothesis-driven fuzzing of the roster importer: any input yields a clean import or a clear
error, never an exception and never a partial import."""
import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.models import User
from learning_app.people import roster

HEADERS = ["登录号", "姓名", "所在支部", "人员类别", "职务层级", "手机号"]
cell = st.one_of(st.text(max_size=30), st.sampled_from(["正式党员", "预备党员", "入党积极分子", "党员", "支部书记",
                                                         "甲一党支部", "党委/第一党总支/甲一党支部", "13800000000",
                                                         "=1+1", "", " ", "\x00"]))
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _import(data, name):
    before = db.session.scalar(select(func.count()).select_from(User))
    try:
        result, errors = roster.import_roster(None, data, name, 1000)
    except roster.RosterFileError as error:
        assert str(error)
        result, errors = None, None
    db.session.rollback()
    if result is None:
        assert db.session.scalar(select(func.count()).select_from(User)) == before
    if errors:
        assert all(isinstance(line, int) and reason for line, reason in errors)
    return result, errors


@FUZZ
@given(rows=st.lists(st.lists(cell, min_size=0, max_size=7), max_size=8))
def test_any_table_imports_cleanly_or_names_the_bad_rows(tree, rows):
    _import(_csv(rows), "roster.csv")


@FUZZ
@given(data=st.binary(max_size=400), name=st.sampled_from(["roster.csv", "roster.xlsx", "roster", "x.txt"]))
def test_any_bytes_give_a_clear_error_or_an_import(tree, data, name):
    _import(data, name)


@FUZZ
@given(text=st.text(max_size=300), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_any_text_in_any_supported_encoding(tree, text, encoding):
    _import(text.encode(encoding, errors="ignore"), "roster.csv")

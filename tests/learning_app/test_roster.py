"""Roster import (花名册导入): .csv and .xlsx, all-or-nothing, re-import, one-time passwords, CLI."""
import csv
import io
import os
import re
import stat
from urllib.parse import urlparse

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.models import AuditLog, MemberCategory, PositionLevel, User
from learning_app.orgs.services import set_org_active
from learning_app.people import roster
from learning_app.people.roster import RosterFileError
from learning_app.people.services import set_member_active
from tests.conftest import PASSWORD

HEADER = ["登录号", "姓名", "所在支部", "人员类别", "职务层级", "手机号"]
A1 = "党委/第一党总支/甲一党支部"
A2 = "党委/第一党总支/甲二党支部"
B1 = "党委/第二党总支/乙一党支部"
MAX_ROWS = 200_000


def csv_file(rows, header=HEADER, encoding="utf-8-sig"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_file(rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def user_count():
    return db.session.scalar(select(func.count()).select_from(User))


def member(login_id):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.login_id == login_id))


def upload(client, data, filename="roster.csv"):
    return client.post("/members/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def read_credentials(data):
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return rows[0], {row[0]: row for row in rows[1:]}


def location_path(response):
    return urlparse(response.headers["Location"]).path


@pytest.fixture
def admin(tree, make_user, auth):
    user = make_user(None, roles=["admin"], login_id="roster-admin")
    auth.login(user)
    return user


def do_import(data, filename="roster.csv", max_rows=MAX_ROWS):
    result, errors = roster.import_roster(None, data, filename, max_rows)
    db.session.commit()
    return result, errors


GOOD_ROWS = [
    ["1001", "张三", A1, "正式党员", "党员", "13800000001"],
    ["1002", "李四", A2, "预备党员", "支部书记", ""],
    ["1003", "王五", B1, "入党积极分子", "干部", "13900000003"],
]


# --- Reading files -------------------------------------------------------------------------------


def test_utf8_csv_with_bom_imports_every_member(tree):
    result, errors = do_import(csv_file(GOOD_ROWS))
    assert errors == []
    assert result.created == 3
    zhang = member("1001")
    assert (zhang.real_name, zhang.org_id, zhang.category, zhang.position, zhang.phone) == (
        "张三", tree["a1"].id, MemberCategory.FULL, PositionLevel.MEMBER, "13800000001")


def test_imported_fields_match_the_file(tree):
    do_import(csv_file(GOOD_ROWS))
    li, wang = member("1002"), member("1003")
    assert (li.org_id, li.category, li.position, li.phone) == (
        tree["a2"].id, MemberCategory.PROBATIONARY, PositionLevel.SECRETARY, None)
    assert (wang.org_id, wang.category, wang.position) == (tree["b1"].id, MemberCategory.ACTIVIST,
                                                           PositionLevel.CADRE)


def test_gbk_encoded_csv_imports_chinese_text(tree):
    result, errors = do_import(csv_file(GOOD_ROWS, encoding="gbk"))
    assert errors == []
    assert result.created == 3
    assert member("1001").real_name == "张三"
    assert member("1003").org_id == tree["b1"].id


def test_csv_without_bom_imports(tree):
    result, _ = do_import(csv_file(GOOD_ROWS, encoding="utf-8"))
    assert result.created == 3


def test_xlsx_imports_every_member(tree):
    result, errors = do_import(xlsx_file(GOOD_ROWS), "roster.xlsx")
    assert errors == []
    assert result.created == 3
    assert member("1002").org_id == tree["a2"].id


def test_xlsx_numeric_cells_become_plain_digits(tree):
    result, errors = do_import(xlsx_file([[2001, "赵六", A1, "正式党员", "党员", 13800000009]]), "roster.xlsx")
    assert errors == []
    assert member("2001").phone == "13800000009"


def test_xlsx_phone_stored_as_float_becomes_plain_digits(tree):
    do_import(xlsx_file([["2002", "钱七", A1, "正式党员", "党员", 13800000008.0]]), "roster.xlsx")
    assert member("2002").phone == "13800000008"


def test_real_xlsx_with_csv_name_is_read_as_excel(tree):
    result, _ = do_import(xlsx_file(GOOD_ROWS), "roster.csv")
    assert result.created == 3


def test_blank_rows_are_skipped(tree):
    result, errors = do_import(xlsx_file([GOOD_ROWS[0], [None] * 6, GOOD_ROWS[1]]), "roster.xlsx")
    assert errors == []
    assert result.created == 2


def test_blank_position_means_ordinary_member(tree):
    do_import(csv_file([["3001", "孙八", A1, "正式党员", "", ""]]))
    assert member("3001").position == PositionLevel.MEMBER


def test_position_column_may_be_left_out(tree):
    header = ["登录号", "姓名", "所在支部", "人员类别"]
    do_import(csv_file([["3002", "周九", A1, "预备党员"]], header=header))
    assert member("3002").position == PositionLevel.MEMBER


def test_columns_may_come_in_any_order_with_english_headers(tree):
    header = ["category", "branch", "name", "login id"]
    do_import(csv_file([["full", A2, "吴十", "3003"]], header=header))
    assert (member("3003").real_name, member("3003").org_id) == ("吴十", tree["a2"].id)


def test_new_accounts_must_change_their_password_and_are_active(tree):
    do_import(csv_file(GOOD_ROWS))
    zhang = member("1001")
    assert zhang.must_change_password and zhang.is_active


def test_import_returns_one_time_passwords_for_new_accounts(tree):
    result, _ = do_import(csv_file(GOOD_ROWS))
    assert sorted(login for login, _, _ in result.credentials) == ["1001", "1002", "1003"]
    assert len({password for _, _, password in result.credentials}) == 3


def test_import_writes_one_audit_row_with_the_counts(tree):
    do_import(csv_file(GOOD_ROWS))
    rows = list(db.session.scalars(select(AuditLog).where(AuditLog.action == "roster.import")))
    assert len(rows) == 1
    assert (rows[0].detail["created"], rows[0].detail["updated"]) == (3, 0)


# --- Branches: full path or unique name ---------------------------------------------------------


def test_branch_given_by_unique_name(tree):
    do_import(csv_file([["4001", "郑一", "乙一党支部", "正式党员", "", ""]]))
    assert member("4001").org_id == tree["b1"].id


def test_branch_path_may_have_spaces_and_full_width_slashes(tree):
    do_import(csv_file([["4002", "郑二", " 党委 ／ 第一党总支 / 甲二党支部 ", "正式党员", "", ""]]))
    assert member("4002").org_id == tree["a2"].id


@pytest.fixture
def twin_branches(tree, make_org):
    """A second "甲一党支部", under general branch B."""
    return make_org("branch", tree["general_b"], "甲一党支部")


def test_ambiguous_branch_name_is_refused(tree, twin_branches):
    result, errors = roster.import_roster(None, csv_file([["4003", "郑三", "甲一党支部", "正式党员", "", ""]]),
                                          "roster.csv", MAX_ROWS)
    assert result is None
    assert [line for line, _ in errors] == [2]
    assert "甲一党支部" in errors[0][1]


def test_full_path_resolves_an_ambiguous_name(tree, twin_branches):
    do_import(csv_file([["4004", "郑四", "党委/第二党总支/甲一党支部", "正式党员", "", ""]]))
    assert member("4004").org_id == twin_branches.id


@pytest.mark.parametrize("branch", ["党委/第一党总支", "第一党总支", "党委"])
def test_a_non_branch_org_is_refused(tree, branch):
    _, errors = roster.import_roster(None, csv_file([["4005", "郑五", branch, "正式党员", "", ""]]),
                                     "roster.csv", MAX_ROWS)
    assert [line for line, _ in errors] == [2]


def test_a_deactivated_branch_is_refused(tree):
    set_org_active(None, tree["b1"], False)
    db.session.commit()
    _, errors = roster.import_roster(None, csv_file([["4006", "郑六", B1, "正式党员", "", ""]]),
                                     "roster.csv", MAX_ROWS)
    assert [line for line, _ in errors] == [2]


# --- Bad rows: nothing is imported -----------------------------------------------------------------


BAD_ROWS = {
    "unknown branch": ["5001", "坏一", "不存在党支部", "正式党员", "", ""],
    "empty login id": ["", "坏二", A1, "正式党员", "", ""],
    "empty name": ["5003", "", A1, "正式党员", "", ""],
    "empty branch": ["5004", "坏四", "", "正式党员", "", ""],
    "empty category": ["5005", "坏五", A1, "", "", ""],
    "unknown category": ["5006", "坏六", A1, "群众", "", ""],
    "unknown position": ["5007", "坏七", A1, "正式党员", "书记处", ""],
    "bad phone": ["5008", "坏八", A1, "正式党员", "", "12345"],
    "bad login id": ["有 空格", "坏九", A1, "正式党员", "", ""],
    "one-character login id": ["x", "坏十", A1, "正式党员", "", ""],
    "name too long": ["5011", "长" * 61, A1, "正式党员", "", ""],
}


@pytest.mark.parametrize("problem", sorted(BAD_ROWS))
def test_one_bad_row_imports_nothing_and_names_its_row(tree, problem):
    rows = [GOOD_ROWS[0], GOOD_ROWS[1], BAD_ROWS[problem], GOOD_ROWS[2]]
    result, errors = roster.import_roster(None, csv_file(rows), "roster.csv", MAX_ROWS)
    db.session.commit()
    assert result is None
    assert [line for line, _ in errors] == [4]
    assert errors[0][1]
    assert user_count() == 0


def test_every_bad_row_is_listed(tree):
    rows = [BAD_ROWS["unknown branch"], GOOD_ROWS[0], BAD_ROWS["bad phone"]]
    _, errors = roster.import_roster(None, csv_file(rows), "roster.csv", MAX_ROWS)
    assert [line for line, _ in errors] == [2, 4]


def test_row_numbers_count_blank_rows_as_spreadsheet_rows(tree):
    rows = [GOOD_ROWS[0], [None] * 6, BAD_ROWS["unknown branch"]]
    _, errors = roster.import_roster(None, xlsx_file(rows), "roster.xlsx", MAX_ROWS)
    assert [line for line, _ in errors] == [4]


def test_bad_row_writes_no_audit_row(tree):
    roster.import_roster(None, csv_file([GOOD_ROWS[0], BAD_ROWS["bad phone"]]), "roster.csv", MAX_ROWS)
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(AuditLog.action == "roster.import")) == 0


def test_duplicate_login_id_in_the_file_is_refused_naming_both_rows(tree):
    rows = [GOOD_ROWS[0], GOOD_ROWS[1], ["1001", "张三二", A2, "正式党员", "", ""]]
    result, errors = roster.import_roster(None, csv_file(rows), "roster.csv", MAX_ROWS)
    assert result is None
    assert [line for line, _ in errors] == [4]
    assert re.search(r"\b2\b", errors[0][1]) and "1001" in errors[0][1]


def test_login_ids_differing_only_in_case_are_duplicates(tree):
    rows = [["abc-1", "甲", A1, "正式党员", "", ""], ["ABC-1", "乙", A1, "正式党员", "", ""]]
    _, errors = roster.import_roster(None, csv_file(rows), "roster.csv", MAX_ROWS)
    assert [line for line, _ in errors] == [3]


# --- Whole-file problems ----------------------------------------------------------------------------


def test_random_bytes_named_xlsx_give_a_file_error(tree):
    with pytest.raises(RosterFileError):
        roster.import_roster(None, os.urandom(2048), "roster.xlsx", MAX_ROWS)


def test_zip_magic_followed_by_garbage_gives_a_file_error(tree):
    with pytest.raises(RosterFileError):
        roster.import_roster(None, b"PK\x03\x04" + os.urandom(512), "roster.csv", MAX_ROWS)


def test_binary_csv_gives_a_file_error(tree):
    with pytest.raises(RosterFileError):
        roster.import_roster(None, b"\x00\x01\x02" * 100, "roster.csv", MAX_ROWS)


def test_other_file_types_are_refused(tree):
    with pytest.raises(RosterFileError):
        roster.import_roster(None, csv_file(GOOD_ROWS), "roster.txt", MAX_ROWS)


def test_missing_required_column_gives_a_file_error(tree):
    header = ["登录号", "姓名", "人员类别"]
    with pytest.raises(RosterFileError) as raised:
        roster.import_roster(None, csv_file([["1001", "张三", "正式党员"]], header=header), "r.csv", MAX_ROWS)
    assert "所在支部" in str(raised.value)


@pytest.mark.parametrize("data", [b"", csv_file([])])
def test_empty_file_or_header_only_gives_a_file_error(tree, data):
    with pytest.raises(RosterFileError):
        roster.import_roster(None, data, "roster.csv", MAX_ROWS)


def test_file_with_too_many_rows_gives_a_file_error(tree):
    with pytest.raises(RosterFileError):
        roster.import_roster(None, csv_file(GOOD_ROWS), "roster.csv", max_rows=2)
    assert user_count() == 0


# --- Re-import ---------------------------------------------------------------------------------------


def test_reimport_updates_existing_members_without_duplicates(tree):
    do_import(csv_file(GOOD_ROWS))
    changed = [["1001", "张三", B1, "预备党员", "干部", "13700000000"]] + GOOD_ROWS[1:]
    result, errors = do_import(csv_file(changed))
    assert errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert user_count() == 3
    zhang = member("1001")
    assert (zhang.org_id, zhang.category, zhang.position, zhang.phone) == (
        tree["b1"].id, MemberCategory.PROBATIONARY, PositionLevel.CADRE, "13700000000")


def test_reimport_with_new_rows_counts_created_and_unchanged(tree):
    do_import(csv_file(GOOD_ROWS[:2]))
    result, _ = do_import(csv_file(GOOD_ROWS))
    assert (result.created, result.updated, result.unchanged) == (1, 0, 2)
    assert [login for login, _, _ in result.credentials] == ["1003"]


def test_reimport_matches_login_ids_case_insensitively(tree, make_user):
    make_user(tree["a1"], login_id="Zhang-A1")
    result, _ = do_import(csv_file([["zhang-a1", "张三", A2, "正式党员", "", ""]]))
    assert (result.created, result.updated) == (0, 1)
    assert user_count() == 1
    assert member("Zhang-A1").org_id == tree["a2"].id


def test_reimport_keeps_the_existing_password(client, tree, make_user, auth):
    existing = make_user(tree["a1"], login_id="1001", real_name="张三")
    do_import(csv_file(GOOD_ROWS))
    assert auth.login(existing, PASSWORD).status_code == 302
    assert not member("1001").must_change_password
    assert client.get("/").status_code == 200


def test_reimport_does_not_reactivate_a_deactivated_member(tree, make_user):
    existing = make_user(tree["a1"], login_id="1001", real_name="张三")
    set_member_active(None, existing, False)
    db.session.commit()
    do_import(csv_file(GOOD_ROWS))
    assert not member("1001").is_active


def test_ten_thousand_rows_are_all_created(tree):
    branches = [A1, A2, B1]
    categories = ["正式党员", "预备党员", "入党积极分子"]
    rows = [[f"m{n:05d}", f"党员{n}", branches[n % 3], categories[n % 3], "", f"13{n:09d}"]
            for n in range(10_000)]
    result, errors = do_import(csv_file(rows))
    assert errors == []
    assert result.created == 10_000
    assert len(result.credentials) == 10_000
    assert user_count() == 10_000
    assert db.session.scalar(select(func.count()).where(User.org_id == tree["b1"].id)) == 3333
    assert member("m09999").phone == "13000009999"


# --- HTTP: /members/import -----------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login_from_import(client):
    response = client.get("/members/import")
    assert response.status_code == 302
    assert location_path(response) == "/auth/login"


@pytest.mark.parametrize("method,url", [
    ("GET", "/members/import"), ("POST", "/members/import"), ("POST", "/members/import/credentials"),
    ("GET", "/members/import/template.xlsx"), ("GET", "/members/import/template.csv")])
def test_supervisor_gets_403_on_import_pages(client, tree, make_user, auth, method, url):
    auth.login(make_user(tree["a1"], supervises=tree["committee"]))
    assert client.open(url, method=method).status_code == 403


def test_supervisor_cannot_upload_a_roster(client, tree, make_user, auth):
    auth.login(make_user(tree["a1"], supervises=tree["committee"]))
    assert upload(client, csv_file(GOOD_ROWS)).status_code == 403
    assert member("1001") is None


def test_admin_opens_the_import_page(client, admin):
    assert client.get("/members/import").status_code == 200


def test_admin_imports_a_csv(client, tree, admin):
    response = upload(client, csv_file(GOOD_ROWS))
    assert response.status_code == 200
    assert member("1001").org_id == tree["a1"].id
    assert member("1003").org_id == tree["b1"].id


def test_admin_imports_an_xlsx(client, tree, admin):
    response = upload(client, xlsx_file(GOOD_ROWS), "名单.xlsx")
    assert response.status_code == 200
    assert member("1002").org_id == tree["a2"].id


def test_admin_imports_a_gbk_csv(client, tree, admin):
    assert upload(client, csv_file(GOOD_ROWS, encoding="gbk")).status_code == 200
    assert member("1001").real_name == "张三"


def test_upload_with_a_bad_row_imports_nothing_and_lists_that_row(client, tree, admin):
    rows = [GOOD_ROWS[0], GOOD_ROWS[1], ["5001", "坏一", "不存在党支部", "正式党员", "", ""]]
    response = upload(client, csv_file(rows))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<td>4</td>" in page
    assert "不存在党支部" in page
    assert member("1001") is None and member("1002") is None


def test_upload_with_duplicate_login_ids_names_both_rows(client, tree, admin):
    rows = [GOOD_ROWS[0], ["1001", "张三二", A2, "正式党员", "", ""]]
    response = upload(client, csv_file(rows))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    row = page[page.index("<td>3</td>"):]
    reason = row[len("<td>3</td>"):row.index("</tr>")]
    assert "1001" in reason and re.search(r"\b2\b", reason)
    assert user_count() == 1  # only the admin


def test_upload_with_ambiguous_branch_name_is_refused(client, tree, twin_branches, admin):
    response = upload(client, csv_file([["4003", "郑三", "甲一党支部", "正式党员", "", ""]]))
    assert response.status_code == 400
    assert member("4003") is None


@pytest.mark.parametrize("data,filename", [
    (os.urandom(4096), "roster.xlsx"),
    (b"PK\x03\x04" + os.urandom(512), "roster.xlsx"),
    (b"\x00\x01\x02" * 100, "roster.csv"),
    (b"", "roster.csv"),
    (csv_file([]), "roster.csv"),
    (csv_file([["1001", "张三", "正式党员"]], header=["登录号", "姓名", "人员类别"]), "roster.csv"),
])
def test_unreadable_file_gives_a_clear_400_not_a_crash(client, tree, admin, data, filename):
    response = upload(client, data, filename)
    assert response.status_code == 400
    assert user_count() == 1


def test_file_of_another_type_is_refused(client, tree, admin):
    response = upload(client, csv_file(GOOD_ROWS), "roster.txt")
    assert response.status_code == 400
    assert member("1001") is None


def test_post_without_a_file_is_refused(client, admin):
    response = client.post("/members/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400


@pytest.mark.app_config(ROSTER_MAX_ROWS=2)
def test_upload_beyond_the_row_limit_is_refused(client, tree, admin):
    assert upload(client, csv_file(GOOD_ROWS)).status_code == 400
    assert member("1001") is None


def test_reimport_through_the_form_updates_without_duplicates(client, tree, admin):
    upload(client, csv_file(GOOD_ROWS))
    response = upload(client, csv_file([["1001", "张三", B1, "正式党员", "党员", "13800000001"]]))
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).where(User.login_id == "1001")) == 1
    assert member("1001").org_id == tree["b1"].id


def test_reimport_through_the_form_reports_created_updated_and_unchanged(client, tree, admin):
    upload(client, csv_file(GOOD_ROWS[:2]))
    changed = [["1001", "张三", B1, "正式党员", "党员", "13800000001"], GOOD_ROWS[1], GOOD_ROWS[2]]
    assert upload(client, csv_file(changed)).status_code == 200
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "roster.import")
                              .order_by(AuditLog.id)).all()
    assert [(r.detail["created"], r.detail["updated"], r.detail["unchanged"]) for r in rows] == [
        (2, 0, 0), (1, 1, 1)]


def test_upload_is_audited_with_the_admin_as_actor(client, tree, admin):
    upload(client, csv_file(GOOD_ROWS))
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "roster.import"))
    assert row.actor_id == admin.id
    assert row.detail["created"] == 3


# --- One-time passwords of new accounts ---------------------------------------------------------------


def test_credentials_are_downloadable_once(client, tree, admin):
    upload(client, csv_file(GOOD_ROWS))
    first = client.post("/members/import/credentials")
    assert first.status_code == 200
    assert first.mimetype == "text/csv"
    assert "attachment" in first.headers["Content-Disposition"]
    assert client.post("/members/import/credentials").status_code == 404


def test_credentials_list_every_new_account(client, tree, admin):
    upload(client, csv_file(GOOD_ROWS))
    header, by_login = read_credentials(client.post("/members/import/credentials").data)
    assert header == ["登录号", "姓名", "一次性密码"]
    assert sorted(by_login) == ["1001", "1002", "1003"]
    assert by_login["1002"][1] == "李四"


def test_downloaded_one_time_password_logs_in_and_must_be_changed(client, tree, admin, auth):
    upload(client, csv_file(GOOD_ROWS))
    _, by_login = read_credentials(client.post("/members/import/credentials").data)
    auth.logout()
    assert auth.login("1003", by_login["1003"][2]).status_code == 302
    response = client.get("/")
    assert response.status_code == 302
    assert location_path(response) == "/auth/password"


def test_credentials_file_is_removed_from_the_server_after_download(client, app, tree, admin):
    upload(client, csv_file(GOOD_ROWS))
    directory = app.config["CREDENTIALS_DIR"]
    assert len(os.listdir(directory)) == 1
    client.post("/members/import/credentials")
    assert os.listdir(directory) == []


def test_credentials_file_on_the_server_is_private(client, app, tree, admin):
    upload(client, csv_file(GOOD_ROWS))
    directory = app.config["CREDENTIALS_DIR"]
    mode = os.stat(os.path.join(directory, os.listdir(directory)[0])).st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_no_credentials_without_an_import(client, admin):
    assert client.post("/members/import/credentials").status_code == 404


def test_no_credentials_when_the_import_only_updated(client, tree, make_user, admin):
    make_user(tree["b1"], login_id="1001")
    upload(client, csv_file([GOOD_ROWS[0]]))
    assert client.post("/members/import/credentials").status_code == 404


def test_no_credentials_after_a_refused_import(client, tree, admin):
    upload(client, csv_file([GOOD_ROWS[0], ["5001", "坏一", "不存在党支部", "正式党员", "", ""]]))
    assert client.post("/members/import/credentials").status_code == 404


def test_credentials_cannot_be_fetched_with_get(client, tree, admin):
    upload(client, csv_file(GOOD_ROWS))
    assert client.get("/members/import/credentials").status_code == 405
    assert client.post("/members/import/credentials").status_code == 200


def test_credentials_belong_to_the_admin_session_that_imported(client, app, tree, make_user, admin):
    upload(client, csv_file(GOOD_ROWS))
    other_admin = make_user(None, roles=["admin"], login_id="other-admin")
    other = app.test_client()
    other.post("/auth/login", data={"login_id": other_admin.login_id, "password": PASSWORD})
    assert other.post("/members/import/credentials").status_code == 404
    assert client.post("/members/import/credentials").status_code == 200


# --- Templates ------------------------------------------------------------------------------------------


def test_xlsx_template_opens_and_has_the_chinese_headers(client, admin):
    response = client.get("/members/import/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert [cell.value for cell in workbook.worksheets[0][1]] == HEADER


def test_csv_template_has_the_chinese_headers_with_bom(client, admin):
    response = client.get("/members/import/template.csv")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert next(csv.reader(io.StringIO(response.data.decode("utf-8-sig")))) == HEADER


def test_filled_in_xlsx_template_imports(client, tree, admin):
    workbook = load_workbook(io.BytesIO(client.get("/members/import/template.xlsx").data))
    for row in GOOD_ROWS:
        workbook.worksheets[0].append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert upload(client, buffer.getvalue(), "花名册.xlsx").status_code == 200
    assert user_count() == 4


def test_filled_in_csv_template_imports(client, tree, admin):
    data = client.get("/members/import/template.csv").data + csv_file(GOOD_ROWS, header=[]).split(b"\r\n", 1)[1]
    assert upload(client, data).status_code == 200
    assert user_count() == 4


def test_unknown_template_kind_gives_404(client, admin):
    assert client.get("/members/import/template.pdf").status_code == 404


# --- CLI: flask import-roster ----------------------------------------------------------------------------


def test_cli_imports_and_writes_the_credentials_file(runner, tree, tmp_path):
    source = tmp_path / "roster.xlsx"
    source.write_bytes(xlsx_file(GOOD_ROWS))
    credentials = tmp_path / "passwords.csv"
    result = runner.invoke(args=["import-roster", str(source), "--credentials", str(credentials)])
    assert result.exit_code == 0, result.output
    assert user_count() == 3
    _, by_login = read_credentials(credentials.read_bytes())
    assert sorted(by_login) == ["1001", "1002", "1003"]


def test_cli_credentials_file_is_private(runner, tree, tmp_path):
    source = tmp_path / "roster.csv"
    source.write_bytes(csv_file(GOOD_ROWS))
    credentials = tmp_path / "passwords.csv"
    runner.invoke(args=["import-roster", str(source), "--credentials", str(credentials)])
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600


def test_cli_password_logs_in(runner, client, auth, tree, tmp_path):
    source = tmp_path / "roster.csv"
    source.write_bytes(csv_file(GOOD_ROWS))
    credentials = tmp_path / "passwords.csv"
    runner.invoke(args=["import-roster", str(source), "--credentials", str(credentials)])
    _, by_login = read_credentials(credentials.read_bytes())
    assert auth.login("1001", by_login["1001"][2]).status_code == 302


def test_cli_writes_credentials_to_the_working_directory_by_default(runner, tree, tmp_path, monkeypatch):
    source = tmp_path / "roster.csv"
    source.write_bytes(csv_file(GOOD_ROWS))
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    result = runner.invoke(args=["import-roster", str(source)])
    assert result.exit_code == 0, result.output
    written = list(workdir.glob("one-time-passwords-*.csv"))
    assert len(written) == 1
    assert sorted(read_credentials(written[0].read_bytes())[1]) == ["1001", "1002", "1003"]


def test_cli_reimport_writes_no_credentials_file(runner, tree, tmp_path):
    source = tmp_path / "roster.csv"
    source.write_bytes(csv_file(GOOD_ROWS))
    runner.invoke(args=["import-roster", str(source), "--credentials", str(tmp_path / "first.csv")])
    result = runner.invoke(args=["import-roster", str(source), "--credentials", str(tmp_path / "second.csv")])
    assert result.exit_code == 0
    assert not (tmp_path / "second.csv").exists()
    assert user_count() == 3


def test_cli_with_a_bad_row_exits_non_zero_and_imports_nothing(runner, tree, tmp_path):
    source = tmp_path / "roster.csv"
    source.write_bytes(csv_file([GOOD_ROWS[0], ["5001", "坏一", "不存在党支部", "正式党员", "", ""], GOOD_ROWS[1]]))
    credentials = tmp_path / "passwords.csv"
    result = runner.invoke(args=["import-roster", str(source), "--credentials", str(credentials)])
    assert result.exit_code != 0
    assert user_count() == 0
    assert not credentials.exists()


def test_cli_with_a_bad_row_names_the_row(runner, tree, tmp_path):
    source = tmp_path / "roster.csv"
    source.write_bytes(csv_file([GOOD_ROWS[0], ["5001", "坏一", "不存在党支部", "正式党员", "", ""]]))
    result = runner.invoke(args=["import-roster", str(source)])
    assert result.exit_code == 1
    assert not isinstance(result.exception, RuntimeError)
    lines = [line for line in result.output.splitlines() if "不存在党支部" in line]
    assert len(lines) == 1 and re.search(r"\b3\b", lines[0])


def test_cli_with_an_unreadable_file_exits_non_zero_cleanly(runner, tree, tmp_path):
    source = tmp_path / "roster.xlsx"
    source.write_bytes(os.urandom(1024))
    result = runner.invoke(args=["import-roster", str(source)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert user_count() == 0


def test_cli_with_a_missing_file_exits_non_zero(runner, tree, tmp_path):
    result = runner.invoke(args=["import-roster", str(tmp_path / "absent.csv")])
    assert result.exit_code != 0

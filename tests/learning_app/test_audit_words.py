"""The audit log in plain words: every action code the code base writes has a label, organisations
show by name (never as an id or a path), and the page costs the same queries for 1 row as for 50."""
import ast
from pathlib import Path

import pytest

from learning_app.audit.labels import ACTION_LABELS, DETAIL_LABELS
from learning_app.audit.services import record_audit
from learning_app.extensions import db
from learning_app.orgs.services import move_org, rename_org
from learning_app.people.services import update_member
from tests.learning_app.test_audit import page_of

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("learning_app", "courses", "quizzes", "analytics")


def _python_files():
    for package in PACKAGES:
        yield from (ROOT / package).rglob("*.py")


def _calls(tree, name):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if getattr(func, "id", None) == name or getattr(func, "attr", None) == name:
                yield node


def _strings(node) -> list[str]:
    """The literal codes an argument can take: a string, or either side of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def written_audit_codes() -> tuple[set[str], set[str], list[str]]:
    """Every action code and literal detail key passed to record_audit, found by reading the code.
    An f-string code ("course.{action}") takes its values from the calls of the enclosing function."""
    codes, keys, unresolved = set(), set(), []
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in _python_files()}
    for path, tree in trees.items():
        for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            for call in _calls(function, "record_audit"):
                if function.name == "record_audit" or len(call.args) < 2:
                    continue
                code = call.args[1]
                if len(call.args) > 3 and isinstance(call.args[3], ast.Dict):
                    keys |= {key.value for key in call.args[3].keys if isinstance(key, ast.Constant)}
                if _strings(code):
                    codes |= set(_strings(code))
                elif isinstance(code, ast.JoinedStr) and len(code.values) == 2:
                    prefix, parameter = code.values[0].value, code.values[1].value.id
                    position = [a.arg for a in function.args.args].index(parameter)
                    found = {prefix + value for other in trees.values() for c in _calls(other, function.name)
                             if len(c.args) > position for value in _strings(c.args[position])}
                    codes |= found
                    if not found:
                        unresolved.append(f"{path.name}:{call.lineno}")
                else:
                    unresolved.append(f"{path.name}:{call.lineno}")
    return codes, keys, unresolved


def test_every_action_code_written_has_a_label():
    codes, _keys, unresolved = written_audit_codes()
    assert unresolved == [], "record_audit calls whose code the scan cannot read: write a literal code"
    assert {"org.move", "user.update", "course.approve", "course.new_revision", "quiz.unpublish"} <= codes
    assert sorted(codes - set(ACTION_LABELS)) == []


def test_every_detail_key_written_has_a_label():
    _codes, keys, _unresolved = written_audit_codes()
    member_fields = {"real_name", "org", "category", "position", "phone"}  # update_member's diff keys
    assert {"to_path", "accepts_walk_ins", "org_id"} <= keys
    assert sorted((keys | member_fields) - set(DETAIL_LABELS)) == []


@pytest.fixture
def admin(make_user, auth):
    user = make_user(None, roles=["admin"], login_id="audit-admin", real_name="审计管理员")
    auth.login(user)
    return user


def test_a_move_shows_organisation_names_not_paths_or_codes(client, tree, admin):
    move_org(admin, tree["a1"], tree["general_b"])
    db.session.commit()
    text = page_of(client, action="org.move")
    assert "党委 › 第二党总支 › 甲一党支部" in text   # the new place, by name
    assert "党委 › 第一党总支 › 甲一党支部" in text   # the old one
    assert "移动组织" in text and "原上级组织" in text and "第一党总支" in text
    table = text[text.index("<table"):text.index("</table>")]
    for raw in ("org.move", "to_path", "from_parent_id", f"/{tree['committee'].id}/"):
        assert raw not in table


def test_member_changes_and_booleans_read_as_words(client, tree, admin, make_user):
    member = make_user(tree["a1"], real_name="王五")
    update_member(admin, member, org=tree["a2"], real_name="王小五")
    record_audit(admin, "base.session_walk_ins", None, {"accepts_walk_ins": False, "deadline": None})
    db.session.commit()
    text = page_of(client)
    assert "甲一党支部 → 甲二党支部" in text and "王五 → 王小五" in text
    assert "接受未报名的党员现场签到：否" in text and "修改党员信息" in text
    assert "False" not in text and "None" not in text


def test_an_unknown_code_still_reads_as_a_sentence(client, admin):
    record_audit(admin, "mystery.thing", None, {"odd_key": 3})
    db.session.commit()
    assert "其他操作（mystery.thing）" in page_of(client)


@pytest.mark.query_budget
def test_the_page_costs_the_same_queries_for_one_row_as_for_fifty(client, tree, admin, count_queries):
    def cost():
        with count_queries() as counted:
            page_of(client)
        return counted["n"]
    rename_org(admin, tree["a1"], "改名一次")
    db.session.commit()
    few = cost()
    for number in range(25):
        move_org(admin, tree["a2"], tree["general_b"] if number % 2 == 0 else tree["general_a"])
        update_member(admin, admin, real_name=f"管理员{number}")
    db.session.commit()
    assert cost() == few

"""One permission-check style for routes (learning_app/permissions.py): role gates are decorators, objects
are loaded and authorised by get_<thing>_or_404(id, user, need=...); views never refuse by hand."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VIEWS = sorted(path for package in ("learning_app", "courses", "quizzes", "analytics")
               for path in (ROOT / package).rglob("*.py") if path.stem == "views" or path.parent.name == "views")


def forbidden_refusals(tree):
    """abort(403) anywhere in a view module: a role or access rule tested by hand."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "abort"
                and node.args and not (isinstance(node.args[0], ast.Constant) and node.args[0].value in (400, 404))):
            yield node.lineno


def test_the_scan_reads_the_views():
    assert len(VIEWS) >= 15


@pytest.mark.parametrize("path", VIEWS, ids=lambda path: str(path.relative_to(ROOT)))
def test_views_refuse_only_through_the_permission_helpers(path):
    lines = list(forbidden_refusals(ast.parse(path.read_text(encoding="utf-8"))))
    assert not lines, f"{path.relative_to(ROOT)}: use a role decorator or get_*_or_404(..., need=...), lines {lines}"


def test_role_gates_sign_in_first_and_refuse_with_403(client, auth, make_user, tree):
    """The decorators (requires) behave as login_required + a rule: anonymous to the login page, the
    wrong role 403, the right one through."""
    assert client.get("/courses/review").status_code == 302  # not signed in: the login page
    auth.login(make_user(tree["a1"]))
    assert client.get("/courses/review").status_code == 403
    assert client.get("/courses/").status_code == 200

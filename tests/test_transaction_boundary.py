"""One transaction boundary (learning_app/transactions.py): no view, service or command commits or rolls
back itself, no view catches a rule error itself, and every refusal is a RuleError."""
import ast
import importlib
from pathlib import Path

import pytest

from learning_app.transactions import RuleError

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["learning_app", "courses", "quizzes", "analytics"]


def modules(*rooms):
    """The package modules that are one of `rooms` (views.py, or a file in a views/ sub-package)."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.stem in rooms or path.parent.name in rooms:
                found.append(path)
    return found


VIEWS = modules("views")
WRITERS = VIEWS + modules("services", "cli", "scale", "roster", "demo")


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def calls_named(tree, names):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names:
            yield node


def test_the_scan_finds_the_rooms():
    # A scan over nothing cannot fail: make sure it reads the modules it is meant to.
    names = {module_name(path) for path in WRITERS}
    assert {"learning_app.orgs.views", "courses.views.learning", "courses.bases.views.bases",
            "quizzes.views.taking", "quizzes.services.attempts", "learning_app.cli", "analytics.cli"} <= names


@pytest.mark.parametrize("path", WRITERS, ids=module_name)
def test_no_view_service_or_command_commits_or_rolls_back(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    offenders = [f"{module_name(path)}:{node.lineno}" for node in calls_named(tree, {"commit", "rollback"})]
    assert not offenders, f"commit through learning_app.transactions instead: {offenders}"


def rule_error_names():
    for package in PACKAGES:  # every module, so that every subclass is defined
        for path in (ROOT / package).rglob("*.py"):
            importlib.import_module(module_name(path).removesuffix(".__init__"))
    found, todo = set(), [RuleError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


def caught_names(handler):
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for node in types:
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.Attribute):
            yield node.attr


def reraises(handler) -> bool:
    return bool(handler.body) and isinstance(handler.body[-1], ast.Raise) and handler.body[-1].exc is None


@pytest.mark.parametrize("path", VIEWS, ids=module_name)
def test_no_view_catches_a_rule_error_itself(path):
    """learning_app.transactions.run_write turns a refusal into the flashed message (or a JSON endpoint's
    outcome.refusal): a view that catches one would decide anew whether to commit and what to say."""
    forbidden = rule_error_names() | {"RuleError", "ValueError", "Exception"}
    offenders = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ExceptHandler):
            caught = {"BaseException"} if node.type is None else set(caught_names(node))
            if caught & (forbidden | {"BaseException"}) and not reraises(node):
                offenders.append(f"{module_name(path)}:{node.lineno} catches {sorted(caught)}")
    assert not offenders, offenders


def translated_raises(tree):
    """`raise SomeError(_("..."))`: an exception whose message is for the user, that is a refusal."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name):
            for argument in node.exc.args:
                if (isinstance(argument, ast.Call) and isinstance(argument.func, ast.Name)
                        and argument.func.id in {"_", "ngettext", "gettext"}):
                    yield node.exc.func.id, node.lineno


def test_every_refusal_is_a_rule_error():
    rule_errors = rule_error_names()
    refusals, offenders = set(), []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for name, line in translated_raises(ast.parse(path.read_text(encoding="utf-8"))):
                refusals.add(name)
                if name not in rule_errors:
                    offenders.append(f"{path.relative_to(ROOT)}:{line} raises {name}")
    assert not offenders, f"derive these from learning_app.transactions.RuleError: {offenders}"
    # The scan finds the refusals it is meant to (a scan that finds none cannot fail).
    assert {"AttemptError", "UploadRefused", "QuestionImportError", "RosterFileError", "LearningError",
            "BaseRuleError", "AuthoringError"} <= refusals


# The boundary's own behaviour -------------------------------------------------------------------------

class KeptRefusal(RuleError):
    keeps_changes = True


def _org_named(name):
    from sqlalchemy import select

    from learning_app.extensions import db
    from learning_app.models import Organization
    db.session.rollback()  # whatever was not committed goes: what is left was committed
    return db.session.scalar(select(Organization).where(Organization.name == name))


def _create(name, refusal=None):
    from learning_app.models import OrgKind
    from learning_app.orgs.services import create_org

    def action():
        org = create_org(None, name, OrgKind.COMMITTEE, None)
        if refusal is not None:
            raise refusal
        return org
    return action


def test_run_write_commits_and_hands_back_the_result(app):
    from flask import get_flashed_messages

    from learning_app.transactions import run_write
    with app.test_request_context():
        outcome = run_write(_create("甲党委"), lambda org: f"{org.name} created")
        assert not outcome.refused and outcome.result.name == "甲党委"
        assert get_flashed_messages(with_categories=True) == [("success", "甲党委 created")]
        assert _org_named("甲党委") is not None


def test_a_refusal_is_rolled_back_and_flashed_once(app):
    from flask import get_flashed_messages

    from learning_app.transactions import run_write
    with app.test_request_context():
        outcome = run_write(_create("乙党委", RuleError("not allowed")), "never said")
        assert outcome.refused and str(outcome.refusal) == "not allowed"
        assert get_flashed_messages(with_categories=True) == [("error", "not allowed")]
        assert _org_named("乙党委") is None


def test_a_quiet_refusal_flashes_nothing_and_one_that_keeps_changes_commits(app):
    from flask import get_flashed_messages

    from learning_app.transactions import run_write
    with app.test_request_context():
        outcome = run_write(_create("丙党委", KeptRefusal("counted")), quiet=True)
        assert outcome.refused and get_flashed_messages() == []
        assert _org_named("丙党委") is not None


def test_any_other_exception_rolls_back_and_goes_on(app):
    from learning_app.transactions import run_write
    with app.test_request_context():
        with pytest.raises(KeyError):
            run_write(_create("丁党委", KeyError("bug")))
        assert _org_named("丁党委") is None


def test_a_command_prints_the_refusal_and_exits_1(app):
    import click

    from learning_app.transactions import committing_command
    with app.app_context():
        with pytest.raises(click.ClickException, match="not allowed"), committing_command():
            _create("戊党委", RuleError("not allowed"))()
        assert _org_named("戊党委") is None

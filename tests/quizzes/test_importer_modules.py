"""The format modules import what they share from quizzes.importers.common, never from the package itself:
the package imports them, so importing it back would be a cycle that only works in one import order."""
import ast
from pathlib import Path

import pytest

import quizzes.importers

PACKAGE = Path(quizzes.importers.__file__).parent
FORMAT_MODULES = sorted(path for path in PACKAGE.glob("*.py") if path.name != "__init__.py")


@pytest.mark.parametrize("path", FORMAT_MODULES, ids=lambda path: path.name)
def test_format_module_does_not_import_its_package(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    back = [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None
            or isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "quizzes.importers"]
    assert not back, f"{path.name} imports quizzes.importers at lines {back}"

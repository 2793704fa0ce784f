"""Imports flow one way: config <- learning_app <- courses <- quizzes <- analytics."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["learning_app", "courses", "quizzes", "analytics"]


def imported_packages(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


@pytest.mark.parametrize("layer", [layer for layer in LAYERS if (ROOT / layer).is_dir()])
def test_package_imports_no_higher_layer(layer):
    higher = set(LAYERS[LAYERS.index(layer) + 1:])
    offenders = []
    for path in (ROOT / layer).rglob("*.py"):
        if layer == "learning_app" and path.name == "factory.py":
            continue  # the factory wires every blueprint, inside create_app
        bad = higher & set(imported_packages(path))
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, offenders


def test_no_template_or_static_file_loads_from_another_host():
    offenders = []
    for path in list(ROOT.glob("*/**/templates/**/*.html")) + list((ROOT / "static").rglob("*.css")) \
            + list((ROOT / "static" / "js").rglob("*.js")):
        if ".venv" in path.relative_to(ROOT).parts:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        for marker in ('src="http', "src='http", 'href="http', "href='http", "url(http", "@import url(\"http"):
            if marker in text:
                offenders.append(f"{path.relative_to(ROOT)}: {marker}")
    assert not offenders, offenders


def test_templates_have_no_inline_script_or_style():
    offenders = []
    for path in ROOT.glob("*/**/templates/**/*.html"):
        if ".venv" in path.relative_to(ROOT).parts:  # installed libraries' templates (huey's admin pages)
            continue
        text = path.read_text(encoding="utf-8")
        if "<script>" in text or " style=" in text or "<style" in text or " onclick=" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders

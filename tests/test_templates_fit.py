"""Every template's tables fit a phone: each <table> sits inside a .table-responsive box, so a wide
table scrolls inside its card instead of squeezing its columns to one character per line; the box takes
the keyboard's focus (tabindex="0"), so that it can be scrolled without a mouse."""
import re
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("learning_app", "courses", "quizzes", "analytics")


def templates():
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("templates/**/*.html"))


class TableFinder(HTMLParser):
    """Records each <table> opened outside any element whose class list holds table-responsive."""
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.open = []  # the class lists of the open elements
        self.bare_tables = []
        self.unfocusable_boxes = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        if "table-responsive" in classes and dict(attrs).get("tabindex") != "0":
            self.unfocusable_boxes.append(self.getpos()[0])
        if tag == "table" and not any("table-responsive" in open_classes for open_classes in self.open):
            self.bare_tables.append(self.getpos()[0])
        self.open.append(classes)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.open:
            self.open.pop()


# A macro that puts what its caller gives inside a responsive box ({% call chart(...) %}<table>...).
WRAPPING_MACRO = re.compile(r'{%-?\s*macro\s+(\w+)\((?:(?!{%-?\s*endmacro).)*'
                            r'class="table-responsive" tabindex="0">{{ caller\(\) }}', re.S)


def wrapping_macros():
    return {name for template in templates() for name in WRAPPING_MACRO.findall(template.read_text(encoding="utf-8"))}


def as_rendered(text, macros):
    """The template with each {% call m(...) %} of a wrapping macro written as the box it renders."""
    for name in macros:
        text = re.sub(r"{%-?\s*call\s+" + name + r"\(.*?%}((?:(?!{%-?\s*endcall).)*){%-?\s*endcall\s*-?%}",
                      r'<div class="table-responsive" tabindex="0">\1</div>', text, flags=re.S)
    return text


def test_every_table_scrolls_inside_a_responsive_box():
    bare, unfocusable = [], []
    macros = wrapping_macros()
    assert "chart" in macros  # the dashboard's charts show their data as tables
    for template in templates():
        finder = TableFinder()
        finder.feed(as_rendered(template.read_text(encoding="utf-8"), macros))
        bare += [f"{template.relative_to(ROOT)}:{line}" for line in finder.bare_tables]
        unfocusable += [f"{template.relative_to(ROOT)}:{line}" for line in finder.unfocusable_boxes]
    assert not bare, f"tables outside a .table-responsive box: {bare}"
    assert not unfocusable, f'.table-responsive boxes without tabindex="0": {unfocusable}'


def test_the_guard_notices_a_bare_table():
    finder = TableFinder()
    finder.feed('<div class="card"><table class="table"><tr><td>1</td></tr></table></div>'
                '<div class="table-responsive" tabindex="0"><table class="table"></table></div>\n'
                '<div class="table-responsive"><table class="table"></table></div>')
    assert finder.bare_tables == [1]
    assert finder.unfocusable_boxes == [2]

"""Every user-facing string has a Chinese translation, and the catalog matches the code."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "learning_app" / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.po"


def _catalog_entries(path):
    """(context, msgid) -> message; a plural entry is keyed by its singular msgid."""
    with open(path, "rb") as handle:
        return {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in read_po(handle) if m.id}


def _forms(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def test_every_string_in_the_code_is_translated_to_chinese(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "--no-location", "-F",
                    str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
                    "-k", "lazy_pgettext:1c,2", "-k", "lazy_ngettext:1,2", "-o", str(template), str(ROOT)],
                   cwd=ROOT, check=True, capture_output=True)
    in_code = set(_catalog_entries(template))
    assert len(in_code) > 100  # the extraction itself worked
    translated = {key for key, m in _catalog_entries(CATALOG).items() if all(_forms(m)) and "fuzzy" not in m.flags}
    assert sorted(in_code - translated) == []


def test_translations_keep_their_placeholders():
    import re
    placeholder = re.compile(r"%\(\w+\)[sd]")
    # A plural entry's translations carry the plural msgid's placeholders (its singular may leave the
    # number out: "Import this question").
    wrong = [key for key, m in _catalog_entries(CATALOG).items() for form in _forms(m)
             if form and sorted(placeholder.findall(m.id if isinstance(m.id, str) else m.id[1]))
             != sorted(placeholder.findall(form))]
    assert wrong == []

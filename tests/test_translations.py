"""Every user-facing string has a Chinese translation, and the catalog matches the code."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "learning_app" / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.po"


def _catalog_entries(path):
    with open(path, "rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(handle) if m.id}


def test_every_string_in_the_code_is_translated_to_chinese(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "--no-location", "-F",
                    str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext", "-o", str(template), str(ROOT)],
                   cwd=ROOT, check=True, capture_output=True)
    in_code = set(_catalog_entries(template))
    assert len(in_code) > 100  # the extraction itself worked
    translated = {key for key, m in _catalog_entries(CATALOG).items() if m.string and "fuzzy" not in m.flags}
    assert sorted(in_code - translated) == []


def test_translations_keep_their_placeholders():
    import re
    placeholder = re.compile(r"%\(\w+\)[sd]")
    wrong = [key for key, m in _catalog_entries(CATALOG).items() if m.string
             # A plural (ngettext) has a form per number; Chinese has one, and each keeps the placeholders.
             for form in (m.string if isinstance(m.string, tuple) else (m.string,))
             if sorted(placeholder.findall(key)) != sorted(placeholder.findall(form))]
    assert wrong == []

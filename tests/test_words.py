"""Words on the pages and in the catalog: Chinese reads as Chinese, counts agree with their nouns.

- Every GET page of the access-matrix world, rendered in Chinese for every visitor it serves, shows no
  "True"/"False"/"None", no English word outside a short allowlist (a msgid left untranslated, a raw
  code), and, rendered in English, no "1 days"-style plural.
- The catalog: every msgid that counts something in a sentence is an ngettext entry, every Chinese
  translation is filled, and none holds English words beyond the allowlist.
"""
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from learning_app.extensions import db
from learning_app.models import User
from tests.access_matrix_data import ACCESS_MATRIX, VISITORS
from tests.test_access_matrix import log_in, world, world_template  # noqa: F401 (fixtures)

pytestmark = pytest.mark.app_config(SQLALCHEMY_DATABASE_URI="sqlite://")

CATALOG = Path(__file__).resolve().parent.parent / "learning_app" / "translations" / "zh_Hans" / "LC_MESSAGES" \
    / "messages.po"

# English a Chinese page may show: names of formats and tools, and the language switch.
ALLOWED_ENGLISH = {"URL", "PDF", "CSV", "Excel", "Markdown", "JavaScript", "GIFT", "Moodle", "Aiken", "UTF",
                   "GBK", "NUL", "QR", "ANSWER", "ACD", "English", "xlsx", "xls", "csv", "gift", "txt", "upload",
                   "MB", "KB", "GB", "IP",
                   "openid"}  # WeChat's name for a follower's id, as its Chinese documentation writes it
RAW_VALUES = {"True", "False", "None"}


class VisibleText(HTMLParser):
    """The text a reader sees or hears: element text and the attributes a browser shows or reads aloud."""
    SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
    HIDDEN = ("script", "style", "template")

    def __init__(self):
        super().__init__()
        self.pieces, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self._hidden += 1
        attrs = dict(attrs)
        self.pieces += [attrs[name] for name in self.SHOWN_ATTRIBUTES if attrs.get(name)]
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.pieces.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.pieces.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.pieces


def english_words(text: str, data_words: set[str]) -> list[str]:
    """ASCII words in a piece of Chinese text that are neither allowed nor the world's own data."""
    for word in data_words:
        text = text.replace(word, " ")
    return [word for word in re.findall(r"[A-Za-z]{2,}", text) if word not in ALLOWED_ENGLISH]


def english_plurals(text: str) -> list[str]:
    """"1 days", "1 courses": a one followed by a plural noun (up to two words later)."""
    return [match.group(0) for match in re.finditer(r"(?<![\d.,/])\b1 (?:[a-z]+ )?([a-z]+s)\b", text)
            if match.group(1) not in {"is", "was", "has", "this", "its"}]


def _pages():
    for endpoint, row in ACCESS_MATRIX.items():
        if row.method == "GET":
            for visitor in VISITORS:
                if row.outcome(visitor) == 200:
                    yield endpoint, visitor


def _html_pages(app, w, language):
    """(where, html) for every GET page of the matrix each visitor reaches, in the given language."""
    if language != "zh_Hans":
        db.session.execute(db.update(User).values(locale=language))
        db.session.commit()
    for endpoint, visitor in _pages():
        row = ACCESS_MATRIX[endpoint]
        client = app.test_client()
        log_in(client, w, visitor)
        with app.test_request_context():
            urls = [builder(w, "A") for builder in [row.url, *row.variants]]
        for url in urls:
            response = client.get(url)
            if response.mimetype == "text/html":
                yield f"{url} as {visitor}", response.get_data(as_text=True)


def _data_words(w) -> set[str]:
    """The world's own ASCII data (login ids, file names), which pages rightly show as typed."""
    return set(w["users"].values()) | {"image.png", "photo.png", "upload:"}


def test_every_page_in_chinese_shows_no_english_or_raw_values(app, world):
    problems = []
    for where, html in _html_pages(app, world, "zh_Hans"):
        for piece in visible_text(html):
            raw = RAW_VALUES & set(re.findall(r"[A-Za-z]+", piece))
            english = english_words(piece, _data_words(world))
            if raw or english:
                problems.append(f"{where}: {piece!r}")
    assert not problems, "\n".join(sorted(set(problems)))


def test_every_page_in_english_puts_counts_of_one_in_the_singular(app, world):
    problems = []
    for where, html in _html_pages(app, world, "en"):
        for piece in visible_text(html):
            problems += [f"{where}: {found!r} in {piece!r}" for found in english_plurals(piece)]
    assert not problems, "\n".join(sorted(set(problems)))


def test_the_page_checks_notice_the_faults_they_guard_against():
    """The checks themselves: each kind of fault is caught, and Chinese with allowed words passes."""
    assert visible_text('<p title="x">是</p><script>var a = "True";</script>') == ["x", "是"]
    assert english_words("必修：True", set()) == ["True"]
    assert english_words("user.update", set()) == ["user", "update"]
    assert english_words("上传 Excel 或 CSV 文件（.xlsx）", set()) == []
    assert english_words("甲方党员 matrix_member_a", {"matrix_member_a"}) == []
    assert english_plurals("1 days in a row") == ["1 days"]
    assert english_plurals("Import 1 random questions") == ["1 random questions"]
    assert english_plurals("11 days, 1 day, 1 is fine, 2.1 hours") == []


# --- the catalog -----------------------------------------------------------------------------------

# Placeholders that hold a number of things: a sentence that counts with one needs ngettext.
COUNTING = {"count", "num", "days", "hours", "minutes", "seconds", "points", "total", "created", "updated",
            "unchanged", "max", "min", "limit", "done", "required", "taken", "capacity", "correct", "n"}
NOT_PLURAL_NOUNS = {"is", "was", "has", "this", "its", "as", "does", "less"}


def _messages():
    with open(CATALOG, "rb") as handle:
        return [message for message in read_po(handle) if message.id]


def counts_in_a_sentence(msgid: str) -> bool:
    """A counting placeholder followed (within two words) by an English plural: "%(count)s courses",
    "%(seconds)s more seconds", "the first %(count)s rows"."""
    text = re.sub(r"%\((\w+)\)[sd]", lambda m: " NUMBER " if m.group(1) in COUNTING else " THING ", msgid)
    for match in re.finditer(r"NUMBER((?: +[A-Za-z]+){1,2})", text):
        if any(word.endswith("s") and word.lower() not in NOT_PLURAL_NOUNS
               for word in match.group(1).split()):
            return True
    return False


def test_every_count_in_a_sentence_is_a_plural_entry():
    singular_only = [m.id for m in _messages() if isinstance(m.id, str) and counts_in_a_sentence(m.id)]
    assert singular_only == [], "use ngettext for these"


def test_the_plural_check_notices_counts():
    assert counts_in_a_sentence("%(count)s courses to finish")
    assert counts_in_a_sentence("Please study for %(seconds)s more seconds.")
    assert counts_in_a_sentence("the first %(count)s rows with errors")
    assert not counts_in_a_sentence("Option %(key)s is empty.")
    assert not counts_in_a_sentence("Quarter %(n)s, %(year)s")
    assert not counts_in_a_sentence("Wrong codes entered: %(count)s / %(limit)s (check-in by code closes)")


def test_every_chinese_translation_is_filled_and_chinese():
    problems = []
    for message in _messages():
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            if not form:
                problems.append(f"empty: {message.id!r}")
                continue
            bare = re.sub(r"%\(\w+\)[sd]|\{[^}]*\}|“[^”]*”", " ", form)  # placeholders, GIFT syntax, quoted input
            english = [word for word in re.findall(r"[A-Za-z]{2,}", bare) if word not in ALLOWED_ENGLISH]
            if english:
                problems.append(f"English {english} in {form!r}")
    assert problems == []


# --- words that meant something else ---------------------------------------------------------------

def test_the_member_reviews_their_answers_not_an_approval(app, world):
    """After a quiz the member reads 答题回顾; 审核 is the authors' and reviewers' word."""
    client = app.test_client()
    log_in(client, world, "member_a")
    with app.test_request_context():
        url = ACCESS_MATRIX["quizzes.attempt_result"].url(world, "A")
    text = " ".join(visible_text(client.get(url).get_data(as_text=True)))
    assert "答题回顾" in text and "审核" not in text


def test_partial_credit_options_show_the_share_the_grader_counts():
    """Unweighted partial credit splits evenly (wrong options take marks away): no "(0%)" after every
    option; an option worth nothing shows no share."""
    from types import SimpleNamespace

    from quizzes.views.formatting import option_shares
    options = [{"key": key, "text": key, "weight": 0.0} for key in "ABCD"]
    even = SimpleNamespace(partial_credit=True, options=options, answer=["A", "C"])
    assert option_shares(even) == {"A": "50%", "B": "−50%", "C": "50%", "D": "−50%"}
    weighted = SimpleNamespace(partial_credit=True, answer=["A", "B"], options=[
        {"key": "A", "text": "", "weight": 0.5}, {"key": "B", "text": "", "weight": 0.5},
        {"key": "C", "text": "", "weight": 0.0}])
    assert option_shares(weighted) == {"A": "50%", "B": "50%"}
    assert option_shares(SimpleNamespace(partial_credit=False, options=options, answer=["A"])) == {}


def test_a_never_seen_member_reads_never_logged_in_and_quiz_answers_never_shown(app):
    """One English "Never", two Chinese words: told apart by their context."""
    from flask_babel import force_locale, pgettext

    from quizzes.models import ReviewPolicy
    with app.test_request_context(), force_locale("zh_Hans"):
        assert pgettext("last login", "Never") == "从未登录"
        assert str(ReviewPolicy("never").label) == "不显示"

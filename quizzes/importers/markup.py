"""Moodle's text formats ([html], [moodle], [markdown], [plain]) turned into the plain text a question holds.

Questions are plain text everywhere they appear (the attempt, the review queue, statistics, exports, the
editor), so an imported question keeps no markup: Markdown is rendered (markdown-it, raw HTML off) and
HTML, rendered or written, becomes its text. nh3 (the sanitiser courses.markdown uses) removes every tag,
and <script> and <style> with their content; line breaks and block ends become line ends, entities
become characters. Emphasis and colour are lost; nothing a member sees is markup.
"""
from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

FORMAT_MARKER = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
LINE_ENDS = re.compile(r"<\s*br\s*/?\s*>|<\s*/\s*(?:p|div|li|h[1-6]|tr|blockquote|pre|table|ul|ol)\s*>",
                       re.IGNORECASE)
_markdown = MarkdownIt("commonmark", {"html": False})


def split_format(text: str, default: str) -> tuple[str, str]:
    """(format, text without its marker): a marker at the start names the format, else `default`."""
    match = FORMAT_MARKER.match(text)
    if not match:
        return default, text
    return match.group(1).lower(), text[match.end():]


def as_text(text: str, text_format: str) -> str:
    """The plain text of `text` written in `text_format` ("plain" leaves it as it is)."""
    if text_format == "markdown":
        return html_to_text(_markdown.render(text))
    if text_format in ("html", "moodle"):  # Moodle's auto-format lets HTML through: treat it as HTML
        return html_to_text(text)
    return text


def html_to_text(source: str) -> str:
    """What a browser shows of `source`, as lines of text."""
    source = LINE_ENDS.sub("\n", re.sub(r"[ \t\r\n]+", " ", source))  # in HTML a line end is a space
    text = html.unescape(nh3.clean(source, tags=set())).replace("\xa0", " ")
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)

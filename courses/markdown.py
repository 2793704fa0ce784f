"""Markdown for lesson articles: rendered by markdown-it-py, then cleaned by an allow-list sanitiser."""
import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"},
                      "ol": {"start"}}
FILE_REFERENCE = re.compile(r"^(?:upload:(\d+)|/courses/files/(\d+)(?:/[^?#]*)?)$")
FILE_REFERENCE_IN_TEXT = re.compile(r"\]\((?:upload:(\d+)|/courses/files/(\d+))")

# Raw HTML in the source is shown as text, never passed through.
_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def render_markdown(source: str, file_url, allowed_file_ids: set[int]) -> str:
    """Safe HTML for `source`. Images may only show the course's own uploads
    (written `![说明](upload:12)`); `file_url(id)` gives their address."""
    allowed_sources = {file_url(file_id) for file_id in allowed_file_ids}
    tokens = _renderer.parse(source or "")
    for token in _walk(tokens):
        if token.type == "image":
            match = FILE_REFERENCE.match(token.attrGet("src") or "")
            file_id = int(match.group(1) or match.group(2)) if match else None
            if file_id in allowed_file_ids:
                token.attrSet("src", file_url(file_id))
            else:
                token.attrs.pop("src", None)

    def keep_attribute(tag, attribute, value):
        if tag == "img" and attribute == "src":
            return value if value in allowed_sources else None
        return value

    html = _renderer.renderer.render(tokens, _renderer.options, {})
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow",
                     attribute_filter=keep_attribute, strip_comments=True)


def _walk(tokens):
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)

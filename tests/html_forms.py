"""The POST forms of a rendered page, with the values a browser would send if submitted untouched.

A browser sends: text-like inputs and hidden inputs with their value; checked boxes and radios (value
"on" when none is given); for a select the selected options, or its first option when none is
selected (so a select that does not mark the stored value silently sends another); a textarea's text
without the one leading line break HTML drops, its line breaks as CRLF. Disabled controls, file inputs
and unnamed controls send nothing; of the submit buttons only the one clicked, here the first.
"""
from dataclasses import dataclass, field
from html.parser import HTMLParser

NOT_SENT = {"file", "submit", "button", "reset", "image"}


@dataclass
class Form:
    action: str
    enctype: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # every named control, sent or not
    submitter: tuple[str, str] | None = None

    def data(self) -> list[tuple[str, str]]:
        return self.fields + ([self.submitter] if self.submitter else [])

    @property
    def is_button(self) -> bool:
        """Nothing to fill in but the CSRF token (and a named button): the form asks for its action."""
        return all(name.endswith("csrf_token") for name in self.names)


class _FormParser(HTMLParser):
    def __init__(self, page_url):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select = None      # [name, multiple, options[(value, selected)]]
        self.option = None      # [value or None, text, selected]
        self.textarea = None    # [name, text]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if (attrs.get("method") or "get").lower() == "post":
                self.form = Form(attrs.get("action") or self.page_url,
                                 attrs.get("enctype") or "application/x-www-form-urlencoded")
                self.forms.append(self.form)
            return
        if self.form is None:
            return
        name = attrs.get("name")
        disabled = "disabled" in attrs
        if tag == "input" and name:
            self._input(name, attrs, disabled)
        elif tag == "button" and name and (attrs.get("type") or "submit") == "submit":
            self.form.names.append(name)
            if self.form.submitter is None and not disabled:
                self.form.submitter = (name, attrs.get("value") or "")
        elif tag == "select" and name:
            self.form.names.append(name)
            self.select = None if disabled else [name, "multiple" in attrs, []]
        elif tag == "option" and self.select is not None:
            self.option = [attrs.get("value"), "", "selected" in attrs]
        elif tag == "textarea" and name:
            self.form.names.append(name)
            self.textarea = None if disabled else [name, ""]

    def _input(self, name, attrs, disabled):
        kind = (attrs.get("type") or "text").lower()
        self.form.names.append(name)
        if disabled or kind in NOT_SENT:
            return
        if kind in ("checkbox", "radio"):
            if "checked" in attrs:
                self.form.fields.append((name, attrs.get("value") or "on"))
            return
        self.form.fields.append((name, attrs.get("value") or ""))

    def handle_data(self, data):
        if self.option is not None:
            self.option[1] += data
        elif self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "option" and self.option is not None:
            value, text, selected = self.option
            self.select[2].append((text.strip() if value is None else value, selected))
            self.option = None
        elif tag == "select" and self.select is not None:
            self._close_select()
        elif tag == "textarea" and self.textarea is not None:
            name, text = self.textarea
            if text.startswith("\r\n"):
                text = text[2:]
            elif text.startswith("\n"):
                text = text[1:]
            text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")  # as browsers send it
            self.form.fields.append((name, text))
            self.textarea = None

    def _close_select(self):
        name, multiple, options = self.select
        chosen = [value for value, selected in options if selected]
        if not chosen and not multiple and options:
            chosen = [options[0][0]]
        self.form.fields.extend((name, value) for value in (chosen if multiple else chosen[-1:]))
        self.select = None


def post_forms(html: str, page_url: str) -> list[Form]:
    parser = _FormParser(page_url)
    parser.feed(html)
    parser.close()
    return parser.forms

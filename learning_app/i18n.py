"""Language selection: the user's choice, else the session's, else Chinese."""
from contextlib import contextmanager

from flask import current_app, has_request_context, session
from flask.globals import request_ctx
from flask_babel import force_locale, get_translations
from flask_login import current_user


def select_locale():
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def request_translations():
    """This request's translations, looked up once: a page translates dozens of strings, and
    Flask-Babel resolves the locale and its cache again for every one of them."""
    if not has_request_context():
        return get_translations()
    ctx = request_ctx._get_current_object()
    translations = getattr(ctx, "learning_translations", None)
    if translations is None:
        translations = ctx.learning_translations = get_translations()
    return translations


@contextmanager
def speaking(locale: str | None):
    """Translate in another person's language inside the block (a message to a member is written in
    theirs, whoever's request sends it); None or an unknown locale means the default language."""
    if locale not in current_app.config["LANGUAGES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    ctx = request_ctx._get_current_object() if has_request_context() else None
    kept = getattr(ctx, "learning_translations", None)
    if ctx is not None:
        ctx.learning_translations = None
    try:
        with force_locale(locale):
            yield
    finally:
        if ctx is not None:
            ctx.learning_translations = kept


def gettext(string, **variables):
    """flask_babel.gettext through request_translations(): for code that translates on every request."""
    translated = request_translations().ugettext(string)
    return translated % variables if variables else translated


def ngettext(singular, plural, n, **variables):
    """flask_babel.ngettext through request_translations(); `num` is n, as in flask_babel."""
    variables.setdefault("num", n)
    return request_translations().ungettext(singular, plural, n) % variables


def init_app(app):
    """Templates translate through request_translations() (installed after Flask-Babel's own)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: request_translations().ugettext(string),
        ngettext=lambda singular, plural, n: request_translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: request_translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: request_translations().unpgettext(
            context, singular, plural, n),
        newstyle=True)

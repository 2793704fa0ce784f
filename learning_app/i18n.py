"""Language selection: the user's choice, else the session's, else Chinese."""
from flask import current_app, session
from flask_login import current_user


def select_locale():
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]

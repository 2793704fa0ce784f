"""What every template can use: navigation by role, languages, formatting."""
from flask import current_app, request, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user


def navigation_for(user):
    """The menu entries this user's roles allow, in display order."""
    if not user.is_authenticated:
        return []
    items = [("main.home", _l("Home"))]
    if user.manages_people:
        items.append(("people.list_members", _l("Members")))
    if user.is_admin:
        items += [
            ("orgs.org_tree", _l("Organisations")),
            ("people.import_roster", _l("Roster import")),
            ("audit.list_entries", _l("Audit log")),
        ]
    return [(endpoint, label, request.endpoint == endpoint) for endpoint, label in items]


def page_url(page, **extra):
    """The current page's URL with another page number, keeping the filters."""
    args = request.args.to_dict()
    args.update(extra)
    args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_app(app):
    @app.context_processor
    def inject_layout():
        return {
            "navigation": navigation_for(current_user),
            "languages": current_app.config["LANGUAGES"],
            "current_locale": str(get_locale()),
        }

    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.filters["datetime"] = lambda value: format_datetime(value, "yyyy-MM-dd HH:mm") if value else ""

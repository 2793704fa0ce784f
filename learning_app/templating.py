"""What every template can use: navigation by role, languages, formatting."""
from flask import current_app, g, request, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from .i18n import ngettext
from .messages.queries import unread_count

# The menu's groups, by what people do; an entry in no group stands alone at the top (Home).
MENU_GROUPS = {
    "study": _l("Study"),
    "life": _l("Organisational life"),
    "manage": _l("Management"),
    "statistics": _l("Statistics"),
}

# (order, endpoint, label, who may see it, group): feature packages add theirs with add_navigation,
# so this core module never imports them.
NAVIGATION = [
    (0, "main.home", _l("Home"), lambda user: True, None),
    (80, "people.list_members", _l("Member management"), lambda user: user.manages_people, "manage"),
    (90, "orgs.org_tree", _l("Organisations"), lambda user: user.is_admin, "manage"),
    (91, "people.import_roster", _l("Roster import"), lambda user: user.is_admin, "manage"),
    (92, "audit.list_entries", _l("Audit log"), lambda user: user.is_admin, "manage"),
]


def add_navigation(order, endpoint, label, allowed, group):
    assert group in MENU_GROUPS, f"menu group {group!r} is not one of {sorted(MENU_GROUPS)}"
    if not any(entry[1] == endpoint for entry in NAVIGATION):
        NAVIGATION.append((order, endpoint, label, allowed, group))
        NAVIGATION.sort(key=lambda entry: entry[0])


# (order, template, context function, who sees it): panels that feature packages show on the home page.
HOME_PANELS = []


def add_home_panel(order, template, context, allowed):
    if not any(panel[1] == template for panel in HOME_PANELS):
        HOME_PANELS.append((order, template, context, allowed))
        HOME_PANELS.sort(key=lambda panel: panel[0])


def home_panels_for(user):
    """[(template, context)] of the panels this user sees, each context built by its package."""
    return [(template, context(user)) for _, template, context, allowed in HOME_PANELS if allowed(user)]


def navigation_for(user):
    """The menu entries this user's roles allow, in display order: [(endpoint, label, active, group)]."""
    if not user.is_authenticated:
        return []
    return [(endpoint, label, request.endpoint == endpoint, group)
            for _, endpoint, label, allowed, group in NAVIGATION if allowed(user)]


def menu_for(user):
    """The menu as shown: [(group key or None, label, active, [(url, label, active)])], groups in MENU_GROUPS
    order, entries standing alone (Home) first; a group none of whose entries the user may see is left out."""
    entries = navigation_for(user)
    menu = [(None, str(label), active, [(url_for(endpoint), str(label), active)])
            for endpoint, label, active, group in entries if group is None]
    for key, group_label in MENU_GROUPS.items():
        items = [(url_for(endpoint), str(label), active) for endpoint, label, active, group in entries
                 if group == key]
        if items:
            menu.append((key, str(group_label), any(active for _, _, active in items), items))
    return menu


def menu_html(user) -> Markup:
    """The menu's items, rendered once per language, set of entries and current page, then reused:
    they hold nothing of the user but which entries their roles allow, and every page shows them."""
    entries = navigation_for(user)
    # Keyed by endpoint, not label: hashing a lazy label would translate it.
    key = (str(get_locale()), request.script_root, tuple((endpoint, active) for endpoint, _, active, _ in entries))
    cache = current_app.extensions.setdefault("rendered_menus", {})
    html = cache.get(key)
    if html is None:
        html = cache[key] = Markup(current_app.jinja_env.get_template("menu.html").render(menu=menu_for(user)))
    return html


def unread_badge_html(count: int) -> Markup:
    """The unread count beside 消息 in the navbar. Its wrapper is there at 0 too: a kept page
    (courses.page_cache) finds it by its exact text and puts the current count in its place."""
    if not count:
        return Markup('<span id="unread-messages"></span>')
    return Markup('<span id="unread-messages"><span class="badge rounded-pill text-bg-danger ms-1" aria-hidden="true">'
                  '{}</span><span class="visually-hidden">{}</span></span>').format(
        count, ngettext("%(num)d unread message", "%(num)d unread messages", count))


def unread_badge() -> Markup:
    """The signed-in user's unread count, read with their row (security.read_signed_in_user, and the
    kept learning page's own statement) into g.unread_messages; counted here, once, only where a
    page changed it (a message read) or loaded the user another way."""
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return Markup("")
    count = g.get("unread_messages")
    if count is None:
        count = g.unread_messages = unread_count(user)
    return unread_badge_html(count)


def page_url(page, **extra):
    """The current page's URL with another page number, keeping the filters."""
    args = request.args.to_dict()
    args.update(extra)
    args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def format_hours(value) -> str:
    """Study hours as people write them: 3, 2.5 (not 3.0)."""
    if value is None:
        return "0"
    return f"{float(value):.1f}".rstrip("0").rstrip(".")


def init_app(app):
    @app.context_processor
    def inject_layout():
        return {
            # The user itself, not the proxy: every menu entry asks about the user's roles.
            "menu": menu_html(current_user._get_current_object()),
            "languages": current_app.config["LANGUAGES"],
            "current_locale": str(get_locale()),
        }

    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["unread_badge"] = unread_badge
    app.jinja_env.filters["hours"] = format_hours
    app.jinja_env.filters["datetime"] = lambda value: format_datetime(value, "yyyy-MM-dd HH:mm") if value else ""

"""Each member's rendered "my learning" page, kept per process while nothing it shows has changed.

Every member opens the page first and often, and it changes only when their own learning does (an
enrolment's progress, credited hours, their roles, which decide the menu) or when what members share
does (courses, revisions, lessons, assignments, the organisation tree). Two counters in
`page_version` say so: one per member (scope = their user id) and one shared by all (scope 0).

What bumps them: this module's WATCHER, registered by the factory with the one change tracker
(learning_app.change_tracker), which shows it what each flush and bulk ORM statement changed in the
models it names; just before the outermost transaction commits, the counters of those scopes are bumped
in that transaction (a rollback forgets them). So every write to those tables goes through the ORM
session, as the dashboard counts (analytics.counts) require too; a write behind its back leaves pages
stale. The suite's autouse guard (tests/tracker_guard.py) fails a test whose writes bypass the tracker;
tests/courses/test_page_cache.py shows which changes renew a page.

A kept page is served again while both counters, the language, the day, the URL and the member's own
row (name, branch, category, position, large text) are what they were when it was rendered. A page with a
flashed message is neither served from the cache nor kept. The CSRF token is put in per request.
"""
from __future__ import annotations

import functools
import secrets

from flask import current_app, g, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from learning_app.change_tracker import Watcher
from learning_app.fast_paths import values_read_with_page
from learning_app.kept import keep
from learning_app.messages.queries import unread_count_column
from learning_app.models import Organization, RoleGrant, User
from learning_app.templating import unread_badge_html
from learning_app.timezones import local_today

from .models import Assignment, Course, CourseRevision, Enrolment, Lesson, PageVersion, StudyHoursEntry

SHARED = 0
STORE = "courses.rendered_pages"
MEMBER_ENTITIES = (Enrolment, StudyHoursEntry, RoleGrant)
SHARED_ENTITIES = (Assignment, Course, CourseRevision, Lesson, Organization)
# Stands for the CSRF token in a kept page; random, so no page can contain it by chance.
_TOKEN_MARK = f"csrf-{secrets.token_hex(16)}"
# Stands for the navbar's unread count (站内信), which is not part of what keeps a page: a new message
# shows on the kept page at once, from the count read with the member's row.
_BADGE_MARK = f"unread-{secrets.token_hex(16)}"


def cached_page(member, render) -> str:
    """The member's page from render(), or the kept one if it is still current. The view reads the
    counters with the member's row: it is marked fast_paths.serves_kept_page(versions_with_member)."""
    versions = values_read_with_page()
    if versions is None:
        raise RuntimeError("cached_page() needs a view marked serves_kept_page(versions_with_member)")
    shared_version, member_version, unread = versions
    g.unread_messages = unread or 0  # the navbar's count: read with the row, no statement of its own
    if session.get("_flashes"):  # a message to show once: not from the cache, and not into it
        return render()
    key = (shared_version or 0, member_version or 0, str(get_locale()), local_today(),
           request.full_path, request.script_root, member.real_name, member.org_id, member.category,
           member.position, member.large_text)
    token, badge = generate_csrf(), str(unread_badge_html(g.unread_messages))
    store = current_app.extensions[STORE]
    kept = store.get(member.id)
    if kept is not None and kept[0] == key:
        return kept[1].replace(_TOKEN_MARK, token).replace(_BADGE_MARK, badge)
    # The counters were read before the page's data, so the page is at least as new as the key says.
    html = render()
    keep(store, member.id, (key, html.replace(token, _TOKEN_MARK).replace(badge, _BADGE_MARK)),
         current_app.config["LEARNING_PAGES_KEPT"])
    return html


def versions_with_member():
    """The shared counter and the member's, as columns to read with the member's row
    (learning_app.fast_paths.serves_kept_page): a missing counter reads as None. And the member's
    unread messages for the navbar, which the kept page shows without a statement of its own."""
    table = PageVersion.__table__
    return (select(table.c.version).where(table.c.scope == SHARED).scalar_subquery(),
            select(table.c.version).where(table.c.scope == User.id).scalar_subquery(),
            unread_count_column(User.id))


# -- noting changes (a watcher of learning_app.change_tracker) ----------------------------------------

def _scopes_changed(change):
    """A member's own learning renews their page; anything shared renews every page."""
    return [change.obj.user_id] if isinstance(change.obj, MEMBER_ENTITIES) else [SHARED]


def _scopes_of_bulk(_bulk):
    """Bulk ORM statements (generated data, moving a subtree, removing credits): which members they
    touch is not known here, so every page is renewed."""
    return [SHARED]


def _bump(session, scopes) -> None:
    # In ascending order, shared first: two transactions lock the counters in the same order.
    session.connection().execute(_bump_statement(session.get_bind().dialect.name),
                                 [{"bumped_scope": scope} for scope in sorted(scopes)])


@functools.cache
def _bump_statement(dialect: str):
    table = PageVersion.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(scope=bindparam("bumped_scope"), version=1)
    return statement.on_conflict_do_update(index_elements=[table.c.scope],
                                           set_={"version": table.c.version + 1})


# An enrolment's progress matters, not when it was last studied; for the rest, any column.
WATCHER = Watcher(name="courses.page_cache",
                  models={Enrolment: ("lessons_done", "completed_at"),
                          **{model: None for model in MEMBER_ENTITIES + SHARED_ENTITIES if model is not Enrolment}},
                  on_change=_scopes_changed, on_bulk=_scopes_of_bulk, before_commit=_bump)


def init_app(app) -> None:
    """Called by the factory, which registers WATCHER with the change tracker: this process's kept pages."""
    app.extensions[STORE] = {}

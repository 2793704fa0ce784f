"""Each member's rendered "my learning" page, kept per process while nothing it shows has changed.

Every member opens the page first and often, and it changes only when their own learning does (an
enrolment's progress, credited hours, their roles, which decide the menu) or when what members share
does (courses, revisions, lessons, assignments, the organisation tree). Two counters in
`page_version` say so: one per member (scope = their user id) and one shared by all (scope 0). They
are bumped in the transaction that makes the change, just before it commits, from what the session
flushed and from bulk ORM statements. So every write to those tables goes through the session, as
the dashboard counts (analytics.counts) require too; a write behind its back leaves pages stale.

A kept page is served again while both counters, the language, the day, the URL and the member's own
row (name, branch, category, position, large text) are what they were when it was rendered. A page with a
flashed message is neither served from the cache nor kept. The CSRF token is put in per request.
"""
from __future__ import annotations

import functools
import secrets

from flask import current_app, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from sqlalchemy import bindparam, event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from learning_app.kept import keep
from learning_app.models import Organization, RoleGrant, User
from learning_app.fast_paths import values_read_with_page
from learning_app.timezones import local_today

from .models import Assignment, Course, CourseRevision, Enrolment, Lesson, PageVersion, StudyHoursEntry

SHARED = 0
PENDING = "courses.page_versions"
STORE = "courses.rendered_pages"
MEMBER_ENTITIES = (Enrolment, StudyHoursEntry, RoleGrant)
SHARED_ENTITIES = (Assignment, Course, CourseRevision, Lesson, Organization)
# Stands for the CSRF token in a kept page; random, so no page can contain it by chance.
_TOKEN_MARK = f"csrf-{secrets.token_hex(16)}"


def cached_page(member, render) -> str:
    """The member's page from render(), or the kept one if it is still current. The view reads the
    counters with the member's row: it is marked fast_paths.serves_kept_page(versions_with_member)."""
    if session.get("_flashes"):  # a message to show once: not from the cache, and not into it
        return render()
    versions = values_read_with_page()
    if versions is None:
        raise RuntimeError("cached_page() needs a view marked serves_kept_page(versions_with_member)")
    shared_version, member_version = versions
    key = (shared_version or 0, member_version or 0, str(get_locale()), local_today(),
           request.full_path, request.script_root, member.real_name, member.org_id, member.category,
           member.position, member.large_text)
    token = generate_csrf()
    store = current_app.extensions[STORE]
    kept = store.get(member.id)
    if kept is not None and kept[0] == key:
        return kept[1].replace(_TOKEN_MARK, token)
    # The counters were read before the page's data, so the page is at least as new as the key says.
    html = render()
    keep(store, member.id, (key, html.replace(token, _TOKEN_MARK)), current_app.config["LEARNING_PAGES_KEPT"])
    return html


def versions_with_member():
    """The shared counter and the member's, as columns to read with the member's row
    (learning_app.fast_paths.serves_kept_page): a missing counter reads as None."""
    table = PageVersion.__table__
    return (select(table.c.version).where(table.c.scope == SHARED).scalar_subquery(),
            select(table.c.version).where(table.c.scope == User.id).scalar_subquery())


# -- noting changes ---------------------------------------------------------------------------------

def _note(session, scope: int) -> None:
    session.info.setdefault(PENDING, set()).add(scope)


def _after_flush(session, _flush_context) -> None:
    for obj in session.new | session.dirty | session.deleted:
        if not isinstance(obj, MEMBER_ENTITIES + SHARED_ENTITIES):
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue  # only a collection changed, e.g. a branch gained a member
        if isinstance(obj, Enrolment):
            if obj in session.new or obj in session.deleted or _changed(obj, "lessons_done", "completed_at"):
                _note(session, obj.user_id)
        elif isinstance(obj, MEMBER_ENTITIES):
            _note(session, obj.user_id)
        else:
            _note(session, SHARED)


def _changed(obj, *names) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _on_bulk_statement(execute_state) -> None:
    """Bulk ORM statements (generated data, moving a subtree, removing credits) bypass the flush;
    which members they touch is not known here, so every page is renewed."""
    if not (execute_state.is_insert or execute_state.is_update or execute_state.is_delete):
        return
    entity = execute_state.bind_mapper.class_ if execute_state.bind_mapper else None
    if entity in MEMBER_ENTITIES or entity in SHARED_ENTITIES:
        _note(execute_state.session, SHARED)


def _before_commit(session) -> None:
    if session.in_nested_transaction():
        return  # releasing a savepoint: the enclosing transaction may still roll it back
    session.flush()
    scopes = session.info.pop(PENDING, None)
    if scopes:
        # In ascending order, shared first: two transactions lock the counters in the same order.
        session.connection().execute(_bump_statement(session.get_bind().dialect.name),
                                     [{"bumped_scope": scope} for scope in sorted(scopes)])


def _forget(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(PENDING, None)


@functools.cache
def _bump_statement(dialect: str):
    table = PageVersion.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(scope=bindparam("bumped_scope"), version=1)
    return statement.on_conflict_do_update(index_elements=[table.c.scope],
                                           set_={"version": table.c.version + 1})


def init_app(app) -> None:
    app.extensions[STORE] = {}
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_bulk_statement)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_transaction_end", _forget)

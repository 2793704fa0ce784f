"""One change tracker: what keeps derived data in step with the writes that change it.

What updates the dashboard counts and the kept pages? This module, and nothing else. The factory
(create_app) installs it and registers its watchers, in the order they act before a commit:
`courses.page_cache` (bumps the version counters that say a member's kept learning page is stale) and
`analytics.counts` (recomputes the dashboard's count tables). A watcher (`Watcher`) names the models and
columns it cares about and three plain functions: what a flushed change means to it, what a bulk
statement means to it (both return "marks", hashable values of its own), and what to do with the marks
just before the transaction commits.

How it sees the writes: SQLAlchemy Session listeners, installed once per process (on the Session class,
so every app and session in the process shares them):
- after each flush, every new, changed or deleted object of a watched model is shown as a `Change` to
  the watchers of that model (a changed object only if one of the watcher's columns changed; with no
  columns named, if any column did);
- a bulk ORM statement (`session.execute(insert/update/delete(Model))`) on a watched model is shown as a
  `BulkChange` before it runs: it bypasses the flush;
- just before the outermost transaction commits, the session is flushed and each watcher gets the marks
  gathered since the transaction began, in the same transaction. Releasing a savepoint does nothing
  (the enclosing transaction may still roll it back); when the outermost transaction ends, committed or
  rolled back, the marks are forgotten. A rolled-back savepoint keeps its marks: acting on a change that
  did not happen is harmless (a recount gives the same count, a page is rendered once more).
Listeners rather than calls from each service, because dozens of services write these tables and a
forgotten call would leave a figure wrong without any error; here one rule covers every write.

What must hold: every write to a watched table (`watched_columns()`) goes through the ORM session: a
flush, or a bulk ORM statement. SQL on the connection (`connection.execute(update(Enrolment.__table__))`,
`session.execute(text("UPDATE enrolment ..."))`) is invisible here and leaves counts and pages stale. A
Core UPDATE that sets only columns no watcher names is fine (quizzes close an attempt that way).
The guard: in the test suite, an autouse fixture (tests/tracker_guard.py, used by tests/conftest.py)
watches every statement the engine runs and fails the test when an INSERT, UPDATE or DELETE on a
watched table runs where this tracker does not see it (`is_tracking()`);
tests/learning_app/test_change_tracker.py shows it catching raw writes, and the watchers' own tests
(tests/analytics/test_counts.py, tests/courses/test_page_cache.py) show what each does with what it sees.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

PENDING = "change_tracker.pending"  # session.info: {watcher name: set of marks}
_watchers: list[Watcher] = []
_by_class: dict[type, list[tuple[Watcher, tuple[str, ...] | None]]] = {}
# What this thread is doing that the tracker sees: the flush under way, bulk statements under way.
_flush: ContextVar[weakref.ref | None] = ContextVar("change_tracker_flush", default=None)
_bulk: ContextVar[int] = ContextVar("change_tracker_bulk", default=0)


@dataclass(frozen=True)
class Watcher:
    """What one kind of derived data needs to hear. `models` maps a model to the columns whose change
    matters (None: any column); a new or deleted object of the model always matters."""
    name: str
    models: Mapping[type, tuple[str, ...] | None]
    on_change: Callable[[Change], Iterable[Hashable]]
    on_bulk: Callable[[BulkChange], Iterable[Hashable]]
    before_commit: Callable[[Session, set], None]


@dataclass(frozen=True)
class Change:
    """One flushed object: `status` is "new", "dirty" or "deleted"; `changed` the watcher's columns
    whose value changed in this flush."""
    obj: Any
    status: str
    changed: frozenset[str]

    @property
    def is_new(self) -> bool:
        return self.status == "new"

    @property
    def is_dirty(self) -> bool:
        return self.status == "dirty"

    def values(self, name: str) -> set:
        """The column's old and new values (None left out): a change may leave one row and join another."""
        history = inspect(self.obj).attrs[name].history
        return {value for value in (*history.deleted, *history.added, *history.unchanged) if value is not None}


class BulkChange:
    """A bulk ORM statement about to run (it is not flushed, so no objects show what it changes)."""

    def __init__(self, execute_state):
        self.session = execute_state.session
        self.entity = execute_state.bind_mapper.class_
        self.is_insert = execute_state.is_insert
        self.is_update = execute_state.is_update
        self.is_delete = execute_state.is_delete
        self.where = getattr(execute_state.statement, "whereclause", None)
        rows = execute_state.parameters
        self.rows = rows if isinstance(rows, list) else [rows or {}]


def init_app(app, *watchers: Watcher) -> None:
    """Install the listeners (once per process) and register the watchers, in the order they act."""
    for watcher in watchers:
        watch(watcher)
    app.extensions["change_tracker"] = tuple(watchers)
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_orm_execute)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_transaction_end", _forget)


def watch(watcher: Watcher) -> None:
    """Register a watcher; registering one of the same name again replaces it in its place."""
    names = [known.name for known in _watchers]
    if watcher.name in names:
        _watchers[names.index(watcher.name)] = watcher
    else:
        _watchers.append(watcher)
    _by_class.clear()


def unwatch(watcher: Watcher) -> None:
    """Stop showing changes to this watcher (a test's own watcher, when the test ends)."""
    _watchers[:] = [known for known in _watchers if known.name != watcher.name]
    _by_class.clear()


def discard(session, watcher: Watcher) -> None:
    """Forget what this watcher was to hear at the commit (it has just recomputed everything itself)."""
    session.info.get(PENDING, {}).pop(watcher.name, None)


def watched_columns() -> dict[str, set[str] | None]:
    """{table name: the columns some watcher cares about, None for every column}."""
    tables: dict[str, set[str] | None] = {}
    for watcher in _watchers:
        for model, columns in watcher.models.items():
            name = model.__table__.name
            if columns is None or (name in tables and tables[name] is None):
                tables[name] = None
            else:  # attribute names, as the watchers name them, to the columns' names in the database
                tables[name] = tables.get(name, set()) | {model.__mapper__.columns[key].name for key in columns}
    return tables


def is_tracking() -> bool:
    """True while this thread runs a flush or a bulk ORM statement, whose writes the tracker sees."""
    if _bulk.get():
        return True
    flush = _flush.get()
    flush_context = flush() if flush is not None else None
    # The flush's own transaction is active only while its statements run (none when it had no work).
    transaction = getattr(flush_context, "transaction", None)
    return transaction is not None and transaction.is_active


def _watchers_of(cls: type) -> list[tuple[Watcher, tuple[str, ...] | None]]:
    """The watchers of this class (or of a class it inherits from), with the columns each names."""
    found = _by_class.get(cls)
    if found is None:
        found = []
        for watcher in _watchers:
            base = next((base for base in cls.__mro__ if base in watcher.models), None)
            if base is not None:
                found.append((watcher, watcher.models[base]))
        _by_class[cls] = found
    return found


def _note(session, watcher: Watcher, marks: Iterable[Hashable]) -> None:
    marks = set(marks)
    if marks:
        session.info.setdefault(PENDING, {}).setdefault(watcher.name, set()).update(marks)


def _change(session, obj, status: str, columns: tuple[str, ...] | None) -> Change | None:
    """The change as this watcher sees it, or None when none of its columns changed."""
    if columns is None:
        if status == "dirty" and not session.is_modified(obj, include_collections=False):
            return None  # only a collection changed, e.g. a branch gained a member
        return Change(obj, status, frozenset())
    state = inspect(obj)
    changed = frozenset(name for name in columns if state.attrs[name].history.has_changes())
    if status == "dirty" and not changed:
        return None
    return Change(obj, status, changed)


def _before_flush(session, flush_context, _instances) -> None:
    _flush.set(weakref.ref(flush_context))


def _after_flush(session, _flush_context) -> None:
    for obj in session.new | session.dirty | session.deleted:
        watchers = _watchers_of(type(obj))
        if not watchers:
            continue
        status = "new" if obj in session.new else "deleted" if obj in session.deleted else "dirty"
        for watcher, columns in watchers:
            change = _change(session, obj, status, columns)
            if change is not None:
                _note(session, watcher, watcher.on_change(change))


def _on_orm_execute(execute_state):
    """A bulk ORM write on a watched model: the watchers hear of it before it runs, and it runs here,
    so that is_tracking() is true while it does."""
    if not (execute_state.is_insert or execute_state.is_update or execute_state.is_delete):
        return None
    watchers = _watchers_of(execute_state.bind_mapper.class_) if execute_state.bind_mapper else []
    if not watchers:
        return None
    bulk = BulkChange(execute_state)
    for watcher, _columns in watchers:
        _note(execute_state.session, watcher, watcher.on_bulk(bulk))
    with _tracking_bulk():
        return execute_state.invoke_statement()


@contextmanager
def _tracking_bulk():
    token = _bulk.set(_bulk.get() + 1)
    try:
        yield
    finally:
        _bulk.reset(token)


def _before_commit(session) -> None:
    if session.in_nested_transaction():
        return  # releasing a savepoint: the enclosing transaction may still roll it back
    for _round in range(5):  # acting writes nothing another watcher watches today, but be safe
        session.flush()
        pending = session.info.pop(PENDING, None)
        if not pending:
            return
        for watcher in list(_watchers):
            if pending.get(watcher.name):
                watcher.before_commit(session, pending[watcher.name])


def _forget(session, transaction) -> None:
    """The whole transaction ended (a commit has acted already): what it noted is void."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)

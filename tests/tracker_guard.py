"""A guard that fails a test when a write bypasses the change tracker (learning_app/change_tracker.py).

The dashboard counts and the kept learning pages are kept in step by the tracker, which sees only
what goes through the ORM session: flushes and bulk ORM statements. `TrackerGuard` listens to every
statement every engine sends to the database and records each INSERT, UPDATE or DELETE on a watched
table that ran where the tracker did not see it: raw SQL (`text()`, `exec_driver_sql`) or a Core
statement on the connection. A Core UPDATE that sets only columns no watcher names is allowed (it
cannot change a count or a page). tests/conftest.py wraps every test in one; a test that writes behind
the tracker on purpose says so with `@pytest.mark.writes_behind_tracker`.
"""
import re

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import TextClause

from learning_app import change_tracker

_WRITE = re.compile(r'\s*(INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_SET = re.compile(r"\bSET\b", re.IGNORECASE)
# What can end a SET list, or nest, at the top level of an UPDATE.
_SET_TOKENS = re.compile(r"'(?:[^']|'')*'|\(|\)|,|\b(?:WHERE|RETURNING|FROM)\b", re.IGNORECASE)
_ASSIGNED = re.compile(r'\s*"?(\w+)"?\s*=')


class BypassedTracker(AssertionError):
    """A write the change tracker did not see: counts and kept pages would go stale."""


def written_table(sql: str) -> tuple[str, str] | None:
    """("INSERT" / "UPDATE" / "DELETE", table) of a write statement, None for anything else."""
    match = _WRITE.match(sql)
    if match is None:
        return None
    return match.group(1).split()[0].upper(), match.group(2).lower()


def set_columns(sql: str) -> set[str] | None:
    """The columns an UPDATE assigns, or None when that cannot be read (then every column counts)."""
    found = _SET.search(sql)
    if found is None:
        return None
    rest, columns, depth, start = sql[found.end():], set(), 0, 0
    for token in _SET_TOKENS.finditer(rest):
        text = token.group(0)
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
        elif depth == 0 and not text.startswith("'"):
            assigned = _ASSIGNED.match(rest[start:token.start()])
            if assigned is None:
                return None
            columns.add(assigned.group(1).lower())
            start = token.end()
            if text != ",":
                return columns
    assigned = _ASSIGNED.match(rest[start:])
    return columns | {assigned.group(1).lower()} if assigned else None


def bypasses_tracker(sql: str, context) -> bool:
    """True if this statement writes what a watcher watches without the tracker seeing it."""
    write = written_table(sql)
    if write is None:
        return False
    verb, table = write
    watched = change_tracker.watched_columns()
    if table not in watched:
        return False
    if verb == "UPDATE" and watched[table] is not None:
        columns = set_columns(sql)
        if columns is not None and not columns & watched[table]:
            return False  # e.g. closing a quiz attempt: no watcher reads those columns
    compiled = getattr(context, "compiled", None)
    raw = compiled is None or isinstance(compiled.statement, TextClause)
    return raw or not change_tracker.is_tracking()


class TrackerGuard:
    """with TrackerGuard() as guard: ... ; guard.bypasses lists the statements that bypassed the tracker.
    With fail_fast, such a statement also raises BypassedTracker where it is executed."""

    def __init__(self, fail_fast: bool = True):
        self.fail_fast = fail_fast
        self.bypasses: list[str] = []
        self._listener = self._check

    def __enter__(self):
        event.listen(Engine, "before_cursor_execute", self._listener)
        return self

    def __exit__(self, *_exc):
        event.remove(Engine, "before_cursor_execute", self._listener)

    def _check(self, conn, cursor, statement, parameters, context, executemany):
        if bypasses_tracker(statement, context):
            self.bypasses.append(statement)
            if self.fail_fast:
                raise BypassedTracker(f"a write the change tracker does not see (learning_app/change_tracker.py): "
                                      f"{statement}")

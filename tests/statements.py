"""What SQL a piece of work runs: for tests that pin a statement's text, not only their number
(tests/conftest.py's count_queries counts them)."""
from sqlalchemy import event

from learning_app.extensions import db


def record_statements(action) -> list[str]:
    """Run `action()` and return its SQL statements, lower-cased, whitespace collapsed."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.lower().split()))
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return statements

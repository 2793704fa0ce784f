"""Fast paths: the two views served differently from the plain Flask way, the pooled connections
checked only after they idled, and why.

Every other view runs the plain way: Flask-Login loads the signed-in member's row with their branch
and role grants (security.load_user), the view runs in a transaction, and one place commits
(learning_app.transactions). Two views are asked for so often, and have a throughput target that the
plain way misses, that they take a shorter way. Each is marked with one decorator from this module;
nothing else in the application changes how a request loads its user or runs its statements.

1. `serves_kept_page` — the member's learning page (`courses.my_learning`), served from
   courses.page_cache while nothing it shows has changed. The member's row is read alone (no branch,
   no role grants: a kept page draws no menu) and, in the same statement, the two counters that say
   whether the kept page is current and the member's unread messages for the navbar
   (`values_read_with_page()`). On PostgreSQL the view runs outside
   a transaction (autocommit): it only reads, and each statement still sees what was committed before
   it, as at READ COMMITTED.
   Measured: 0.33 x B this way against 0.21 x B the plain way on SQLite, 0.28 against 0.18 on
   PostgreSQL; the target is 0.30 x B.
2. `checks_user_in_statement` — quiz autosave (`quizzes.autosave_answer`), the request an exam sends
   most. The member's row is not read first: current_user is a SessionUser (id and sign-in key from
   the signed cookie), and the one UPDATE that stores the answer also checks that the account is
   active, its password chosen and the sign-in not ended (signed_in_user_may_act). On PostgreSQL the
   view runs outside a transaction, as that UPDATE stands on its own. When the quick way does not
   apply, the view calls ensure_transaction() and signed_in_user() and goes on the plain way.
   Measured: 0.32 x B this way against 0.24 x B the plain way on PostgreSQL, where the target is
   0.25 x B (0.40 against 0.31 on SQLite, target 0.15).

3. The idle check — a pooled PostgreSQL connection is checked (SELECT 1) before use only when it sat
   unused for IDLE_SECONDS_BEFORE_CHECK or longer, instead of before every use (pool_pre_ping), which
   costs a round trip to the server per request. Measured: pool_pre_ping took the learning page from
   0.25 to 0.22 x B on PostgreSQL and quiz submit from 0.12 to 0.10 (target 0.10). A connection used
   moments ago is alive unless the server restarted in between: then its first statement fails and the
   pool replaces it, one failed request.

The figures: bench/load.py, 2,000 members, medians of 3 runs, the two ways run back to back under the
same machine load (issue 20). The heartbeat and quiz submit read the member's row alone too until
then; that gained them about 0.01 x B, which decides no target, so they take the plain way.

What must hold for these to stay correct, and the test that guards each:
- A kept page is never served to someone whose sign-in ended or whose account was deactivated: the
  member's row is read with the sign-in check in the same statement (tests/learning_app/test_sessions.py::
  test_every_way_of_loading_the_user_refuses_an_ended_sign_in).
- A kept page is current: every write to what it shows goes through the ORM session, where the change
  tracker bumps the counters (tests/courses/test_page_cache.py).
- The quick autosave refuses exactly what login_required and the password-change rule refuse
  (tests/quizzes/test_taking_views.py: a deactivated member, an ended sign-in, a member who must change
  their password, another member's attempt, a closed attempt).
- A view outside a transaction that must lock rows first calls ensure_transaction()
  (tests/quizzes/test_taking_views.py::
  test_on_postgresql_autosave_stores_with_one_statement_alone_and_goes_the_full_way_in_a_transaction).
- signed_in_user() replaces Flask-Login's request user through its private
  `_update_request_context_with_user` (Flask-Login 0.6): after the call current_user is the row
  (tests/learning_app/test_fast_paths.py::test_after_signed_in_user_current_user_is_the_members_row).
- No other view takes a fast path (tests/learning_app/test_fast_paths.py).
- The idle check leaves no transaction open (its SELECT began one), or a view outside a transaction
  fails on the next request (tests/learning_app/test_database.py, PostgreSQL).
"""
from __future__ import annotations

import functools
import sqlite3
import time

from flask import abort, g
from flask_login import UserMixin, current_user
from sqlalchemy import event, exc
from sqlalchemy.pool import Pool

from .extensions import db, login_manager
from .security import password_change_redirect, read_signed_in_user, sign_in_is_live, sign_in_parameters

# A marker gives the view the function that loads its signed-in user; security.load_user calls it
# instead of reading the full row.

def serves_kept_page(columns):
    """Marks the view that serves a kept page: `columns()` gives the counters to read with the
    member's row (SQL expressions that may refer to the user's columns)."""
    def mark(view):
        view.load_signed_in_user = functools.partial(_row_with_counters, columns)
        return view
    return mark


def checks_user_in_statement(view):
    """Marks the view whose common case is one statement that checks the member's account itself."""
    view.load_signed_in_user = SessionUser
    return view


def values_read_with_page():
    """The counters a serves_kept_page view asked for, read with the member's row, or None."""
    return g.get("values_read_with_page")


def ensure_transaction() -> None:
    """In a fast-path view on PostgreSQL: make the next statements run in a transaction (a lock, then
    the writes it protects). The session gives back its autocommit connection and takes a new one."""
    session = db.session()
    if (session.in_transaction()
            and session.connection().get_execution_options().get("isolation_level") == "AUTOCOMMIT"):
        session.rollback()


def _outside_transaction() -> None:
    """On PostgreSQL, the view's statements run in autocommit until ensure_transaction()."""
    if not db.session().in_transaction() and db.session.get_bind().dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _row_with_counters(columns, user_id: int, key: str):
    _outside_transaction()
    row = db.session.execute(_row_with(columns), sign_in_parameters(user_id, key)).first()
    if row is None:
        return None
    g.values_read_with_page = tuple(row[1:])
    row[0].sign_in_key = key
    return row[0]


@functools.cache
def _row_with(columns):
    # Built once: the page is served often, and building the statement costs about as much as running it.
    from sqlalchemy import bindparam, select
    from sqlalchemy.orm import lazyload

    from .models import User
    return (select(User, *columns()).where(User.id == bindparam("user_id"), sign_in_is_live(User.id))
            .options(lazyload(User.org), lazyload(User.role_grants)))


class SessionUser(UserMixin):
    """The user the signed session names, before their row is read (checks_user_in_statement). The
    view's statement refuses an account that is deactivated or must change its password, and a sign-in
    that has ended (signed_in_user_may_act); any other use of the user reads the row, with the refusals
    every other view makes."""

    must_change_password = False  # the view's statement checks it

    def __init__(self, user_id: int, sign_in_key: str):
        _outside_transaction()
        self.id = user_id
        self.sign_in_key = sign_in_key

    def __getattr__(self, name):
        # Only for what this class does not have (a translated message asks for the locale).
        return getattr(signed_in_user(), name)


def signed_in_user():
    """The signed-in user's row, read now in a checks_user_in_statement view (elsewhere already read),
    refused as every other view refuses them: a deactivated account is sent to the login page as
    login_required would, one that must change its password to the change-password page."""
    user = current_user._get_current_object()
    if not isinstance(user, SessionUser):
        return user
    row = read_signed_in_user(user.id, user.sign_in_key)
    # Flask-Login keeps the request's user there; from now on current_user is the row.
    login_manager._update_request_context_with_user(row)
    if row is None or not row.is_authenticated:
        abort(login_manager.unauthorized())
    refusal = password_change_redirect(row)
    if refusal is not None:
        abort(refusal)
    return row


def signed_in_user_may_act():
    """SQL for a checks_user_in_statement view's one statement: the signed-in user (bound by
    sign_in_parameters) is active, has chosen their own password, and this sign-in has not ended."""
    from sqlalchemy import and_, bindparam, exists

    from .models import User
    return and_(exists().where(User.id == bindparam("user_id"), User.is_active_account.is_(True),
                               User.must_change_password.is_(False)),
                sign_in_is_live(bindparam("user_id")))


# -- the idle check (3) -----------------------------------------------------------------------------

IDLE_SECONDS_BEFORE_CHECK = 10


def _note_return(dbapi_connection, connection_record):
    connection_record.info["returned_at"] = time.monotonic()


def _check_if_idle(dbapi_connection, connection_record, connection_proxy):
    """Raising DisconnectionError makes the pool discard the connection and hand out a new one."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        return  # a file on this machine: nothing can drop the connection
    returned_at = connection_record.info.get("returned_at")
    if returned_at is None or time.monotonic() - returned_at < IDLE_SECONDS_BEFORE_CHECK:
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        # The SELECT began a transaction: end it, or a view that runs outside one (autocommit) fails
        # with "can't change 'autocommit' now" on the first request after the connection sat idle.
        dbapi_connection.rollback()
    except Exception as error:  # noqa: BLE001 - whatever the driver raises, the connection is unusable
        raise exc.DisconnectionError() from error


def init_app(app) -> None:
    """Install the idle check on every connection pool (the markers need no installing)."""
    for name, listener in (("checkin", _note_return), ("checkout", _check_if_idle)):
        if not event.contains(Pool, name, listener):
            event.listen(Pool, name, listener)

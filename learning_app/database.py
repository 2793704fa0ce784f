"""Connection settings: SQLite's pragmas, and when a pooled connection is checked before use."""
import sqlite3
import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

# A database server may have restarted or dropped a connection while it sat in the pool. Checking
# every connection before every request (pool_pre_ping) costs a round trip to the server per request;
# one that was in use this recently is alive, so only connections idle for longer are checked.
IDLE_SECONDS_BEFORE_CHECK = 10


def _configure_sqlite(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer writes; the busy timeout makes
    # concurrent writers wait instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


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


def init_app(app):
    for name, listener in (("connect", _configure_sqlite), ("checkin", _note_return),
                           ("checkout", _check_if_idle)):
        target = Engine if name == "connect" else Pool
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)

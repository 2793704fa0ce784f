"""Requests at the same moment, as PostgreSQL sees them in production.

`run_at_once(app, works)` runs each work in its own thread with its own app context, so its own
session and its own pooled connection (checked out before the start), and releases them all at one
barrier. In-memory SQLite shares one connection between threads, so the tests that use this run on
PostgreSQL only (`on_postgres`); SQLite serialises writers anyway.
"""
import os
import threading

import pytest

from learning_app.extensions import db

on_postgres = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="needs real concurrent transactions: set TEST_DATABASE_URL=postgresql+psycopg://... "
           "(in-memory SQLite shares one connection between threads)")

# The engine's pool holds 5 connections and opens up to 10 more: every thread must hold its own, and
# the test's own session may hold one.
MOST_AT_ONCE = 14


def run_at_once(app, works, allow_errors=False, timeout=60):
    """Run every work (a callable without arguments) in its own thread, all released at once.

    Each thread commits what its work did, or rolls back if it raised. Returns the works' results in
    order. A work that raises fails the test, unless `allow_errors`: then its exception is its result.
    Fails if a thread is still running after `timeout` seconds (a deadlock).
    """
    works = list(works)
    assert 0 < len(works) <= MOST_AT_ONCE, f"at most {MOST_AT_ONCE} at once, one connection each"
    barrier = threading.Barrier(len(works))
    results = [None] * len(works)

    def run(index):
        with app.app_context():
            try:
                db.session.connection()  # check out this thread's own connection before the start
                barrier.wait(timeout=30)
                results[index] = works[index]()
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - handed back to the test
                db.session.rollback()
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a concurrent request never finished (deadlock?)"
    assert allow_errors or raised(results) == [], raised(results)
    return results


def raised(results):
    """The exceptions among run_at_once's results."""
    return [result for result in results if isinstance(result, Exception)]

"""as_utc is the one way to make a stored moment aware; utc_to_local reads moments through it."""
from datetime import UTC, datetime, timedelta, timezone

import pytest

from learning_app.timezones import as_utc, utc_to_local

NOON_UTC = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def test_a_naive_moment_is_taken_as_utc():  # SQLite gives stored moments back naive, in UTC
    assert as_utc(NOON_UTC.replace(tzinfo=None)) == NOON_UTC
    assert as_utc(NOON_UTC.replace(tzinfo=None)).tzinfo == UTC


def test_an_aware_moment_is_converted_to_utc():
    in_beijing = NOON_UTC.astimezone(timezone(timedelta(hours=8)))
    assert as_utc(in_beijing).utcoffset() == timedelta(0)
    assert as_utc(in_beijing).hour == 12


def test_no_moment_stays_none():
    assert as_utc(None) is None and utc_to_local(None) is None


@pytest.mark.parametrize("stored", [NOON_UTC, NOON_UTC.replace(tzinfo=None)], ids=["aware", "naive"])
def test_a_form_shows_the_local_time_of_a_stored_moment(app, stored):
    assert utc_to_local(stored) == datetime(2025, 6, 1, 20, 0)  # Asia/Shanghai, naive for the form field

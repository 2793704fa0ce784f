"""Forms speak the organisation's local time (BABEL_DEFAULT_TIMEZONE); the database stores UTC.

Days are the organisation's: a day, a month or a date range starts at local midnight (16:00 UTC the
day before in Asia/Shanghai), never at UTC midnight. Every cut goes through one of these: local_today()
for today, local_day_range() for a range of dates as the UTC instants a query compares timestamps with,
and local_date for the local day of a timestamp column in SQL (to group by day or month).
"""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement


def _zone():
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored moment as an aware UTC datetime: SQLite gives back naive datetimes, stored in UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local_today() -> date:
    """Today in the organisation's zone, whatever zone the server's clock is set to."""
    return utcnow().astimezone(_zone()).date()


def local_day_range(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """The days first..last (inclusive, either open) as UTC instants: since <= moment < until."""
    return (_local_midnight(first) if first else None,
            _local_midnight(last + timedelta(days=1)) if last else None)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, _zone()).astimezone(UTC)


def local_to_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=_zone()).astimezone(UTC)


def utc_to_local(moment: datetime | None) -> datetime | None:
    """A naive local time for a form field."""
    if moment is None:
        return None
    return as_utc(moment).astimezone(_zone()).replace(tzinfo=None)


class local_date(ColumnElement):
    """SQL for the calendar day, in the organisation's zone, of a UTC timestamp column.

    A completion at 23:30 UTC belongs to the next day in Beijing; cutting days at UTC midnight
    would put it on the wrong day of a chart or outside a date range.
    """
    inherit_cache = True
    type = Date()

    def __init__(self, column, zone_name: str):
        self.column = column
        self.zone_name = zone_name
        offset = datetime.now(ZoneInfo(zone_name)).utcoffset()
        self.offset_minutes = int(offset.total_seconds() // 60) if offset else 0

    @classmethod
    def of(cls, column):
        return cls(column, current_app.config["BABEL_DEFAULT_TIMEZONE"])


@compiles(local_date)
def _local_date_default(element, compiler, **kw):
    # SQLite stores UTC wall-clock text; the zones served here keep no daylight saving time.
    return f"date({compiler.process(element.column, **kw)}, '{element.offset_minutes:+d} minutes')"


@compiles(local_date, "postgresql")
def _local_date_postgresql(element, compiler, **kw):
    zone = element.zone_name.replace("'", "")
    return f"CAST(timezone('{zone}', {compiler.process(element.column, **kw)}) AS DATE)"

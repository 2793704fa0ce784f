"""Forms speak the organisation's local time (BABEL_DEFAULT_TIMEZONE); the database stores UTC."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app


def _zone():
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_to_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=_zone()).astimezone(timezone.utc)


def utc_to_local(moment: datetime | None) -> datetime | None:
    """A naive local time for a form field."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(_zone()).replace(tzinfo=None)

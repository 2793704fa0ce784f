"""The study-hours ledger (学时档案): one row per credited source, never two."""
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from learning_app.extensions import db
from learning_app.models import utcnow
from learning_app.timezones import utc_to_local

from ..models import StudyHoursEntry


def credit_study_hours(user, source_type: str, source_id: int, hours, title: str, when=None) -> StudyHoursEntry:
    """Credit hours for a source once; crediting it again returns the existing row.

    The unique constraint, not a prior look-up, guarantees "once" under concurrent requests.
    """
    when = when or utcnow()
    # The study year is the organisation's calendar year, not UTC's (1 January 07:00 in Beijing is 2027).
    year = utc_to_local(when).year
    entry = StudyHoursEntry(user_id=user.id, year=year, hours=Decimal(str(hours)),
                            source_type=source_type, source_id=source_id, title=title[:200], credited_at=when)
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        entry = db.session.scalar(select(StudyHoursEntry).where(
            StudyHoursEntry.user_id == user.id, StudyHoursEntry.source_type == source_type,
            StudyHoursEntry.source_id == source_id))
    return entry

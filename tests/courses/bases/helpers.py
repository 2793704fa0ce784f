"""Plain helpers shared by the sites-and-bases tests."""
from datetime import UTC, datetime

from flask_babel import gettext
from sqlalchemy import func, select

from courses.models import StudyHoursEntry
from learning_app.extensions import db
from learning_app.models import AuditLog

# A fixed moment for service-level tests (services take now=); HTTP tests use the real clock.
NOW = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai


def refused_with(error, msgid, **kwargs):
    """The refusal carries this message (compared in the current locale, whatever it is)."""
    return str(error.value) == gettext(msgid, **kwargs)


def ledger(user, source_type=None):
    db.session.expire_all()
    query = select(StudyHoursEntry).where(StudyHoursEntry.user_id == user.id)
    if source_type:
        query = query.where(StudyHoursEntry.source_type == source_type)
    return list(db.session.scalars(query.order_by(StudyHoursEntry.id)))


def count(model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audits(action):
    db.session.expire_all()
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))

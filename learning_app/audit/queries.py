"""Reads of the audit log."""
from sqlalchemy import func, select

from ..extensions import db
from ..models import AuditLog, User


def entries_query(action: str = "", actor_login: str = ""):
    query = select(AuditLog).order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
    if action:
        query = query.where(AuditLog.action == action)
    if actor_login:
        query = query.join(User, AuditLog.actor_id == User.id).where(
            func.lower(User.login_id) == actor_login.strip().lower())
    return query


def entries_about(record, limit=20) -> list[AuditLog]:
    return list(db.session.scalars(
        select(AuditLog).where(AuditLog.target_type == record.__tablename__, AuditLog.target_id == record.id)
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc()).limit(limit)))


def known_actions() -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))

"""Reads of the audit log."""
from sqlalchemy import func, select

from ..extensions import db
from ..models import AuditLog, Organization, User
from .labels import ids_named


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


def names_for_entries(entries) -> dict:
    """The names of the organisations and members the entries name: one query each, for the whole page."""
    org_ids, user_ids = ids_named(entries)
    orgs = dict(db.session.execute(select(Organization.id, Organization.name).where(
        Organization.id.in_(org_ids))).tuples().all()) if org_ids else {}
    users = dict(db.session.execute(select(User.id, User.real_name).where(
        User.id.in_(user_ids))).tuples().all()) if user_ids else {}
    return {"orgs": orgs, "users": users}

"""Writing the audit log: who did what, when, to which record."""
from flask import has_request_context, request

from ..extensions import db
from ..models import AuditLog


def record_audit(actor, action: str, target, detail: dict | None = None) -> AuditLog:
    """Add one audit row in the caller's transaction (it commits or rolls back with the change)."""
    entry = AuditLog(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=target.__tablename__ if target is not None else "system",
        target_id=getattr(target, "id", None),
        detail=detail or {},
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry

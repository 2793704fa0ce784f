"""Which node a dashboard may show: one the viewer supervises (admins: any)."""
from flask import abort
from sqlalchemy import select

from learning_app.extensions import db
from learning_app.models import Organization


def top_nodes(viewer) -> list[Organization]:
    """The highest nodes the viewer may see: an admin's roots, or the supervisor's own nodes."""
    if viewer.is_admin:
        return list(db.session.scalars(select(Organization).where(Organization.parent_id.is_(None))
                                       .order_by(Organization.id)))
    grants = [grant.org for grant in viewer.role_grants if grant.role.value == "supervisor" and grant.org]
    return [org for org in grants if not any(org.is_within(other) and org.id != other.id for other in grants)]


def get_dashboard_root(org_id, viewer) -> Organization:
    """The node asked for (404 outside the viewer's reach), or the viewer's first top node. The routes
    are for people managers only (learning_app.permissions.people_manager_required)."""
    if org_id:
        org = db.session.get(Organization, org_id)
        if org is None or not viewer.can_see_org(org):
            abort(404)
        return org
    tops = top_nodes(viewer)
    if not tops:
        abort(404)
    return tops[0]

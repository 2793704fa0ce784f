"""Reads about members, always within what the viewer may see."""
from sqlalchemy import or_, select

from ..models import Organization, User
from ..search import ESCAPE, contains_pattern


def members_query(viewer, search: str = "", org: Organization | None = None, category=None,
                  active: bool | None = None):
    """A select of the members the viewer may see, filtered; the caller paginates."""
    query = (select(User).join(Organization, User.org_id == Organization.id)
             .where(viewer.visible_orgs_condition()))
    if org is not None:
        query = query.where(org.subtree_filter())
    if category:
        query = query.where(User.category == category)
    if active is not None:
        query = query.where(User.is_active_account.is_(active))
    search = (search or "").strip()
    if search:
        pattern = contains_pattern(search)
        query = query.where(or_(User.real_name.like(pattern, escape=ESCAPE),
                                User.login_id.like(pattern, escape=ESCAPE),
                                User.phone.like(pattern, escape=ESCAPE)))
    return query.order_by(Organization.path, User.real_name, User.id)

"""Reads over the organisation tree."""
from sqlalchemy import func, select

from ..extensions import db
from ..models import MemberCategory, Organization, User


def ancestors_of(org: Organization) -> list[Organization]:
    """The nodes from the root down to `org`, in one query."""
    if org is None:
        return []
    rows = db.session.scalars(select(Organization).where(Organization.id.in_(org.ancestor_ids)))
    return sorted(rows, key=lambda node: node.depth)


def path_label(org: Organization, separator=" / ") -> str:
    return separator.join(node.name for node in ancestors_of(org))


def whole_tree(condition=True) -> list[Organization]:
    """Every visible node in path order, ready to be nested by `nest`."""
    return list(db.session.scalars(select(Organization).where(condition).order_by(Organization.path)))


def nest(nodes: list[Organization]) -> list[dict]:
    """Turn path-ordered nodes into [{"org": ..., "children": [...]}] without touching the database."""
    by_id, roots = {}, []
    for node in nodes:
        entry = {"org": node, "children": []}
        by_id[node.id] = entry
        parent = by_id.get(node.parent_id)
        (parent["children"] if parent else roots).append(entry)
    return roots


def member_counts_by_org(condition=True) -> dict[int, int]:
    """Active members per node (direct members only), one grouped query."""
    rows = db.session.execute(
        select(User.org_id, func.count()).join(Organization, User.org_id == Organization.id)
        .where(condition, User.is_active_account.is_(True)).group_by(User.org_id))
    return dict(rows.all())


def subtree_member_counts(org_condition) -> dict[MemberCategory, int]:
    """Active members by category within the visible subtrees."""
    rows = db.session.execute(
        select(User.category, func.count()).join(Organization, User.org_id == Organization.id)
        .where(org_condition, User.is_active_account.is_(True)).group_by(User.category))
    return {category: count for category, count in rows.all()}


def branches(condition=True) -> list[Organization]:
    return list(db.session.scalars(
        select(Organization).where(condition, Organization.kind == "branch").order_by(Organization.path)))




def path_labels(nodes: list[Organization], separator=" / ") -> dict[int, str]:
    """Full "committee / general branch / branch" labels for path-ordered nodes."""
    labels = {}
    for node in nodes:
        parent_label = labels.get(node.parent_id)
        labels[node.id] = f"{parent_label}{separator}{node.name}" if parent_label else node.name
    return labels

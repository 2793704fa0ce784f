"""Changes to the organisation tree. Every change is audited; the caller commits."""
from flask_babel import gettext as _
from sqlalchemy import exists, func, select, update

from ..audit.services import record_audit
from ..extensions import db
from ..models import Organization, OrgKind, RoleGrant, User
from ..signals import tree_paths_changed, tree_paths_changing
from ..transactions import RuleError


class OrgRuleError(RuleError):
    """A change the tree's rules forbid; the message is for the user."""


def _check_parent(kind: OrgKind, parent: Organization | None):
    if parent is None:
        if kind != OrgKind.COMMITTEE:
            raise OrgRuleError(_("Only a Party committee can stand at the top of the tree."))
        return
    if not parent.is_active:
        raise OrgRuleError(_("The chosen parent organisation is deactivated."))
    if not parent.can_hold_child(kind):
        raise OrgRuleError(_("A %(parent)s cannot hold a %(child)s.",
                             parent=parent.kind.label, child=kind.label))


def create_org(actor, name: str, kind: OrgKind, parent: Organization | None) -> Organization:
    """Add a node under `parent` (or as a root committee) with its materialised path."""
    _check_parent(kind, parent)
    org = Organization(name=name.strip(), kind=kind, parent=parent,
                       depth=(parent.depth + 1) if parent else 0, path=f"/new-{id(name)}/")
    db.session.add(org)
    db.session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    db.session.flush()
    record_audit(actor, "org.create", org, {"name": org.name, "kind": kind.value, "parent_id": org.parent_id})
    return org


def rename_org(actor, org: Organization, name: str) -> None:
    old = org.name
    if name.strip() == old:
        return
    org.name = name.strip()
    record_audit(actor, "org.rename", org, {"from": old, "to": org.name})
    db.session.flush()


def move_org(actor, org: Organization, new_parent: Organization) -> None:
    """Hang `org` and its whole subtree under `new_parent`, rewriting every path in one statement."""
    if new_parent.id == org.parent_id:
        raise OrgRuleError(_("The organisation is already under that parent."))
    if new_parent.is_within(org):
        raise OrgRuleError(_("An organisation cannot be moved under itself or its own sub-organisations."))
    _check_parent(org.kind, new_parent)
    old_path, old_parent_id = org.path, org.parent_id
    new_path = f"{new_parent.path}{org.id}/"
    depth_change = new_parent.depth + 1 - org.depth
    tree_paths_changing.send(db.session, path=old_path)
    db.session.execute(
        update(Organization)
        .where(Organization.subtree_condition(old_path))
        .values(path=new_path + func.substr(Organization.path, len(old_path) + 1),
                depth=Organization.depth + depth_change)
        .execution_options(synchronize_session=False))
    db.session.execute(update(Organization).where(Organization.id == org.id)
                       .values(parent_id=new_parent.id).execution_options(synchronize_session=False))
    tree_paths_changed.send(db.session, path=new_path)
    record_audit(actor, "org.move", org, {"from_parent_id": old_parent_id, "to_parent_id": new_parent.id,
                                          "from_path": old_path, "to_path": new_path})
    db.session.flush()
    db.session.expire_all()


def _active_members_within(org: Organization) -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).join(Organization, User.org_id == Organization.id)
        .where(org.subtree_filter(), User.is_active_account.is_(True)))


def set_org_active(actor, org: Organization, active: bool) -> None:
    """Deactivate a node with everything below it, or bring them back."""
    if not active and _active_members_within(org):
        raise OrgRuleError(_("This organisation still has active members. Move or deactivate them first."))
    if active and org.parent is not None and not org.parent.is_active:
        raise OrgRuleError(_("Reactivate the parent organisation first."))
    db.session.execute(update(Organization).where(org.subtree_filter()).values(is_active=active)
                       .execution_options(synchronize_session=False))
    record_audit(actor, "org.reactivate" if active else "org.deactivate", org, {"name": org.name})
    db.session.flush()
    db.session.expire_all()


def delete_org(actor, org: Organization) -> None:
    """Remove an empty leaf; a node that has ever had members or children stays."""
    if db.session.scalar(select(exists().where(User.org_id == org.id))):
        raise OrgRuleError(_("An organisation with members cannot be deleted. Deactivate it instead."))
    if db.session.scalar(select(exists().where(Organization.parent_id == org.id))):
        raise OrgRuleError(_("Delete or move its sub-organisations first."))
    if db.session.scalar(select(exists().where(RoleGrant.org_id == org.id))):
        raise OrgRuleError(_("Someone holds a supervisor role over this organisation. Remove that role first."))
    record_audit(actor, "org.delete", org, {"name": org.name, "path": org.path})
    db.session.delete(org)
    db.session.flush()

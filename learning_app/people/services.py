"""Changes to members and their roles. Every change is audited; the caller commits."""
from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record_audit
from ..auth.services import end_sign_ins
from ..extensions import db
from ..models import Organization, OrgKind, Role, RoleGrant, User, utcnow
from ..security import hash_password, new_one_time_password
from ..transactions import RuleError


class PeopleRuleError(RuleError):
    """A change the rules forbid; the message is for the user."""


def _check_branch(org: Organization):
    if org.kind != OrgKind.BRANCH or not org.is_active:
        raise PeopleRuleError(_("Members belong to an active branch (党支部)."))


def update_member(actor, member: User, **changes) -> None:
    """Apply changed fields (real_name, org, category, position, phone) and audit the old and new values."""
    if "org" in changes and changes["org"].id != member.org_id:
        _check_branch(changes["org"])
    diff = {}
    for field, value in changes.items():
        old = getattr(member, field)
        if old != value:
            diff[field] = [_audit_value(old), _audit_value(value)]
            setattr(member, field, value)
    if diff:
        record_audit(actor, "user.update", member, diff)
    db.session.flush()


def _audit_value(value):
    if isinstance(value, Organization):
        return value.id
    return getattr(value, "value", value)


def set_member_active(actor, member: User, active: bool) -> None:
    if not active and member.id == getattr(actor, "id", None):
        raise PeopleRuleError(_("You cannot deactivate your own account."))
    member.is_active_account = active
    if not active:
        end_sign_ins(member)
    record_audit(actor, "user.reactivate" if active else "user.deactivate", member)
    db.session.flush()


def reset_password(actor, member: User) -> str:
    """Give the member a new one-time password (returned once, never stored in clear), valid for
    ONE_TIME_PASSWORD_DAYS (this is also how an expired one is re-issued), and sign them out
    everywhere: whoever used the old password is out. An admin resetting their own keeps this sign-in,
    as a member changing their password does."""
    password, password_hash = new_one_time_password()
    member.password_hash = password_hash
    member.must_change_password = True
    member.one_time_password_issued_at = utcnow()
    end_sign_ins(member, keep_current=member.id == getattr(actor, "id", None))
    record_audit(actor, "user.reset_password", member)
    db.session.flush()
    return password


def grant_role(actor, member: User, role: Role, org: Organization | None = None) -> RoleGrant:
    if role == Role.SUPERVISOR and org is None:
        raise PeopleRuleError(_("A supervisor role is held over an organisation: choose one."))
    if role != Role.SUPERVISOR:
        org = None
    existing = db.session.scalar(select(RoleGrant).where(
        RoleGrant.user_id == member.id, RoleGrant.role == role,
        RoleGrant.org_id == org.id if org else RoleGrant.org_id.is_(None)))
    if existing:
        raise PeopleRuleError(_("The member already has this role."))
    grant = RoleGrant(user=member, role=role, org=org)
    db.session.add(grant)
    db.session.flush()
    record_audit(actor, "role.grant", member, {"role": role.value, "org_id": org.id if org else None})
    return grant


def revoke_role(actor, grant: RoleGrant) -> None:
    if grant.role == Role.ADMIN and grant.user_id == getattr(actor, "id", None):
        raise PeopleRuleError(_("You cannot take away your own administrator role."))
    member = grant.user
    record_audit(actor, "role.revoke", member, {"role": grant.role.value, "org_id": grant.org_id})
    member.role_grants.remove(grant)
    db.session.flush()


def create_account(actor, login_id: str, real_name: str, password: str | None = None, **fields) -> User:
    """One account (used by the CLI and the demo); a blank password means a one-time password."""
    user = User(login_id=login_id, real_name=real_name, **fields)
    if password:
        user.password_hash, user.must_change_password = hash_password(password), False
    db.session.add(user)
    db.session.flush()
    record_audit(actor, "user.create", user, {"login_id": login_id})
    return user

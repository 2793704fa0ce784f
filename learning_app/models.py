"""Core models: the organisation tree, people, roles and the audit log."""
from __future__ import annotations

import enum
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    and_,
    false,
    func,
    or_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db
from .timezones import as_utc, utcnow

# Materialised paths are compared byte-wise: the "C" collation on PostgreSQL
# makes range scans on the path index correct whatever the database locale.
PathString = String(400).with_variant(String(400, collation="C"), "postgresql")


class LabelledEnum(enum.StrEnum):
    # A StrEnum, so that str(member) is its value: a form field filled from a model (SelectField with
    # obj=...) shows the stored choice. With (str, Enum), str() gave "PositionLevel.SECRETARY", no
    # option matched, and the browser sent the first one: saving a member demoted a secretary.
    @property
    def label(self):
        return self.LABELS[self.value]

    @classmethod
    def choices(cls):
        return [(member.value, member.label) for member in cls]

    @classmethod
    def from_label(cls, text):
        """Find the member whose Chinese or English label (or value) is `text`."""
        text = (text or "").strip()
        for member in cls:
            if text in (member.value, member.ZH[member.value]):
                return member
        for member in cls:  # a label in the user's language costs a translation lookup: only when needed
            if text == str(member.LABELS[member.value]):
                return member
        return None


class OrgKind(LabelledEnum):
    COMMITTEE = "committee"
    GENERAL_BRANCH = "general_branch"
    BRANCH = "branch"


OrgKind.LABELS = {"committee": _l("Party committee"), "general_branch": _l("General branch"),
                  "branch": _l("Branch")}
OrgKind.ZH = {"committee": "党委", "general_branch": "党总支", "branch": "党支部"}


class MemberCategory(LabelledEnum):
    FULL = "full"
    PROBATIONARY = "probationary"
    ACTIVIST = "activist"


MemberCategory.LABELS = {"full": _l("Full member"), "probationary": _l("Probationary member"),
                         "activist": _l("Activist")}
MemberCategory.ZH = {"full": "正式党员", "probationary": "预备党员", "activist": "入党积极分子"}


class PositionLevel(LabelledEnum):
    MEMBER = "member"
    SECRETARY = "secretary"
    CADRE = "cadre"


PositionLevel.LABELS = {"member": _l("Member"), "secretary": _l("Branch secretary"),
                        "cadre": _l("Cadre")}
PositionLevel.ZH = {"member": "党员", "secretary": "支部书记", "cadre": "干部"}


class Role(LabelledEnum):
    AUTHOR = "author"
    REVIEWER = "reviewer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


Role.LABELS = {"author": _l("Course author"), "reviewer": _l("Reviewer"),
               "supervisor": _l("Supervisor"), "admin": _l("Administrator")}
Role.ZH = {"author": "课程作者", "reviewer": "审核员", "supervisor": "督学", "admin": "管理员"}

# Which child kinds each kind of node may hold.
ALLOWED_CHILDREN = {
    OrgKind.COMMITTEE: {OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH},
    OrgKind.GENERAL_BRANCH: {OrgKind.BRANCH},
    OrgKind.BRANCH: set(),
}



def _enum_column(enum_cls, **kwargs):
    return mapped_column(Enum(enum_cls, values_callable=lambda e: [m.value for m in e],
                              native_enum=False, length=20, validate_strings=True), **kwargs)


class Organization(db.Model):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[OrgKind] = _enum_column(OrgKind)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    # "/1/5/23/": the ids from the root down to this node.
    path: Mapped[str] = mapped_column(PathString, unique=True, default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    parent: Mapped[Organization | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Organization]] = relationship(back_populates="parent",
                                                        order_by="Organization.id")

    def __repr__(self):
        return f"<Organization {self.id} {self.name!r} {self.path}>"

    @property
    def ancestor_ids(self):
        return self.ids_in_path(self.path)

    @staticmethod
    def ids_in_path(path: str) -> list[int]:
        """The ids in a path, from the root down to the node itself."""
        return [int(part) for part in path.strip("/").split("/") if part]

    def is_within(self, other: Organization) -> bool:
        """True when this node is `other` or lies below it."""
        return self.path.startswith(other.path)

    @staticmethod
    def subtree_condition(path: str, column=None):
        """SQL condition for "at or below the node with this path": an index range scan."""
        column = Organization.path if column is None else column
        # '/' is followed by '0' in byte order, so [path, path-with-last-char+1) is the subtree.
        return and_(column >= path, column < path[:-1] + "0")

    def subtree_filter(self):
        return self.subtree_condition(self.path)

    def can_hold_child(self, kind: OrgKind) -> bool:
        return kind in ALLOWED_CHILDREN[self.kind]


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    # Login ids are matched case-insensitively; this index keeps that one lookup.
    __table_args__ = (Index("uq_user_account_login_id_lower", func.lower(text("login_id")), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    login_id: Mapped[str] = mapped_column(String(40), unique=True)
    real_name: Mapped[str] = mapped_column(String(60))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    category: Mapped[MemberCategory] = _enum_column(MemberCategory, default=MemberCategory.FULL)
    position: Mapped[PositionLevel] = _enum_column(PositionLevel, default=PositionLevel.MEMBER)
    phone: Mapped[str | None] = mapped_column(String(20))
    is_active_account: Mapped[bool] = mapped_column("is_active", Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    # 大字模式: larger text and touch targets and a simpler home page, chosen once for every device.
    large_text: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The address (an IPv6 /64) of the last successful login: the account-wide lockout ceiling does not
    # apply there, so attackers elsewhere cannot lock the owner out (learning_app.auth.lockout).
    last_login_address: Mapped[str | None] = mapped_column(String(45))
    # When the current one-time password was issued (roster import, an admin's reset); None once the
    # member has chosen their own. An unused one expires ONE_TIME_PASSWORD_DAYS later.
    one_time_password_issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    org: Mapped[Organization | None] = relationship(lazy="joined", innerjoin=False)
    role_grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")

    # The sign-in (SignInSession) this object stands for in this request, set at login and by the user
    # loader; not a column: the cookies carry the key, the table only its hash.
    sign_in_key = None

    def __repr__(self):
        return f"<User {self.login_id} {self.real_name!r}>"

    def get_session_id(self):
        """What the session and remember-me cookies carry (Flask-Login's id_attribute): the user and their
        sign-in, so that ending the sign-in on the server refuses both cookies."""
        if not self.sign_in_key:
            raise RuntimeError("log in through learning_app.auth.services.start_sign_in")
        return f"{self.id}:{self.sign_in_key}"

    # Flask-Login reads is_active: a deactivated account cannot log in or stay logged in.
    @property
    def is_active(self):
        return self.is_active_account

    def one_time_password_expires_at(self) -> datetime | None:
        """When the member's unused one-time password stops working, or None if they chose their own."""
        issued = self.one_time_password_issued_at
        if not self.must_change_password or issued is None:
            return None
        return as_utc(issued) + timedelta(days=current_app.config["ONE_TIME_PASSWORD_DAYS"])

    def one_time_password_expired(self, now: datetime | None = None) -> bool:
        expires = self.one_time_password_expires_at()
        return expires is not None and (now or utcnow()) >= expires

    @property
    def yearly_hours_required(self) -> int:
        """学时 a year for this member's position level (YEARLY_STUDY_HOURS in the config)."""
        return int(current_app.config["YEARLY_STUDY_HOURS"][self.position.value])

    def has_role(self, role: Role) -> bool:
        return any(grant.role == role for grant in self.role_grants)

    @property
    def is_admin(self):
        return self.has_role(Role.ADMIN)

    @property
    def is_member(self):
        return self.org_id is not None

    @property
    def supervised_paths(self):
        return [g.org.path for g in self.role_grants if g.role == Role.SUPERVISOR and g.org]

    @property
    def manages_people(self):
        return self.is_admin or bool(self.supervised_paths)

    def can_see_org(self, org: Organization | None) -> bool:
        """The one rule: admins see everything, supervisors their subtrees."""
        if org is None:
            return self.is_admin
        return self.is_admin or any(org.path.startswith(p) for p in self.supervised_paths)

    def can_see_member(self, member: User) -> bool:
        return member.id == self.id or self.can_see_org(member.org)

    def visible_orgs_condition(self, column=None):
        """SQL condition on an organisation path column for the nodes this user may see."""
        if self.is_admin:
            return True
        paths = self.supervised_paths
        if not paths:
            return false()
        return or_(*(Organization.subtree_condition(p, column) for p in paths))


class RoleGrant(db.Model):
    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("user_id", "role", "org_id", name="uq_role_grant_user_role_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = _enum_column(Role)
    # Only supervisor grants are held over a node; the others are platform-wide.
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_grants")
    org: Mapped[Organization | None] = relationship(lazy="joined")

    def __repr__(self):
        return f"<RoleGrant {self.role.value} user={self.user_id} org={self.org_id}>"


class SignInSession(db.Model):
    """One sign-in: a browser that logged in. Its session and remember-me cookies name it, and it ends
    when its row is deleted (logout, a password change, an admin's reset, deactivation, "sign out
    everywhere"); learning_app.security refuses a cookie whose sign-in has ended."""
    __tablename__ = "sign_in_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the random key the cookies carry: a copy of this table signs no one in.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self):
        return f"<SignInSession {self.id} user={self.user_id}>"


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship(lazy="joined")

    def __repr__(self):
        return f"<AuditLog {self.action} {self.target_type}:{self.target_id}>"

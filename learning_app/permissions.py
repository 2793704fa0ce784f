"""Who may use which route: one style for every route.

- **A gate on the visitor's roles alone** (admin pages, the review queues, the member's own pages) is a
  decorator under the route: `@admin_required`, `@people_manager_required`, `@member_required`,
  `@author_required`, `@reviewer_required`, or `@requires(rule)` for another rule of the user. It signs
  the visitor in first (login_required) and answers 403. Views and templates never test roles inline.
- **Access to one object** is loaded and authorised in one call, `get_<thing>_or_404(id, user, need=...)`
  (`get_course_or_404(course_id, current_user, need="edit")`): 404 when it does not exist, and for each
  `need` the status its refusal answers, 403 where the user may know the object exists, 404 where even
  that must not show (a member's record outside the viewer's subtree, a course outside their audience,
  someone else's attempt), so that a forgotten check fails closed.
- **The rules themselves are model methods** that check the object's own rule and otherwise walk up to
  its parent (`course.can_edit(user)`, `base.can_manage(user)`, `viewer.can_see_member(member)`);
  a package's table of needs (`Need`) only names which rule each need asks and what its refusal answers.
"""
from collections.abc import Callable
from functools import wraps
from typing import Any, NamedTuple

from flask import abort
from flask_login import current_user, login_required

from .extensions import db
from .models import Role, User


def requires(rule: Callable[[Any], bool]):
    """A route decorator: the visitor signs in, and `rule(user)` must hold (403 otherwise)."""
    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not rule(current_user):
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorate


def is_author(user) -> bool:
    return user.has_role(Role.AUTHOR) or user.is_admin


admin_required = requires(lambda user: user.is_admin)
people_manager_required = requires(lambda user: user.manages_people)  # admins and supervisors of a subtree
member_required = requires(lambda user: user.is_member)
author_required = requires(is_author)
reviewer_required = requires(lambda user: user.has_role(Role.REVIEWER))


class Need(NamedTuple):
    """One thing a user may need to do with an object: the rule that allows it, and what a refusal answers."""
    allows: Callable[[Any, Any], bool]  # (user, object) -> bool
    refusal: int = 403


def authorise(obj, user, need: str | None, needs: dict[str, Need | tuple[Need, ...]]):
    """`obj`, if it exists (404 otherwise) and `user` may do what `need` names in `needs` (checked in order)."""
    if obj is None:
        abort(404)
    if need is not None:
        rules = needs[need]
        for rule in (rules,) if isinstance(rules, Need) else rules:
            if not rule.allows(user, obj):
                abort(rule.refusal)
    return obj


MEMBER_NEEDS = {"see": Need(lambda viewer, member: viewer.can_see_member(member), 404)}


def get_member_or_404(user_id: int, viewer, need: str = "see") -> User:
    """The member, if the viewer may see them; otherwise 404 so ids outside reach reveal nothing."""
    return authorise(db.session.get(User, user_id), viewer, need, MEMBER_NEEDS)

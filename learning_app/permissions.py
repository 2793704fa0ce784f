"""Who may use which route: named requirements and load-and-authorise helpers."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from .extensions import db
from .models import User


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapper


def people_manager_required(view):
    """Admins and supervisors: those who look after members of some subtree."""
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.manages_people:
            abort(403)
        return view(*args, **kwargs)
    return wrapper


def get_member_or_404(user_id: int, viewer) -> User:
    """The member, if the viewer may see them; otherwise 404 so ids outside reach reveal nothing."""
    member = db.session.get(User, user_id)
    if member is None or not viewer.can_see_member(member):
        abort(404)
    return member

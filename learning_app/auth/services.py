"""Authentication: checking credentials and changing passwords."""
from sqlalchemy import func, select

from ..audit.services import record_audit
from ..extensions import db
from ..models import User, utcnow
from ..security import hash_password, verify_against_dummy, verify_password


def normalise_login_id(login_id: str) -> str:
    return (login_id or "").strip()


def authenticate(login_id: str, password: str) -> User | None:
    """The active user with these credentials, or None (and the same work is done either way)."""
    user = db.session.scalar(select(User).where(func.lower(User.login_id) == normalise_login_id(login_id).lower()))
    if user is None:
        return verify_against_dummy(password) or None
    if not verify_password(user.password_hash, password) or not user.is_active:
        return None
    user.last_login_at = utcnow()
    return user


def change_password(user: User, current_password: str, new_password: str) -> bool:
    """Replace the password when the current one is right; clears the first-login obligation."""
    if not verify_password(user.password_hash, current_password):
        return False
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    record_audit(user, "user.change_password", user)
    db.session.flush()
    return True

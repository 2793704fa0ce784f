"""Authentication: checking credentials, sign-ins (sessions kept on the server) and changing passwords."""
from sqlalchemy import delete, func, select

from ..audit.services import record_audit
from ..extensions import db
from ..models import SignInSession, User, utcnow
from ..security import (
    hash_password,
    new_sign_in_key,
    sign_in_key_hash,
    sign_in_lifetime,
    verify_against_dummy,
    verify_password,
)


def normalise_login_id(login_id: str) -> str:
    return (login_id or "").strip()


def authenticate(login_id: str, password: str, address: str | None = None) -> User | None:
    """The active user with these credentials, or None (and the same work is done either way).
    `address` is where the login comes from, remembered as the account's last login address."""
    user = db.session.scalar(select(User).where(func.lower(User.login_id) == normalise_login_id(login_id).lower()))
    if user is None:
        return verify_against_dummy(password) or None
    if not verify_password(user.password_hash, password) or not user.is_active:
        return None
    user.last_login_at = utcnow()
    user.last_login_address = address
    return user


def start_sign_in(user: User) -> None:
    """Open a sign-in for this browser: `user.sign_in_key` is what its cookies will carry. The user's
    sign-ins that outlived their lifetime (refused already) are cleared away, keeping the table small."""
    now = utcnow()
    db.session.execute(delete(SignInSession).where(SignInSession.user_id == user.id,
                                                   SignInSession.created_at < now - sign_in_lifetime()))
    key, key_hash = new_sign_in_key()
    db.session.add(SignInSession(user_id=user.id, key_hash=key_hash, created_at=now))
    db.session.flush()
    user.sign_in_key = key


def end_sign_in(user: User) -> None:
    """End the sign-in this request came with (logout): its session and remember-me cookies stop working."""
    if user.sign_in_key:
        db.session.execute(delete(SignInSession).where(SignInSession.key_hash == sign_in_key_hash(user.sign_in_key)))


def end_sign_ins(user: User, keep_current: bool = False) -> None:
    """End every sign-in of the user on every device (all but this request's one if keep_current)."""
    statement = delete(SignInSession).where(SignInSession.user_id == user.id)
    if keep_current and user.sign_in_key:
        statement = statement.where(SignInSession.key_hash != sign_in_key_hash(user.sign_in_key))
    db.session.execute(statement)


def sign_out_everywhere(user: User) -> None:
    end_sign_ins(user)
    record_audit(user, "user.sign_out_everywhere", user)
    db.session.flush()


def change_password(user: User, current_password: str, new_password: str) -> bool:
    """Replace the password when the current one is right; clears the first-login obligation and ends
    the user's other sign-ins (someone who knew the old password is signed out), keeping this one."""
    if not verify_password(user.password_hash, current_password):
        return False
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.one_time_password_issued_at = None
    end_sign_ins(user, keep_current=True)
    record_audit(user, "user.change_password", user)
    db.session.flush()
    return True

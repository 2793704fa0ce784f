import re
import subprocess
import sys
from pathlib import Path

import pytest

from learning_app.extensions import db
from learning_app.models import AuditLog
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def test_login_lands_on_home_and_logout_returns_to_login(tree, make_user, auth, client):
    member = make_user(tree["a1"])
    assert auth.login(member).location == "/"
    assert client.get("/").status_code == 200
    assert auth.logout().location == "/auth/login"
    assert client.get("/").status_code == 302


def test_login_id_is_case_insensitive(tree, make_user, auth):
    make_user(tree["a1"], login_id="Abc123")
    assert auth.login("aBC123").location == "/"


def test_wrong_password_is_refused_with_a_message(tree, make_user, auth, client):
    member = make_user(tree["a1"])
    response = auth.login(member, "wrong-password")
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_deactivated_account_cannot_log_in(tree, make_user, auth, client):
    member = make_user(tree["a1"], is_active_account=False)
    auth.login(member)
    assert client.get("/").status_code == 302


def test_protected_page_redirects_anonymous_to_login_with_next(client):
    response = client.get("/members/")
    assert response.status_code == 302
    assert response.location.startswith("/auth/login?next=")


def test_login_follows_only_local_next(tree, make_user, client):
    member = make_user(tree["a1"])
    response = client.post("/auth/login?next=https://evil.example/",
                           data={"login_id": member.login_id, "password": PASSWORD})
    assert response.location == "/"


@pytest.mark.app_config(LOGIN_FAILURES_PER_ACCOUNT="3 per 15 minutes")
def test_account_is_locked_after_repeated_failures_even_with_right_password(tree, make_user, auth, client):
    member = make_user(tree["a1"])
    for _ in range(3):
        assert auth.login(member, "wrong").status_code == 200
    assert auth.login(member).status_code == 429
    assert client.get("/").status_code == 302


@pytest.mark.app_config(LOGIN_FAILURES_PER_ACCOUNT="3 per 15 minutes")
def test_lockout_of_one_account_leaves_others_alone(tree, make_user, auth):
    victim, other = make_user(tree["a1"]), make_user(tree["a1"])
    for _ in range(4):
        auth.login(victim, "wrong")
    assert auth.login(other).location == "/"


@pytest.mark.app_config(LOGIN_FAILURES_PER_ACCOUNT="100 per 15 minutes", LOGIN_FAILURES_PER_ADDRESS="4 per 15 minutes")
def test_address_is_limited_across_accounts(tree, make_user, auth):
    users = [make_user(tree["a1"]) for _ in range(5)]
    for user in users[:4]:
        auth.login(user, "wrong")
    assert auth.login(users[4]).status_code == 429


@pytest.mark.app_config(LOGIN_FAILURES_PER_ACCOUNT="3 per 15 minutes")
def test_successful_logins_do_not_count_towards_lockout(tree, make_user, auth):
    member = make_user(tree["a1"])
    for _ in range(5):
        assert auth.login(member).location == "/"
        auth.logout()


def test_first_login_forces_password_change(tree, make_user, auth, client):
    member = make_user(tree["a1"])
    member.must_change_password = True
    db.session.commit()
    auth.login(member)
    assert client.get("/members/").location == "/auth/password"
    response = client.post("/auth/password", data={
        "current_password": PASSWORD, "new_password": "NewPassw0rd", "confirm_password": "NewPassw0rd"})
    assert response.location == "/"
    assert client.get("/").status_code == 200
    auth.logout()
    assert auth.login(member, "NewPassw0rd").location == "/"


@pytest.mark.parametrize("new, confirm", [("short1", "short1"), ("lettersonly", "lettersonly"),
                                          ("Passw0rd-new", "Passw0rd-other")])
def test_weak_or_mismatched_new_password_is_refused(tree, make_user, auth, client, new, confirm):
    member = make_user(tree["a1"])
    auth.login(member)
    response = client.post("/auth/password", data={
        "current_password": PASSWORD, "new_password": new, "confirm_password": confirm})
    assert response.status_code == 200
    auth.logout()
    assert auth.login(member).location == "/"


def test_change_password_needs_the_current_one(tree, make_user, auth, client):
    member = make_user(tree["a1"])
    auth.login(member)
    client.post("/auth/password", data={
        "current_password": "guess", "new_password": "NewPassw0rd", "confirm_password": "NewPassw0rd"})
    auth.logout()
    assert auth.login(member).location == "/"


def test_password_change_is_audited(tree, make_user, auth, client):
    member = make_user(tree["a1"])
    auth.login(member)
    client.post("/auth/password", data={
        "current_password": PASSWORD, "new_password": "NewPassw0rd", "confirm_password": "NewPassw0rd"})
    assert db.session.query(AuditLog).filter_by(action="user.change_password", target_id=member.id).count() == 1


def test_passwords_are_stored_with_a_memory_hard_kdf():
    from learning_app import create_app
    from learning_app.security import hash_password
    for config in ("development", "production"):
        app = create_app(config, SECRET_KEY="x" * 32, SQLALCHEMY_DATABASE_URI="sqlite://")
        with app.app_context():
            stored = hash_password(PASSWORD)
        assert stored.startswith("scrypt:") and PASSWORD not in stored


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_login_without_csrf_token_is_rejected(tree, make_user, auth, client):
    member = make_user(tree["a1"])
    assert auth.login(member).status_code == 400
    assert client.get("/").status_code == 302


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_login_with_csrf_token_from_the_form_succeeds(tree, make_user, client):
    member = make_user(tree["a1"])
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"login_id": member.login_id, "password": PASSWORD, "csrf_token": token})
    assert response.location == "/"


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_logout_without_csrf_token_is_rejected(tree, make_user, client):
    member = make_user(tree["a1"])
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/auth/login", data={"login_id": member.login_id, "password": PASSWORD, "csrf_token": token})
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_logout_by_get_is_not_allowed(tree, make_user, auth, client):
    auth.login(make_user(tree["a1"]))
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_responses_carry_security_headers(client):
    response = client.get("/auth/login")
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_httponly_and_samesite(tree, make_user, auth):
    response = auth.login(make_user(tree["a1"]))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_requires_a_secret_key():
    from learning_app import create_app
    with pytest.raises(RuntimeError):
        create_app("production")


def test_production_cookies_are_secure():
    from learning_app import create_app
    app = create_app("production", SECRET_KEY="x" * 32, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["SESSION_COOKIE_SECURE"] is True


def _redis_reachable():
    import socket
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_reachable(), reason="Redis is not running on 127.0.0.1:6379")
def test_lockout_is_shared_by_workers_through_redis(tmp_path):
    """Two app instances stand for two gunicorn workers sharing one Redis and one database."""
    import uuid

    from learning_app import create_app
    from learning_app.people.services import create_account
    settings = dict(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379", RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
                    LOGIN_FAILURES_PER_ACCOUNT="3 per 15 minutes",
                    SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'shared.sqlite'}")
    worker_one = create_app("testing", **settings)
    with worker_one.app_context():
        db.create_all()
        create_account(None, "shared", "共享", password=PASSWORD)
        db.session.commit()
        db.session.remove()
    # The failures happen in another process, as in another gunicorn worker.
    script = (
        "import sys; from learning_app import create_app; app = create_app('testing', **eval(sys.argv[1]))\n"
        "client = app.test_client()\n"
        "for _ in range(3): client.post('/auth/login', data={'login_id': 'shared', 'password': 'wrong'})\n")
    subprocess.run([sys.executable, "-c", script, repr(settings)], check=True, cwd=ROOT)
    response = worker_one.test_client().post("/auth/login", data={"login_id": "shared", "password": PASSWORD})
    assert response.status_code == 429
    with worker_one.app_context():
        db.engine.dispose()


@pytest.mark.app_config(MAX_CONTENT_LENGTH=1024)
def test_oversized_upload_gets_a_friendly_413_page(tree, make_user, auth, client):
    auth.login(make_user(tree["a1"], roles=["admin"]))
    response = client.post("/members/import", data={"file": (__import__("io").BytesIO(b"x" * 4096), "big.csv")})
    assert response.status_code == 413
    assert "太大" in response.get_data(as_text=True)


def test_production_accepts_a_secret_key_from_the_environment():
    import subprocess
    import sys
    script = "from learning_app import create_app; create_app('production'); print('ok')"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                            env={**__import__("os").environ, "SECRET_KEY": "from-the-environment",
                                 "DATABASE_URL": "sqlite://"})
    assert result.stdout.strip() == "ok", result.stderr
